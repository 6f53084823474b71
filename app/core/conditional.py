"""Conditional requests (CONTRACT §9) for every route, as one pure ASGI middleware.

- `GET` answers of 200 with a known length get a strong `ETag`: a hash of the exact body
  bytes, so a single resource and a list page are tagged alike and no route does anything.
  `If-None-Match` with that tag (weak comparison, a list, or `*`) answers 304 with no body.
- `PATCH` and `PUT` honour `If-Match`: the middleware computes the resource's current tag
  by sending a `GET` of the same URL with the same credentials through the app (the very
  tag a client got from that `GET`) and answers 412 `precondition_failed` when it differs.
- A 200 answer to a `PATCH`/`PUT` carries the new `ETag` when its body is exactly what a
  `GET` of the URL now returns (checked with another `GET`), so a client may write again.
- The check and the write of one resource do not interleave: every `PATCH`/`PUT` holds a
  per-URL lock, an asyncio lock in this process and, on PostgreSQL, an advisory lock so
  other server processes queue too.

Responses that are streamed (no `Content-Length`) or CSV pass through untouched and
untagged, so large exports are never buffered. The middleware sits inside GZip, so tags are
computed on the uncompressed bytes and are the same whether or not the client takes gzip.
"""

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass

import anyio
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import make_engine
from app.core.errors import problem

logger = logging.getLogger("app.conditional")

# Bodies larger than this are sent untagged rather than held in memory to be hashed.
ETAG_MAX_BYTES = 16 * 1024 * 1024
CACHE_CONTROL = "private, no-cache"
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')
# Headers of the original write that must not reach the GET used to compute the current tag.
_NOT_FOR_SUBREQUEST = {
    b"content-length",
    b"content-type",
    b"expect",
    b"idempotency-key",
    b"if-match",
    b"if-modified-since",
    b"if-none-match",
    b"if-unmodified-since",
    b"transfer-encoding",
}


