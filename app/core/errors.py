"""Typed errors: one exception type per problem `code`, rendered in one place.

Services raise a subclass of DomainError (`raise MenuLocked("...")`); its class carries the
HTTP status, the stable `code` and what the code means. Routes declare the types they can
raise (`responses=problems(MenuLocked, MenuExists)`), and the OpenAPI document lists each
route's codes from those same types (app/core/openapi.py), so documentation cannot drift
from behaviour. Every code the service can answer is registered in `ERRORS`.
"""

import logging
from collections import defaultdict
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.requestid import current_request_id

logger = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"
# Every problem code the service answers with, and its type.
ERRORS: dict[str, type["DomainError"]] = {}


class DomainError(Exception):
    """An error the API reports on purpose: its type is its status and stable code."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    description: ClassVar[str] = "The request cannot be served"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            known = ERRORS.setdefault(cls.code, cls)
            if known is not cls:
                raise TypeError(f"problem code {cls.code!r} is already {known.__qualname__}")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.description
        super().__init__(self.detail)
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


# -- the generic codes every route may answer ---------------------------------------------


class NotAuthenticated(DomainError):
    status, code = 401, "not_authenticated"
    description = "No credentials were sent"

    def __init__(self, detail: str = "Missing or invalid credentials", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    description = "The bearer token is invalid, expired or revoked"


class InvalidApiKey(NotAuthenticated):
    code = "invalid_api_key"
    description = "The API key is unknown or revoked"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    description = "Incorrect username or password"


class Forbidden(DomainError):
    status, code = 403, "forbidden"
    description = "The caller may not do this"


class RoleForbidden(Forbidden):
    code = "role_forbidden"
    description = "The caller's role may never do this"


class RegionForbidden(Forbidden):
    code = "region_forbidden"
    description = "The region asked for lies outside the caller's region"


class NotFound(DomainError):
    status, code = 404, "not_found"
    description = "No such object, or it lies outside the caller's scope"

    def __init__(self, what: str = "Resource", **kw: Any) -> None:
        super().__init__(f"{what} not found", **kw)


class Conflict(DomainError):
    """Base of the 409 codes; raise a subclass with its own code."""

    status = 409
    description = "The request conflicts with the current state"


class PreconditionFailed(DomainError):
    status, code = 412, "precondition_failed"
    description = "If-Match does not match the current ETag; nothing was changed"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(
            detail
            or "The resource has changed since it was read (If-Match does not match its "
            "current ETag); GET it again, then retry with the new ETag",
            **kw,
        )


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"
    description = "The request body is over the size limit"


class Invalid(DomainError):
    """422 for a request that is well-formed but breaks a rule of the domain."""

    status, code = 422, "validation_error"
    description = "The request is invalid; `errors` locates each problem"

    def __init__(self, detail: str, *, loc: list[str | int] | None = None, **kw: Any) -> None:
        if loc is not None and "errors" not in kw:
            kw["errors"] = [{"loc": loc, "msg": detail}]
        super().__init__(detail, **kw)


class InvalidCursor(Invalid):
    code = "invalid_cursor"
    description = "The cursor is not one this service issued"


class ServiceUnavailable(DomainError):
    status, code = 503, "service_unavailable"
    description = "The database does not answer; retry after Retry-After"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"Retry-After": "5"})
        super().__init__(detail or "The database is not answering; try again shortly", **kw)


class InternalError(DomainError):
    status, code = 500, "internal_error"
    description = "A bug; it was logged with the request id"


class MethodNotAllowed(DomainError):
    status, code = 405, "method_not_allowed"
    description = "The path does not serve this method (Allow lists those it does)"


# -- rendering -----------------------------------------------------------------------------


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; `type` is a stable URN per code (docs/errors.md)."""
    body: dict[str, Any] = {
        "type": f"urn:dapur:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def render(error: DomainError) -> JSONResponse:
    """The problem response of a typed error."""
    return problem(
        error.status,
        error.code,
        error.detail,
        errors=error.errors,
        headers=error.headers,
        extra=error.extra,
    )


def problems(*types: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the typed errors a route raises, grouped by status."""
    by_status: dict[int, list[type[DomainError]]] = defaultdict(list)
    for error in types:
        by_status[error.status].append(error)
    return {
        status: {
            "description": "; ".join(f"`{e.code}`: {e.description}" for e in errors),
            "x-problem-codes": [e.code for e in errors],
        }
        for status, errors in sorted(by_status.items())
    }


# Statuses Starlette or FastAPI raise themselves, with the code they answer as.
_HTTP_STATUS_ERRORS: dict[int, type[DomainError]] = {
    401: NotAuthenticated,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    503: ServiceUnavailable,
}


def _clean_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", [])), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]


# SQLSTATEs that mean "not now" rather than "never": connection failures (class 08), the
# server shutting down or starting up (57P0x), a statement or lock timeout, deadlocks and
# serialization failures (a retry goes through), too many connections.
_TRANSIENT_SQLSTATES = frozenset(
    {"57P01", "57P02", "57P03", "57014", "55P03", "40P01", "40001", "53300"}
)
_TRANSIENT_DRIVER_ERRORS = frozenset(
    {
        "OperationalError",
        "InterfaceError",
        "QueryCanceled",
        "QueryCanceledError",
        "AdminShutdown",
        "CannotConnectNow",
        "ConnectionTimeout",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "DeadlockDetected",
        "SerializationFailure",
    }
)


_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "unable to open", "disk I/O")


def _sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of a driver error (asyncpg's sits on the adapted error's cause)."""
    while error is not None:
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return None


def database_unavailable(exc: BaseException) -> bool:
    """True for errors that mean the database is down, unreachable or busy, not a bug."""
    if isinstance(exc, PoolTimeout | ConnectionError | OSError | TimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc.orig)
    if state is not None and (state.startswith("08") or state in _TRANSIENT_SQLSTATES):
        return True
    # A database closed to new connections (ALLOW_CONNECTIONS false, being dropped).
    if state == "55000" and "accepting connections" in str(exc.orig):
        return True
    if type(exc.orig).__module__.startswith("sqlite3"):
        # sqlite3 raises OperationalError for a locked database and a syntax error alike.
        return any(word in str(exc.orig) for word in _SQLITE_TRANSIENT)
    names = {cls.__name__ for cls in type(exc.orig).__mro__} if exc.orig is not None else set()
    return not names.isdisjoint(_TRANSIENT_DRIVER_ERRORS)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return render(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation_errors(exc)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return problem(422, "validation_error", f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = _HTTP_STATUS_ERRORS.get(exc.status_code)
        code = known.code if known else f"http_{exc.status_code}"
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 400:
            # FastAPI answers 400 when it cannot parse a body; the API calls that 422.
            return problem(
                422, "validation_error", detail, errors=[{"loc": ["body"], "msg": detail}]
            )
        if exc.status_code == 405:
            # Starlette answers 405 from one route; Allow must list every method of the path.
            from app.core.routes import allowed_methods

            headers = {
                **(headers or {}),
                "Allow": ", ".join(allowed_methods(app, request.url.path)),
            }
        return problem(exc.status_code, code, detail, headers=headers)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, __: StaleDataError) -> JSONResponse:
        # A versioned UPDATE found another writer's newer version: the If-Match lost.
        return render(PreconditionFailed())

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if database_unavailable(exc):
            # The driver's first line ("... is not currently accepting connections") tells
            # an operator why; statements' parameters are never in it.
            reason = str(exc.orig).partition("\n")[0][:200] if isinstance(exc, DBAPIError) else ""
            logger.warning(
                "database unavailable on %s %s: %s %s",
                request.method,
                request.url.path,
                type(exc).__name__,
                reason,
            )
            return render(ServiceUnavailable())
        # The engines hide statement parameters, so this traceback holds no hashes or phones.
        logger.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return render(InternalError())
