"""OpenAPI: every operation documents the problem responses, and their codes, it can give.

Each error response lists its problem codes (`x-problem-codes`), derived from the route:
401/403/404 from the access policy its dependencies enforce (`document_access`), domain
codes from the typed errors it declares (`responses=problems(...)`, app/core/errors.py),
422/413 from what it takes, 412 for PATCH/PUT (If-Match), 304 for GET (If-None-Match),
503 when it uses the database. A test holds these lists against the codes the suite sees.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.deps import get_session
from app.core.errors import (
    Invalid,
    InvalidApiKey,
    InvalidCursor,
    InvalidToken,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RegionForbidden,
    RoleForbidden,
    ServiceUnavailable,
)
from app.core.pagination import page_params
from app.core.routes import api_routes

ACCESS_ATTR = "__dapur_access__"


class AccessDoc(Protocol):
    """What the documentation needs of an access policy (app/auth/policy.py)."""

    @property
    def scope(self) -> str: ...

    @property
    def forbids_some_role(self) -> bool: ...

    @property
    def hides_out_of_scope(self) -> bool: ...


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "401": "Missing or invalid credentials",
    "403": "The caller's role may not do this",
    "404": "Not found, or outside the caller's scope",
    "409": "Conflicts with the current state (see `code`)",
    "412": "If-Match does not match the current ETag",
    "413": "Request body too large",
    "422": "The request is invalid",
    "429": "Too many attempts; see Retry-After",
    "503": "The database does not answer; retry later",
}


# A route whose JSON answer may instead be a DHIS2 dataValueSet (`format=dhis2`) says so
# with `openapi_extra={ALTERNATIVE_JSON: "DataValueSet"}`.
ALTERNATIVE_JSON = "x-dapur-alternative-json"
DATA_VALUE_SET_SCHEMA: dict[str, Any] = {
    "title": "DataValueSet",
    "type": "object",
    "description": "DHIS2 dataValueSets document, codes as identifiers (idScheme=code)",
    "required": ["dataValues"],
    "properties": {
        "dataValues": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["dataElement", "period", "orgUnit", "categoryOptionCombo", "value"],
                "properties": {
                    name: {"type": "string"}
                    for name in (
                        "dataElement",
                        "period",
                        "orgUnit",
                        "categoryOptionCombo",
                        "attributeOptionCombo",
                        "value",
                    )
                },
            },
        }
    },
}


def document_access(dependency: Callable[..., Any], policy: AccessDoc) -> Callable[..., Any]:
    """Mark a dependency as enforcing an access policy, so operations document it."""
    setattr(dependency, ACCESS_ATTR, policy)
    return dependency


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _policies(route: APIRoute) -> list[AccessDoc]:
    return [
        getattr(d.call, ACCESS_ATTR) for d in _walk(route.dependant) if hasattr(d.call, ACCESS_ATTR)
    ]


def _uses_database(route: APIRoute) -> bool:
    return any(d.call is get_session for d in _walk(route.dependant))


def expected_codes(route: APIRoute, path: str) -> dict[str, list[str]]:
    """The problem codes an operation can answer by status, derived from its route.

    Access comes from the policies its dependencies enforce; conflicts and domain rules
    from the typed errors the route declares (`responses=problems(...)`); the rest from
    what the route takes: parameters or a body (422, 413), If-Match (412), a database
    (503), an Idempotency-Key (422).
    """
    deps = list(_walk(route.dependant))
    methods = route.methods or set()
    policies = _policies(route)
    codes: dict[str, list[str]] = defaultdict(list)
    if _uses_database(route):
        codes["503"].append(ServiceUnavailable.code)
    if policies:
        codes["401"] += [NotAuthenticated.code, InvalidToken.code, InvalidApiKey.code]
    if any(p.forbids_some_role for p in policies):
        codes["403"].append(RoleForbidden.code)
    if any(p.scope == "region" for p in policies):
        codes["403"].append(RegionForbidden.code)
    if any(d.path_params for d in deps) or any(p.hides_out_of_scope for p in policies):
        codes["404"].append(NotFound.code)
    has_body = any(d.body_params for d in deps)
    if has_body or any(d.path_params or d.query_params for d in deps):
        codes["422"].append(Invalid.code)
    if any(d.call is page_params for d in deps):
        codes["422"].append(InvalidCursor.code)
    if has_body:
        codes["413"].append(PayloadTooLarge.code)
    if methods & {"PATCH", "PUT"} and path.startswith("/api/"):
        codes["412"].append(PreconditionFailed.code)
    if "POST" in methods and policies:
        codes["422"] += ["invalid_idempotency_key", "idempotency_key_reused"]
    for status, response in (route.responses or {}).items():
        codes[str(status)] += response.get("x-problem-codes", [])
    return {status: list(dict.fromkeys(found)) for status, found in codes.items() if found}


HEADER_PARAMETERS = {
    "GET": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "An ETag from an earlier GET: 304 with no body when unchanged",
        "schema": {"type": "string"},
    },
    "PATCH": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The ETag the change is based on: 412 when the resource moved on",
        "schema": {"type": "string"},
    },
    "POST": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A client-chosen key (1-255 visible ASCII characters): a retry with "
        "the same key and body returns the first answer and creates nothing new",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    },
}
HEADER_PARAMETERS["PUT"] = HEADER_PARAMETERS["PATCH"]


def install_openapi(app: FastAPI) -> None:
    """Replace app.openapi with one that adds the derived problem responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        components["DataValueSet"] = DATA_VALUE_SET_SCHEMA
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        for info in api_routes(app):
            route = info.route
            if not route.include_in_schema:
                continue
            path_item = schema["paths"].get(info.path, {})
            for method in info.methods:
                op = path_item.get(method.lower())
                if op is None:
                    continue
                responses = op.setdefault("responses", {})
                responses.pop("422", None)  # FastAPI's HTTPValidationError shape is not ours
                for status, codes in sorted(expected_codes(route, info.path).items()):
                    declared = responses.get(status, {})
                    responses[status] = {
                        "description": declared.get("description")
                        or DESCRIPTIONS.get(status, "Error"),
                        "x-problem-codes": codes,
                        "content": {"application/problem+json": {"schema": problem_ref}},
                    }
                header = HEADER_PARAMETERS.get(method)
                if (
                    header
                    and info.path.startswith("/api/")
                    and (method != "POST" or "401" in responses)
                ):
                    op.setdefault("parameters", []).append(header)
                if op.pop(ALTERNATIVE_JSON, None) == "DataValueSet":
                    content = responses["200"]["content"]["application/json"]
                    content["schema"] = {
                        "anyOf": [content["schema"], {"$ref": "#/components/schemas/DataValueSet"}]
                    }
                if method == "GET" and info.path.startswith("/api/"):
                    responses.setdefault("304", {"description": "Not modified (If-None-Match)"})
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
