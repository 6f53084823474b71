"""OpenAPI: every operation documents the problem responses it can really give.

What an operation can answer is derived from the route itself, so routes added later are
documented the same way: 401 when it needs credentials, 403 when a role gate guards it,
404 when it names an object by id, 422 when it takes parameters or a body, 413 when it
takes a body, 412 for PATCH/PUT (If-Match), 304 for GET (If-None-Match), 503 when the
database does not answer. Conflicts (409) are declared by each route with `responses=`.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.routes import api_routes

ROLE_GATE_ATTR = "__dapur_roles__"

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


def tag_roles(dependency: Callable[..., Any], roles: frozenset[Any]) -> Callable[..., Any]:
    """Mark a dependency as a role gate, so the operation documents 403."""
    setattr(dependency, ROLE_GATE_ATTR, roles)
    return dependency


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _needs_auth(route: APIRoute) -> bool:
    from app.auth.deps import credentials, current_principal

    return any(d.call in (current_principal, credentials) for d in _walk(route.dependant))


def _role_gated(route: APIRoute, all_roles: frozenset[Any]) -> bool:
    for dep in _walk(route.dependant):
        roles = getattr(dep.call, ROLE_GATE_ATTR, None)
        if roles is not None and frozenset(roles) != all_roles:
            return True
    return False


def _uses_database(route: APIRoute) -> bool:
    from app.core.deps import get_engine, get_report_session, get_session

    database = (get_session, get_report_session, get_engine)
    return any(d.call in database for d in _walk(route.dependant))


def expected_statuses(route: APIRoute, path: str) -> set[str]:
    """The error statuses an operation can answer, derived from its route."""
    from app.auth.models import Role

    deps = list(_walk(route.dependant))
    methods = route.methods or set()
    path_params = any(d.path_params for d in deps)
    query_params = any(d.query_params for d in deps)
    has_body = any(d.body_params for d in deps)
    statuses = {"503"} if _uses_database(route) else set()
    if _needs_auth(route):
        statuses.add("401")
    if _role_gated(route, frozenset(Role)):
        statuses.add("403")
    if path_params:
        statuses.add("404")
    if path_params or query_params or has_body:
        statuses.add("422")
    if has_body:
        statuses.add("413")
    if methods & {"PATCH", "PUT"} and path.startswith("/api/"):
        statuses.add("412")
    if "POST" in methods and "401" in statuses:
        statuses |= {"409", "422"}  # Idempotency-Key: a retry while the first runs; reuse
    return statuses


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
                for status in sorted(
                    expected_statuses(route, info.path)
                    | {s for s in responses if s.startswith(("4", "5"))}
                ):
                    description = responses.get(status, {}).get("description") or DESCRIPTIONS.get(
                        status, "Error"
                    )
                    responses[status] = {
                        "description": description,
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


def conflicts(*codes: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that answers 409 with these problem codes."""
    listed = ", ".join(f"`{c}`" for c in codes)
    return {409: {"description": f"Conflicts with the current state: {listed}"}}