def etag_of(body: bytes) -> str:
    """The strong entity tag of a response body: a quoted SHA-256 prefix."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class EntityTags:
    """A parsed If-Match / If-None-Match header: `*`, or tags with their weak flag."""

    any: bool
    tags: tuple[tuple[bool, str], ...]

    @classmethod
    def parse(cls, value: str) -> "EntityTags":
        if value.strip() == "*":
            return cls(any=True, tags=())
        found = tuple((weak == "W/", tag) for weak, tag in _ENTITY_TAG.findall(value))
        return cls(any=False, tags=found)

    def matches_weakly(self, current: str) -> bool:
        """If-None-Match: weak comparison, so `W/"x"` matches `"x"` (RFC 9110 §13.1.2)."""
        return self.any or any(tag == current for _, tag in self.tags)

    def matches_strongly(self, current: str | None) -> bool:
        """If-Match: strong comparison, and `*` only when the resource exists (§13.1.1)."""
        if current is None:
            return False
        return self.any or any(not weak and tag == current for weak, tag in self.tags)


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope["headers"] if k == name]
    return ", ".join(values) if values else None


def _taggable(start: Message) -> bool:
    """Whether a GET response is a complete, modest body this middleware may hash."""
    if start["status"] != 200:
        return False
    headers = Headers(raw=start.get("headers", []))
    length = headers.get("content-length")
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return (
        length is not None
        and length.isdigit()
        and int(length) <= ETAG_MAX_BYTES
        and "etag" not in headers
        and "content-encoding" not in headers
        and media_type != "text/csv"
    )


class ResourceLocks:
    """Per-URL locks so an If-Match check and the write it guards do not interleave.

    In-process writers queue on an asyncio lock; on PostgreSQL the holder also takes an
    advisory lock on a connection of its own (outside the request pool, so a burst of
    writes cannot starve the requests they wait for), which other server processes queue
    on. The lock belongs to a transaction held open for the write, so it also holds
    through PgBouncer in transaction mode, which keeps a transaction on one server
    connection but may move the statements of a session between them.
    """

    def __init__(self, settings: Settings) -> None:
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}
        self._pg: Engine | None = None
        if settings.database_url.startswith("postgresql"):
            # A pool of its own, configured as the request pool (timeouts included), so a
            # burst of writes cannot starve the requests they wait for. Pooled: opening a
            # connection per write cost more than the write itself. A connection goes back
            # to the pool only after its lock was released.
            self._pg = make_engine(settings)

    async def acquire(self, key: str) -> Connection | None:
        """Wait for the lock of `key`; raises SQLAlchemyError when PostgreSQL cannot lock."""
        lock, users = self._local.get(key, (asyncio.Lock(), 0))
        self._local[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._forget(key)
            raise
        if self._pg is None:
            return None
        conn: Connection | None = None
        try:
            # Shielded: a cancelled request must still get (and so close) its connection.
            with anyio.CancelScope(shield=True):
                conn = await anyio.to_thread.run_sync(self._pg_lock, key)
        except BaseException:
            lock.release()
            self._forget(key)
            raise
        return conn

    async def release(self, key: str, conn: Connection | None) -> None:
        """Give the lock of `key` back."""
        try:
            if conn is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._pg_unlock, key, conn)
        finally:
            self._local[key][0].release()
            self._forget(key)

    def _forget(self, key: str) -> None:
        lock, users = self._local[key]
        if users <= 1:
            del self._local[key]
        else:
            self._local[key] = (lock, users - 1)

    @staticmethod
    def _advisory_id(key: str) -> int:
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)

    def _pg_lock(self, key: str) -> Connection:
        assert self._pg is not None
        conn = self._pg.connect()  # begins a transaction with its first statement
        try:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._advisory_id(key)})
        except BaseException:
            conn.close()
            raise
        return conn

    def _pg_unlock(self, key: str, conn: Connection) -> None:
        try:
            conn.commit()  # ends the transaction, and with it the lock
        except SQLAlchemyError:
            logger.warning("could not release the write lock of %s; closing its connection", key)
            conn.invalidate()  # ends the session, which frees its advisory locks in any case
        finally:
            conn.close()


class ConditionalRequestMiddleware:
    """ETag / If-None-Match on GET, If-Match on PATCH and PUT, for every route."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.locks = ResourceLocks(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["method"] == "GET":
            await self._get(scope, receive, send)
        elif scope["method"] in ("PATCH", "PUT"):
            await self._write(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        if_none_match = _header(scope, b"if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []

        async def tagging_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _taggable(message):
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send_tagged(start, b"".join(chunks), if_none_match, send)
            else:
                await send(message)

        await self.app(scope, receive, tagging_send)

    @staticmethod
    async def _send_tagged(
        start: Message, body: bytes, if_none_match: str | None, send: Send
    ) -> None:
        tag = etag_of(body)
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        headers["ETag"] = tag
        if "cache-control" not in headers:
            headers["Cache-Control"] = CACHE_CONTROL
        if if_none_match is not None and EntityTags.parse(if_none_match).matches_weakly(tag):
            del headers["content-length"]
            del headers["content-type"]
            await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope["path"].rstrip("/").lower()
        try:
            conn = await self.locks.acquire(key)
        except SQLAlchemyError:
            logger.warning("no write lock for %s %s", scope["method"], scope["path"])
            unavailable = problem(
                503,
                "service_unavailable",
                "The database is not answering; try again shortly",
                headers={"Retry-After": "5"},
            )
            await unavailable(scope, receive, send)
            return
        try:
            if_match = _header(scope, b"if-match")
            expected = EntityTags.parse(if_match) if if_match is not None else None
            # A header naming no entity-tag at all is malformed: treated as absent.
            if (
                expected is not None
                and (expected.any or expected.tags)
                and not await self._if_match_holds(scope, receive, send, expected)
            ):
                return
            if expected is None:
                await self.app(scope, receive, send)
            else:
                await self._write_and_tag(scope, receive, send)
        finally:
            await self.locks.release(key, conn)

    async def _write_and_tag(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a conditional write; a 200 answer whose body is exactly what a GET of the URL
        now returns carries that GET's ETag, so the client can write again without a GET."""
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def holding_send(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start" and _taggable(message):
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            else:
                await send(message)

        await self.app(scope, receive, holding_send)
        if start is None:
            return
        body = b"".join(chunks)
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        if complete:
            current_start, current = await self._current(scope)
            if current_start["status"] == 200 and current == body:
                headers["ETag"] = etag_of(body)
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _if_match_holds(
        self, scope: Scope, receive: Receive, send: Send, expected: EntityTags
    ) -> bool:
        """True when the write may go ahead; otherwise the refusal has been sent."""
        start, body = await self._current(scope)
        status = start["status"]
        if status in (401, 403) or status >= 500:
            # The caller may not read it (or the service is failing): answer as the GET did.
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return False
        if 400 <= status < 500:
            # Nothing to compare with (a missing kitchen, a malformed id): the write answers
            # as it would without the header (RFC 9110 §13.2.2). Resources written by PUT
            # (a day's meal counts) are never deleted, so a tag a client holds always meets
            # a current representation; a PUT creating a new one is not held back.
            return True
        current = etag_of(body) if status == 200 else None
        if expected.matches_strongly(current):
            return True
        refusal = problem(
            412,
            "precondition_failed",
            "The resource has changed since it was read (If-Match does not match its "
            "current ETag); GET it again, then retry with the new ETag",
        )
        await refusal(scope, receive, send)
        return False

    async def _current(self, scope: Scope) -> tuple[Message, bytes]:
        """The app's answer to a GET of the same URL with the same credentials."""
        sub: Scope = {
            **scope,
            "method": "GET",
            "headers": [(k, v) for k, v in scope["headers"] if k not in _NOT_FOR_SUBREQUEST],
        }
        if "state" in scope:
            sub["state"] = dict(scope["state"])
        sent_request = False
        start: Message = {"type": "http.response.start", "status": 500, "headers": []}
        chunks: list[bytes] = []

        async def empty_receive() -> Message:
            nonlocal sent_request
            if sent_request:
                return {"type": "http.disconnect"}
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(sub, empty_receive, collect)
        return start, b"".join(chunks)
