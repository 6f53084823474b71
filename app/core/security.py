"""Password hashing, signed access tokens and API-key hashing."""

import hashlib
import secrets
import uuid
from datetime import timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.types import utcnow

_hasher = PasswordHash.recommended()  # argon2id with the library's recommended cost
_DUMMY_HASH = _hasher.hash("dapur-timing-equaliser")


def use_fast_hashing() -> None:
    """Cheap argon2 parameters for ENVIRONMENT=test only, so suites can create many users."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    _DUMMY_HASH = _hasher.hash("dapur-timing-equaliser")


ALGORITHM = "HS256"
API_KEY_PREFIX = "dpr_"


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; spends the same time when there is no user."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


def create_access_token(user_id: uuid.UUID, *, secret: str, minutes: int) -> str:
    """A signed bearer token for the user that expires after `minutes`."""
    now = utcnow()
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> uuid.UUID | None:
    """The user id in a valid, unexpired token, else None."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def new_api_key() -> str:
    """A fresh random API key, shown to the admin once."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 of the key: keys are long random strings, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()
