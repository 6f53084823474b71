"""Idempotency keys: who is calling, claiming a key, storing and replaying the response.

Each function runs inside a short transaction of its own, opened by the middleware; none
commits. The unique constraint on (principal, key) decides races between retries.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fastapi.security.utils import get_authorization_scheme_param
from sqlmodel import Session, col, delete, select, update

from app.auth.service import principal_from_api_key, principal_from_token
from app.core.config import Settings
from app.core.errors import NotAuthenticated
from app.idempotency.models import IdempotencyRecord

IN_PROGRESS = "in_progress"
DONE = "done"
# An in-progress record older than this belongs to a request that died with its process
# (requests give up on the database after seconds); a retry may take the key over.
IN_PROGRESS_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Claim:
    """What to do with a request that carries a key."""

    outcome: Literal["run", "replay", "in_progress", "reused"]
    record_id: uuid.UUID | None = None
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None


def request_hash(*, method: str, path: str, query: bytes, body: bytes) -> str:
    """SHA-256 over what makes two requests "the same request"."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def caller_of(
    session: Session, *, authorization: str | None, api_key: str | None, settings: Settings
) -> str | None:
    """The stable name of the authenticated caller, as auth resolves it; None if anonymous."""
    try:
        if api_key:
            return principal_from_api_key(session, api_key).audit_key
        scheme, token = get_authorization_scheme_param(authorization)
        if scheme.lower() == "bearer" and token:
            return principal_from_token(session, token, settings=settings).audit_key
    except NotAuthenticated:
        return None
    return None


def claim_key(
    session: Session, *, principal: str, key: str, request_hash: str, now: datetime, ttl: timedelta
) -> Claim:
    """Start a request under `key`, or say why it must not run (raises IntegrityError on a
    concurrent first use: the caller retries and then sees the winner's record)."""
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).first()
    if record is not None and record.expires_at <= now:
        session.delete(record)
        session.flush()
        record = None
    if record is None:
        record = IdempotencyRecord(
            principal=principal, key=key, request_hash=request_hash, expires_at=now + ttl
        )
        session.add(record)
        session.flush()
        return Claim(outcome="run", record_id=record.id)
    if record.request_hash != request_hash:
        return Claim(outcome="reused")
    if record.state == DONE:
        return Claim(
            outcome="replay",
            status=record.response_status,
            body=record.response_body or b"",
            content_type=record.response_content_type,
        )
    if record.updated_at <= now - IN_PROGRESS_LEASE and _take_over(session, record, now=now):
        return Claim(outcome="run", record_id=record.id)
    return Claim(outcome="in_progress")


def _take_over(session: Session, record: IdempotencyRecord, *, now: datetime) -> bool:
    result = session.exec(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.id) == record.id,
            col(IdempotencyRecord.state) == IN_PROGRESS,
            col(IdempotencyRecord.updated_at) == record.updated_at,
        )
        .values(updated_at=now)
    )
    return result.rowcount == 1


def finish_key(
    session: Session, *, record_id: uuid.UUID, status: int, body: bytes, content_type: str | None
) -> None:
    """Store the response a key's request produced, for replays."""
    session.exec(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == record_id)
        .values(
            state=DONE,
            response_status=status,
            response_body=body,
            response_content_type=content_type,
        )
    )


def release_key(session: Session, *, record_id: uuid.UUID) -> None:
    """Forget a key whose request failed, so the client's retry runs it afresh."""
    session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record_id))


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete every expired record; the number deleted."""
    result = session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now))
    return result.rowcount
