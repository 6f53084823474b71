"""Authentication: passwords, bearer tokens and API keys to a Principal."""

from contextlib import contextmanager

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.apikeys.models import ApiKey
from app.audit.service import record_login
from app.auth import throttle
from app.auth.models import Principal, Role
from app.core.config import Settings
from app.core.db import session_scope, table_of
from app.core.errors import NotAuthenticated
from app.core.security import (
    create_access_token,
    decode_access_token,
    hash_api_key,
    verify_password,
)
from app.core.types import utcnow
from app.users.models import Token, User, UserKitchen

_transaction = contextmanager(session_scope)


def login(
    engine: Engine,
    *,
    username: str,
    password: str,
    client: str,
    path: str,
    settings: Settings,
) -> Token:
    """A token for valid, active credentials; one answer for every kind of failure.

    Runs its own transaction, committed whatever the outcome, so a failed attempt is
    counted (and audited) even though the request then answers 401.
    """
    keys = throttle.keys_for(username=username, client=client)
    token: str | None = None
    with _transaction(engine) as session:
        now = utcnow()
        throttle.ensure_allowed(session, keys=keys, settings=settings, now=now)
        user = session.exec(select(User).where(User.username == username)).first()
        ok = verify_password(password, user.password_hash if user else None)
        if user is None or not ok or not user.active:
            throttle.record_failure(session, keys=keys, settings=settings, now=now)
            record_login(session, user=user, succeeded=False, path=path, status=401)
        else:
            throttle.forget_username(session, keys=keys)
            record_login(session, user=user, succeeded=True, path=path, status=200)
            token = create_access_token(
                user.id, secret=settings.secret_key, minutes=settings.access_token_minutes
            )
    if token is None:
        raise NotAuthenticated("Incorrect username or password", code="invalid_credentials")
    return Token(access_token=token, expires_in=settings.access_token_minutes * 60)


# Every request authenticates, so both look-ups are one Core statement each: plain rows,
# no ORM objects (an ORM load cost several times the query itself). The user's state is
# read on every request, never cached, so deactivating a user takes effect at once.
_users, _user_kitchens, _api_keys = (
    table_of(User),
    table_of(UserKitchen),
    table_of(ApiKey),
)
_PRINCIPAL_OF_USER = (
    sa_select(
        _users.c.username,
        _users.c.role,
        _users.c.region_code,
        _users.c.active,
        _user_kitchens.c.kitchen_id,
    )
    .select_from(_users.outerjoin(_user_kitchens, _user_kitchens.c.user_id == _users.c.id))
    .where(_users.c.id == bindparam("user_id"))
)
_PRINCIPAL_OF_API_KEY = sa_select(
    _api_keys.c.id,
    _api_keys.c.name,
    _api_keys.c.role,
    _api_keys.c.region_code,
    _api_keys.c.revoked_at,
).where(_api_keys.c.key_hash == bindparam("key_hash"))


def principal_from_token(session: Session, token: str, *, settings: Settings) -> Principal:
    """The active user a bearer token names, with the kitchens it manages; else 401."""
    invalid = NotAuthenticated("Invalid or expired token", code="invalid_token")
    user_id = decode_access_token(token, secret=settings.secret_key)
    if user_id is None:
        raise invalid
    rows = session.execute(_PRINCIPAL_OF_USER, {"user_id": user_id}).all()
    if not rows or not rows[0].active:
        raise invalid
    user = rows[0]
    return Principal(
        kind="user",
        id=user_id,
        name=user.username,
        role=Role(user.role),
        region_code=user.region_code,
        kitchen_ids=frozenset(r.kitchen_id for r in rows if r.kitchen_id is not None),
    )


def principal_from_api_key(session: Session, key: str) -> Principal:
    """The machine client an unrevoked API key belongs to, else 401."""
    api_key = session.execute(_PRINCIPAL_OF_API_KEY, {"key_hash": hash_api_key(key)}).first()
    if api_key is None or api_key.revoked_at is not None:
        raise NotAuthenticated("Invalid or revoked API key", code="invalid_api_key")
    return Principal(
        kind="api_key",
        id=api_key.id,
        name=api_key.name,
        role=Role(api_key.role),
        region_code=api_key.region_code,
    )
