"""What every HTTP request crosses before its route, as one plain ASGI middleware.

In one pass, and nothing per route: the request id (taken from `X-Request-ID` or made,
echoed, and set for every log line), a body-size limit (413 before a large body is read),
security headers on every answer (errors and 304s included), and the request's count and
latency for /metrics. Per-route protocol work (ETags, idempotency) is done by the route
class (app/core/routing.py), only for the routes that need it.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
    database_unavailable,
    render,
)
from app.core.metrics import Metrics
from app.core.requestid import request_id_context

logger = logging.getLogger("app.errors")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The API serves JSON only: nothing may load, run or frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class Edge:
    """Request id, body limit, security headers and metrics for every request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        hsts_seconds: int,
        content_security_policy: Callable[[str], str],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds > 0 else None
        self.csp = content_security_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        path: str = scope["path"]
        https = scope.get("scheme") == "https"
        is_api = path.startswith("/api/")
        is_read = scope["method"] in ("GET", "HEAD")
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                out = MutableHeaders(scope=message)
                out.append("x-request-id", rid)
                out.setdefault("x-content-type-options", "nosniff")
                out.setdefault("x-frame-options", "DENY")
                out.setdefault("referrer-policy", "no-referrer")
                out.setdefault("content-security-policy", self.csp(path))
                if https and self.hsts:
                    out.setdefault("strict-transport-security", self.hsts)
                if is_api:
                    # A device may keep what it read, but must revalidate (ETags); nothing
                    # else is ever stored, so no shared cache holds a child's data.
                    cacheable = is_read and status < 400
                    out.setdefault(
                        "cache-control", "private, no-cache" if cacheable else "no-store"
                    )
            await send(message)

        with request_id_context(rid):
            try:
                await self._serve(scope, receive, send_with_headers, headers)
            except Exception as exc:
                # Nothing else caught it: a bug (or a database gone mid-stream). Answer a
                # bare problem with the request id; never a trace, SQL or data.
                if started:
                    raise
                unavailable = database_unavailable(exc)
                if not unavailable:
                    logger.error("unhandled error on %s %s", scope["method"], path, exc_info=exc)
                error = ServiceUnavailable() if unavailable else InternalError()
                await render(error)(scope, receive, send_with_headers)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                self.metrics.observe(
                    scope["method"], route, status, time.perf_counter() - started_at
                )

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> None:
        """Pass the request on, unless its body is too large."""
        declared = headers.get(b"content-length")
        if declared is not None:
            # The server frames the body by Content-Length: the declared size is its size.
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            await self._limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A chunked body (no Content-Length) is read up to the limit, and refused as soon
        as it passes it; within the limit it reaches the app unchanged."""
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = render(
            PayloadTooLarge(
                f"The request body is larger than the limit of {self.max_body_bytes} bytes"
            )
        )
        await response(scope, receive, send)
