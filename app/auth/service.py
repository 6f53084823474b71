"""Authentication: passwords, bearer tokens and API keys to a Principal."""

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import throttle
from app.auth.models import ApiKey, Principal, Role, Token, User, UserKitchen
from app.core.audit import login_event
from app.core.config import Settings
from app.core.db import table_of
from app.core.errors import InvalidApiKey, InvalidCredentials, InvalidToken
from app.core.security import create_access_token, decode_access_token, hash_api_key, hashing
from app.core.types import utcnow

# Every request authenticates, so each look-up is one statement built once, reading plain
# rows. The user's row is read on every request, never cached: deactivating a user or
# changing its password takes effect at once.
_users, _user_kitchens, _api_keys = table_of(User), table_of(UserKitchen), table_of(ApiKey)
_PRINCIPAL_OF_USER = (
    select(
        _users.c.username,
        _users.c.full_name,
        _users.c.role,
        _users.c.region_code,
        _user_kitchens.c.kitchen_id,
    )
    .select_from(_users.outerjoin(_user_kitchens, _user_kitchens.c.user_id == _users.c.id))
    .where(
        _users.c.id == bindparam("user_id"),
        _users.c.token_version == bindparam("token_version"),
        _users.c.active.is_(True),
    )
)
_PRINCIPAL_OF_API_KEY = select(
    _api_keys.c.id, _api_keys.c.name, _api_keys.c.role, _api_keys.c.region_code
).where(_api_keys.c.key_hash == bindparam("key_hash"), _api_keys.c.revoked_at.is_(None))
_USER_BY_NAME = select(User).where(_users.c.username == bindparam("username"))


async def principal_from_token(
    session: AsyncSession, token: str, *, settings: Settings
) -> Principal:
    """The active user a bearer token names, with the kitchens it manages; else 401."""
    decoded = decode_access_token(token, secret=settings.secret_key)
    if decoded is None:
        raise InvalidToken("Invalid or expired token")
    principal = await principal_of_user(session, *decoded)
    if principal is None:
        raise InvalidToken("Invalid or expired token")
    return principal


async def principal_of_user(
    session: AsyncSession, user_id: uuid.UUID, token_version: int
) -> Principal | None:
    """The active user whose token version is still `token_version`, with the kitchens it
    manages; None when the user is gone, inactive or its tokens were revoked since.

    Bearer tokens and the dashboard's session cookie (app/dashboard) both end here, so
    revocation (a moved token version) applies to both alike.
    """
    rows = (
        await session.execute(
            _PRINCIPAL_OF_USER, {"user_id": user_id, "token_version": token_version}
        )
    ).all()
    if not rows:
        return None
    user = rows[0]
    return Principal(
        kind="user",
        id=user_id,
        name=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        region_code=user.region_code,
        kitchen_ids=frozenset(r.kitchen_id for r in rows if r.kitchen_id is not None),
    )


async def principal_from_api_key(session: AsyncSession, key: str) -> Principal:
    """The machine client an unrevoked API key belongs to, else 401."""
    row = (await session.execute(_PRINCIPAL_OF_API_KEY, {"key_hash": hash_api_key(key)})).first()
    if row is None:
        raise InvalidApiKey("Invalid or revoked API key")
    return Principal(
        kind="api_key", id=row.id, name=row.name, role=Role(row.role), region_code=row.region_code
    )


@dataclass(frozen=True)
class LoginAttempt:
    """An attempt counted against its limits, and the account it names (if any)."""

    reservation: throttle.Reservation
    user_id: uuid.UUID | None
    username: str | None
    password_hash: str | None
    token_version: int
    active: bool


async def begin_login(
    session: AsyncSession, *, username: str, client: str, settings: Settings
) -> LoginAttempt:
    """Count the attempt (429 when none is left) and find the account it names.

    The caller commits before the password is checked, so concurrent attempts see this one.
    """
    keys = throttle.keys_for(username=username, client=client)
    reservation = await throttle.reserve(session, keys=keys, settings=settings, now=utcnow())
    user = (await session.execute(_USER_BY_NAME, {"username": username})).scalars().first()
    return LoginAttempt(
        reservation=reservation,
        user_id=user.id if user else None,
        username=user.username if user else None,
        password_hash=user.password_hash if user else None,
        token_version=user.token_version if user else 0,
        active=bool(user and user.active),
    )


async def check_password(attempt: LoginAttempt, password: str) -> bool:
    """Whether the password is the account's, within the process's hashing bound (503
    beyond it); the same time is spent when there is no such account."""
    return await hashing.verify(password, attempt.password_hash)


async def finish_login(
    session: AsyncSession, attempt: LoginAttempt, *, ok: bool, path: str, settings: Settings
) -> Token:
    """Answer a checked attempt: a token, or 401 (the attempt stays counted, audited)."""
    if attempt.user_id is None or not ok or not attempt.active:
        session.add(
            login_event(
                user_id=attempt.user_id, username=None, succeeded=False, path=path, status=401
            )
        )
        raise InvalidCredentials("Incorrect username or password")
    await throttle.succeeded(session, attempt.reservation)
    session.add(
        login_event(
            user_id=attempt.user_id,
            username=attempt.username,
            succeeded=True,
            path=path,
            status=200,
        )
    )
    token = create_access_token(
        attempt.user_id,
        token_version=attempt.token_version,
        secret=settings.secret_key,
        minutes=settings.access_token_minutes,
    )
    return Token(access_token=token, expires_in=settings.access_token_minutes * 60)


async def forget_attempt(session: AsyncSession, attempt: LoginAttempt) -> None:
    """Uncount an attempt whose password was never checked (the hashing bound refused it)."""
    await throttle.release(session, attempt.reservation)
