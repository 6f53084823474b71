"""Throttling password guessing: failed logins counted per username and per client.

Failures are rows in the database, so every worker process and every replica sees the
same counts. The window slides: a key is blocked while it has `limit` failures younger
than the window, and frees up when the oldest of them ages out (that wait is the
Retry-After). Blocked attempts are refused before the password is checked and are not
recorded, so an attacker cannot push the block further out, and a blocked unknown
username looks exactly like a blocked real one.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.auth.models import LoginFailure
from app.core.config import Settings
from app.core.errors import DomainError


class TooManyLoginAttempts(DomainError):
    status, code = 429, "too_many_login_attempts"


@dataclass(frozen=True)
class ThrottleKeys:
    """The counters one login attempt is charged to."""

    username: str
    client: str


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def keys_for(*, username: str, client: str) -> ThrottleKeys:
    """Counter keys for a username (case-insensitive) and a client address."""
    return ThrottleKeys(
        username=_hashed("username", username.strip().casefold()),
        client=_hashed("client", client),
    )


def _seconds_until_free(
    session: Session, *, key: str, limit: int, window: timedelta, now: datetime
) -> int:
    recent = session.exec(
        select(LoginFailure.created_at)
        .where(LoginFailure.key == key, LoginFailure.created_at > now - window)
        .order_by(col(LoginFailure.created_at).desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return 0
    # The limit-th newest failure is the one whose ageing out frees a slot.
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


def ensure_allowed(
    session: Session, *, keys: ThrottleKeys, settings: Settings, now: datetime
) -> None:
    """429 with Retry-After when the username or the client has no attempts left."""
    window = timedelta(seconds=settings.login_window_seconds)
    wait = max(
        _seconds_until_free(
            session, key=keys.username, limit=settings.login_max_failures, window=window, now=now
        ),
        _seconds_until_free(
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


def record_failure(
    session: Session, *, keys: ThrottleKeys, settings: Settings, now: datetime
) -> None:
    """Count a failed attempt against both keys, and drop failures older than the window."""
    cutoff = now - timedelta(seconds=settings.login_window_seconds)
    session.exec(delete(LoginFailure).where(col(LoginFailure.created_at) <= cutoff))
    session.add_all(
        [
            LoginFailure(key=keys.username, created_at=now, updated_at=now),
            LoginFailure(key=keys.client, created_at=now, updated_at=now),
        ]
    )
    session.flush()


def forget_username(session: Session, *, keys: ThrottleKeys) -> None:
    """Clear the username's failures after a successful login (the client's stay)."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.key) == keys.username))
