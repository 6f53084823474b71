"""Security headers on every response, errors and 304s included."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The API serves JSON only: nothing may load, run or frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive docs (Swagger UI, ReDoc) load their scripts, styles and fonts from
# public CDNs and start with an inline script; this is relaxed for those pages only.
DOCS_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; "
    "connect-src 'self'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    """Pure ASGI; headers a handler set itself (e.g. its own Cache-Control) are kept.

    Cache-Control on /api/: successful GETs are `private, no-cache` (a device may keep
    them but must revalidate, which is what ETags are for); everything else is
    `no-store`, so no shared cache ever holds a child's or a worker's data.
    """

    def __init__(self, app: ASGIApp, *, hsts_seconds: int) -> None:
        self.app = app
        self.hsts_seconds = hsts_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_docs = path.startswith(DOCS_PATHS)
        is_api = path.startswith("/api/")
        is_read = scope["method"] in {"GET", "HEAD"}
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", DOCS_CSP if is_docs else API_CSP)
                if https and self.hsts_seconds > 0:
                    headers.setdefault(
                        "Strict-Transport-Security",
                        f"max-age={self.hsts_seconds}; includeSubDomains",
                    )
                if is_api:
                    cacheable = is_read and message["status"] < 400
                    headers.setdefault(
                        "Cache-Control", "private, no-cache" if cacheable else "no-store"
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
