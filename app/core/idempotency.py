"""`Idempotency-Key` on POST: the key, the work and the stored answer commit together.

Every POST route gets `claim_key` as its last dependency (app/core/routing.py), so it runs
after authentication and the route's own access checks: a replay is served only to a
caller who may still make the request. The claim is a row inserted in the request's own
transaction, inside a savepoint:

- a first request runs; its answer (a success, or a 4xx refusal) is stored in the same
  transaction as its work, so both commit or neither does;
- a request that fails with a 5xx or loses its database rolls back, and with it the
  claim: the client's retry runs afresh at once (no key is ever left "in progress");
- a concurrent retry waits on the key's unique index until the first ends, then replays
  its answer (PostgreSQL), or queues behind the first's write lock (SQLite);
- the same key with another request gets 422 `idempotency_key_reused`.

Keys belong to their caller (`Principal.audit_key`) and are kept `IDEMPOTENCY_TTL_HOURS`;
`python -m app purge-idempotency` deletes expired ones.
"""

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy import LargeBinary, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.audit import REFUSED
from app.core.errors import DomainError, Invalid
from app.core.models import IdTimestamps
from app.core.types import UTCDateTime, utcnow

HEADER = "idempotency-key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers larger than this are sent but not kept (the key is then forgotten).
MAX_STORED_BYTES = 1024 * 1024


class IdempotencyRecord(IdTimestamps, table=True):
    """A POST's answer, kept under its caller's key for replays."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    principal: str = Field(max_length=80)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    state: str = Field(default="in_progress", max_length=16)
    response_status: int | None = None
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    response_content_type: str | None = Field(default=None, max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class InvalidIdempotencyKey(Invalid):
    code = "invalid_idempotency_key"
    description = "The Idempotency-Key is not 1 to 255 visible ASCII characters"


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"
    description = "The Idempotency-Key was already used for a different request"


class Replay(Exception):
    """Raised by the claim to answer with a stored response (copied out of the record:
    the request's transaction rolls back before the answer is sent)."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.status = record.response_status or 200
        self.body = record.response_body or b""
        self.content_type = record.response_content_type


def replay_response(exc: Replay) -> Response:
    return Response(
        content=exc.body,
        status_code=exc.status,
        media_type=exc.content_type,
        headers={"Idempotent-Replayed": "true"},
    )


@dataclass
class Claim:
    """A key this request holds, in its own transaction."""

    session: AsyncSession
    record: IdempotencyRecord


def request_hash(*, method: str, path: str, query: bytes, body: bytes) -> str:
    """SHA-256 over what makes two requests "the same request"."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _existing(session: AsyncSession, principal: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.principal == principal,  # type: ignore[arg-type]
        IdempotencyRecord.key == key,  # type: ignore[arg-type]
    )
    return (await session.execute(stmt)).scalars().first()


async def claim(
    session: AsyncSession,
    *,
    principal: str,
    key: str,
    digest: str,
    ttl: timedelta,
) -> Claim:
    """Hold `key` for this request, or raise Replay / IdempotencyKeyReused."""
    now = utcnow()
    for _ in range(2):
        record = await _existing(session, principal, key)
        if record is not None and record.expires_at <= now:
            await session.delete(record)
            await session.flush()
            record = None
        if record is not None:
            if record.request_hash != digest:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used for a different request; "
                    "use a new key for a new request"
                )
            raise Replay(record)
        record = IdempotencyRecord(
            principal=principal, key=key, request_hash=digest, expires_at=now + ttl
        )
        try:
            async with session.begin_nested():
                session.add(record)
        except IntegrityError:
            # A concurrent first request held the key and committed: replay its answer.
            continue
        return Claim(session=session, record=record)
    raise AssertionError("an idempotency key was inserted twice and then not found")


async def claim_key(request: Request) -> Claim | None:
    """The dependency every POST route ends with: the request's hold on its key, if any."""
    key = request.headers.get(HEADER)
    principal = getattr(request.state, "principal", None)
    session: AsyncSession | None = getattr(request.state, "session", None)
    if key is None or principal is None or session is None:
        return None  # no key, or anonymous (logging in): nothing to keep
    if not VALID_KEY.match(key):
        raise InvalidIdempotencyKey(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
            loc=["header", "Idempotency-Key"],
        )
    digest = request_hash(
        method=request.method,
        path=request.url.path,
        query=request.scope.get("query_string", b""),
        body=await request.body(),
    )
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    return await claim(session, principal=principal.audit_key, key=key, digest=digest, ttl=ttl)


async def remember(claim: Claim, response: Response) -> None:
    """Keep `response` as the key's answer, in the request's transaction."""
    body = bytes(response.body)
    if len(body) > MAX_STORED_BYTES:
        await claim.session.delete(claim.record)  # too big to keep: forget the key
        return
    claim.record.state = "done"
    claim.record.response_status = response.status_code
    claim.record.response_body = body
    claim.record.response_content_type = response.headers.get("content-type")
    claim.session.add(claim.record)


async def run_once(
    claim: Claim,
    run: Callable[[], Awaitable[Any]],
    render_success: Callable[[Any], Response],
    render_refusal: Callable[[DomainError], Response],
) -> Response:
    """Run the route under its claim: its answer is kept with its work, or neither is.

    A refusal (4xx) undoes the route's work (to the savepoint) but keeps the refusal, so
    a retry is refused the same way. A failure (5xx) undoes the work and forgets the key,
    so the retry runs afresh; an exception propagates and rolls everything back.
    """
    savepoint = await claim.session.begin_nested()
    try:
        response = render_success(await run())
    except DomainError as refusal:
        if refusal.status >= 500:
            raise
        await savepoint.rollback()
        claim.session.info[REFUSED] = True  # nothing to audit: the write did not happen
        response = render_refusal(refusal)
    else:
        if response.status_code >= 500:
            await savepoint.rollback()
            claim.session.info[REFUSED] = True
            await claim.session.delete(claim.record)
            return response
        await savepoint.commit()
    await remember(claim, response)
    return response


async def purge_expired(session: AsyncSession, *, now: datetime) -> int:
    """Delete every expired record; the number deleted."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)  # type: ignore[arg-type]
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
