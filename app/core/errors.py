"""Typed domain errors and the one place that renders them as RFC 9457 problem+json."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.requestid import current_request_id

logger = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """An error the API reports on purpose: it carries its HTTP status and stable code."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(self.status).phrase)
        self.detail = detail or HTTPStatus(self.status).phrase
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


class NotAuthenticated(DomainError):
    status, code = 401, "not_authenticated"

    def __init__(self, detail: str = "Missing or invalid credentials", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"

    def __init__(self, what: str = "Resource", **kw: Any) -> None:
        super().__init__(f"{what} not found", **kw)


class Conflict(DomainError):
    status, code = 409, "conflict"


class PreconditionFailed(DomainError):
    status, code = 412, "precondition_failed"


class Invalid(DomainError):
    """422 for a request that is well-formed JSON but breaks a rule of the domain."""

    status, code = 422, "validation_error"

    def __init__(self, detail: str, *, loc: list[str | int] | None = None, **kw: Any) -> None:
        if loc is not None and "errors" not in kw:
            kw["errors"] = [{"loc": loc, "msg": detail}]
        super().__init__(detail, **kw)


class ServiceUnavailable(DomainError):
    status, code = 503, "service_unavailable"


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; `type` is a stable URN per code, documented in docs/errors.md."""
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


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "service_unavailable",
}


def _clean_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", [])), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(
            exc.status,
            exc.code,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation_errors(exc)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return problem(422, "validation_error", f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 400:
            # FastAPI answers 400 when it cannot parse a body; the contract calls that 422.
            return problem(
                422, "validation_error", detail, errors=[{"loc": ["body"], "msg": detail}]
            )
        if exc.status_code == 405:
            # Routers answer 405 from one route; Allow must list every method of the path.
            from app.core.routes import allowed_methods

            headers = {
                **(headers or {}),
                "Allow": ", ".join(allowed_methods(app, request.url.path)),
            }
        return problem(exc.status_code, code, detail, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if _database_unavailable(exc):
            logger.warning(
                "database unavailable on %s %s: %s",
                request.method,
                request.url.path,
                type(exc).__name__,
            )
            return problem(
                503,
                "service_unavailable",
                "The database is not answering; try again shortly",
                headers={"Retry-After": "5"},
            )
        logger.exception("database error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "An unexpected error occurred; it has been logged")


class UnhandledErrorMiddleware:
    """Turns any exception that escaped the handlers into a bare 500 problem, logged with
    the request id (it sits inside RequestIdMiddleware, so the id is still known)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            response = problem(
                500, "internal_error", "An unexpected error occurred; it has been logged"
            )
            await response(scope, receive, send)


def _database_unavailable(exc: BaseException) -> bool:
    """True for driver errors that mean the database is down or unreachable, not a bug."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        # By class and ancestors: psycopg raises subclasses such as LockNotAvailable.
        names = {cls.__name__ for cls in type(exc.orig).__mro__} if exc.orig is not None else set()
        return not names.isdisjoint(
            {
                "OperationalError",
                "InterfaceError",
                "QueryCanceled",
                "AdminShutdown",
                "CannotConnectNow",
                "ConnectionTimeout",
            }
        )
    return False
