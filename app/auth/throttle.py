"""Throttling password guessing: login attempts counted per username and per client.

Attempts are rows in the database, so every worker process and every replica sees the
same counts. An attempt is counted *before* its password is checked (a reservation,
committed at once) and forgotten when it succeeds, so a burst of concurrent guesses can
never check more than the limit: at most `LOGIN_MAX_FAILURES` passwords per username and
window. The window slides: a key is blocked while it has `limit` attempts younger than
the window, and frees up when the oldest of them ages out (that wait is the Retry-After).
Blocked attempts are refused before any password is checked and are not counted.
"""

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import LoginFailure
from app.core.config import Settings
from app.core.errors import DomainError


class TooManyLoginAttempts(DomainError):
    status, code = 429, "too_many_login_attempts"
    description = "Too many failed logins for this username or client; see Retry-After"


@dataclass(frozen=True)
class ThrottleKeys:
    """The counters one login attempt is charged to."""

    username: str
    client: str


@dataclass(frozen=True)
class Reservation:
    """The rows counting one attempt, until it succeeds."""

    keys: ThrottleKeys
    row_ids: tuple[uuid.UUID, uuid.UUID]


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def keys_for(*, username: str, client: str) -> ThrottleKeys:
    """Counter keys for a username (case-insensitive) and a client address."""
    return ThrottleKeys(
        username=_hashed("username", username.strip().casefold()),
        client=_hashed("client", client),
    )


async def _seconds_until_free(
    session: AsyncSession, *, key: str, limit: int, window: timedelta, now: datetime
) -> int:
    recent: list[datetime] = list(
        (
            await session.execute(
                select(col(LoginFailure.created_at))
                .where(col(LoginFailure.key) == key, col(LoginFailure.created_at) > now - window)
                .order_by(col(LoginFailure.created_at).desc())
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    if len(recent) < limit:
        return 0
    # The limit-th newest attempt is the one whose ageing out frees a slot.
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


async def _lock(session: AsyncSession, keys: ThrottleKeys) -> None:
    """Serialise the attempts of one username and of one client until this one is counted.

    PostgreSQL: transaction-scoped advisory locks, in a fixed order. SQLite: a login's
    transaction holds the database's write lock from its start.
    """
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return
    for key in sorted((keys.username, keys.client)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:k)"),
            {"k": int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)},
        )


async def reserve(
    session: AsyncSession, *, keys: ThrottleKeys, settings: Settings, now: datetime
) -> Reservation:
    """Count an attempt before its password is checked; 429 with Retry-After if none is left."""
    await _lock(session, keys)
    window = timedelta(seconds=settings.login_window_seconds)
    await session.execute(delete(LoginFailure).where(col(LoginFailure.created_at) <= now - window))
    wait = max(
        await _seconds_until_free(
            session, key=keys.username, limit=settings.login_max_failures, window=window, now=now
        ),
        await _seconds_until_free(
            session,
            key=keys.client,
            limit=settings.login_max_failures_per_client,
            window=window,
            now=now,
        ),
    )
    if wait:
        raise TooManyLoginAttempts(
            f"Too many failed logins; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    rows = [LoginFailure(key=keys.username), LoginFailure(key=keys.client)]
    session.add_all(rows)
    await session.flush()
    return Reservation(keys=keys, row_ids=(rows[0].id, rows[1].id))


async def release(session: AsyncSession, reservation: Reservation) -> None:
    """Uncount an attempt whose password was never checked."""
    await session.execute(
        delete(LoginFailure).where(col(LoginFailure.id).in_(reservation.row_ids))
    )


async def succeeded(session: AsyncSession, reservation: Reservation) -> None:
    """A successful login clears its username's attempts and its own client count."""
    await session.execute(
        delete(LoginFailure).where(
            (col(LoginFailure.key) == reservation.keys.username)
            | (col(LoginFailure.id) == reservation.row_ids[1])
        )
    )

