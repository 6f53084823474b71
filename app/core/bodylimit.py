"""Refusing request bodies over the configured size (413) before they fill memory."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem


class BodySizeLimitMiddleware:
    """Pure ASGI: a declared Content-Length over the limit is refused without reading the
    body; a chunked body (no Content-Length) is read up to the limit and refused as soon as
    it passes it. Bodies within the limit reach the app unchanged."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            # The server frames the body by Content-Length, so the declared size is the size.
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "payload_too_large",
            f"The request body is larger than the limit of {self.max_bytes} bytes",
        )
        await response(scope, receive, send)
