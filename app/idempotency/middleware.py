"""`Idempotency-Key` on every POST (CONTRACT §9), as one pure ASGI middleware.

A POST carrying the header from an authenticated caller first claims the key in a short
transaction of its own (the unique constraint on (caller, key) lets exactly one of several
concurrent retries win), then runs, and its status and body are stored before they are
sent. A retry with the same request gets the stored answer with `Idempotent-Replayed:
true`; a different request under the same key gets 422 `idempotency_key_reused`; a retry
while the first is still running gets 409 `idempotency_in_progress`. A 5xx answer or an
exception releases the key so the client can try again. Anonymous POSTs (logging in) are
not recorded: a token is not something to keep.
"""

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import anyio
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import problem
from app.core.types import utcnow
from app.idempotency import service
from app.idempotency.service import Claim

logger = logging.getLogger("app.idempotency")

HEADER = b"idempotency-key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers larger than this are sent but not stored (the key is released).
MAX_STORED_BYTES = 1024 * 1024
PURGE_EVERY = timedelta(minutes=10)
CONTENT_TYPE_MAX = 100  # the column's length
T = TypeVar("T")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, engine: Engine, settings: Settings) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings
        self.ttl = timedelta(hours=settings.idempotency_ttl_hours)
        self._last_purge: datetime | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER.decode())
        if key is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._db(
                lambda s: service.caller_of(
                    s,
                    authorization=headers.get("authorization"),
                    api_key=headers.get("x-api-key"),
                    settings=self.settings,
                ),
                write=False,
            )
        except SQLAlchemyError:
            await _unavailable(scope, receive, send)
            return
        if principal is None:  # anonymous, or credentials the route itself will refuse
            await self.app(scope, receive, send)
            return
        if not VALID_KEY.match(key):
            invalid = problem(
                422,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                errors=[{"loc": ["header", "Idempotency-Key"], "msg": "invalid key"}],
            )
            await invalid(scope, receive, send)
            return
        body, replay_receive = await _read_body(receive)
        digest = service.request_hash(
            method=scope["method"], path=scope["path"], query=scope["query_string"], body=body
        )
        try:
            claim = await self._claim(principal, key, digest)
        except SQLAlchemyError:
            await _unavailable(scope, replay_receive, send)
            return
        if claim.outcome == "run":
            assert claim.record_id is not None
            await self._run(scope, replay_receive, send, claim)
        elif claim.outcome == "replay":
            await _send_replay(send, claim)
        elif claim.outcome == "reused":
            reused = problem(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request",
            )
            await reused(scope, replay_receive, send)
        else:
            running = problem(
                409,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed; retry shortly",
                headers={"Retry-After": "1"},
            )
            await running(scope, replay_receive, send)

    async def _claim(self, principal: str, key: str, digest: str) -> Claim:
        now = utcnow()
        purge = self._last_purge is None or now - self._last_purge >= PURGE_EVERY
        if purge:
            self._last_purge = now
            purged = await self._db(lambda s: service.purge_expired(s, now=now))
            logger.debug("purged %d expired idempotency records", purged)
        for attempt in range(3):
            try:
                return await self._db(
                    lambda s: service.claim_key(
                        s, principal=principal, key=key, request_hash=digest, now=now, ttl=self.ttl
                    )
                )
            except IntegrityError:
                # A concurrent retry inserted the key first; read what it left.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _run(self, scope: Scope, receive: Receive, send: Send, claim: Claim) -> None:
        record_id = claim.record_id
        assert record_id is not None
        start: Message | None = None
        held: list[Message] = []
        size = 0
        passing_through = False

        async def holding_send(message: Message) -> None:
            nonlocal start, size, passing_through
            if passing_through:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                held.append(message)
                size += len(message.get("body", b""))
                if size > MAX_STORED_BYTES:  # too big to keep: send it on, forget the key
                    passing_through = True
                    assert start is not None
                    await send(start)
                    for m in held:
                        await send(m)
            else:
                held.append(message)

        try:
            await self.app(scope, receive, holding_send)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._release(record_id)
            raise
        if passing_through:
            await self._release(record_id)
            return
        if start is None:  # the app sent nothing: nothing to keep
            await self._release(record_id)
            return
        status = start["status"]
        content_type = Headers(raw=start.get("headers", [])).get("content-type")
        if status < 500 and (content_type is None or len(content_type) <= CONTENT_TYPE_MAX):
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            try:
                await self._db(
                    lambda s: service.finish_key(
                        s, record_id=record_id, status=status, body=body, content_type=content_type
                    )
                )
            except SQLAlchemyError:
                # The answer still goes out; the key stays in progress until its lease ends.
                logger.exception("could not store the response of an idempotency key")
        else:
            await self._release(record_id)
        await send(start)
        for m in held:
            await send(m)

    async def _release(self, record_id: uuid.UUID) -> None:
        try:
            await self._db(lambda s: service.release_key(s, record_id=record_id))
        except SQLAlchemyError:
            logger.exception("could not release an idempotency key")

    async def _db(self, work: Callable[..., T], *, write: bool = True) -> T:
        """Run `work(session)` in a worker thread, in a transaction of its own."""

        def run() -> T:
            results: list[T] = []
            for session in session_scope(self.engine, write=write):  # commits when it ends
                results.append(work(session))
            return results[0]

        return await anyio.to_thread.run_sync(run)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it to the app again."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = list(messages)

    async def replay_receive() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return body, replay_receive


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    logger.warning("idempotency store unavailable on POST %s", scope["path"])
    unavailable = problem(
        503,
        "service_unavailable",
        "The database is not answering; try again shortly",
        headers={"Retry-After": "5"},
    )
    await unavailable(scope, receive, send)


async def _send_replay(send: Send, claim: Claim) -> None:
    assert claim.status is not None
    headers = [
        (b"content-length", str(len(claim.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    if claim.content_type:
        headers.append((b"content-type", claim.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": claim.status, "headers": headers})
    await send({"type": "http.response.body", "body": claim.body, "more_body": False})
