"""Password hashing, signed access tokens and API-key hashing."""

import hashlib
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import anyio
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.errors import ServiceUnavailable
from app.core.types import utcnow

T = TypeVar("T")

_RECOMMENDED = PasswordHash.recommended()  # argon2id at the library's cost: 64 MiB a hash
_FAST = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
_hasher = _RECOMMENDED
_DUMMY_HASH = _hasher.hash("dapur-timing-equaliser")


def use_fast_hashing(fast: bool = True) -> None:
    """Cheap argon2 parameters for ENVIRONMENT=test only, so suites can create many users;
    `fast=False` restores the recommended cost (every other environment)."""
    global _hasher, _DUMMY_HASH
    wanted = _FAST if fast else _RECOMMENDED
    if wanted is not _hasher:
        _hasher = wanted
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


def create_access_token(
    user_id: uuid.UUID, *, token_version: int, secret: str, minutes: int
) -> str:
    """A signed bearer token for the user that expires after `minutes`.

    `tv` is the user's token version when it was issued: the token is valid only while
    the user's row still holds it.
    """
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "tv": token_version,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> tuple[uuid.UUID, int] | None:
    """The user id and token version of a valid, unexpired token, else None."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "tv"]}
        )
        version = claims["tv"]
        if isinstance(version, bool) or not isinstance(version, int):
            return None
        return uuid.UUID(str(claims["sub"])), version
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


def new_api_key() -> str:
    """A fresh random API key, shown to the admin once."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 of the key: keys are long random strings, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()


class HashingBusy(ServiceUnavailable):
    code = "hashing_busy"
    description = "Too many passwords are being checked at once; retry after Retry-After"

    def __init__(self) -> None:
        super().__init__(
            "Too many logins at once; try again in a moment", headers={"Retry-After": "1"}
        )


class HashingGate:
    """Bounds the password hashes a process computes at once.

    Each argon2 hash holds 64 MiB while it runs: unbounded, forty concurrent logins took
    two workers past 2 GiB. At most `limit` hashes run (in worker threads, off the event
    loop) and `queue` more wait for a slot; anything beyond answers 503 with Retry-After
    at once, before any memory is taken. Thread primitives, so every event loop of the
    process (tests run several) shares one bound.
    """

    def __init__(self, limit: int, queue: int) -> None:
        self._admitted = threading.Lock()
        self._inside = 0  # hashes running or waiting for a slot
        self.configure(limit=limit, queue=queue)

    def configure(self, *, limit: int, queue: int) -> None:
        """Set the bound (at start-up, before any login)."""
        with self._admitted:
            self.limit = limit
            self.queue = queue
            self._slots = threading.BoundedSemaphore(limit)

    async def _run(self, work: Callable[[], T]) -> T:
        with self._admitted:
            if self._inside >= self.limit + self.queue:
                raise HashingBusy()
            self._inside += 1
            slots = self._slots

        def bounded() -> T:
            with slots:
                return work()

        try:
            return await anyio.to_thread.run_sync(bounded)
        finally:
            with self._admitted:
                self._inside -= 1

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """verify_password, within the bound."""
        return await self._run(lambda: verify_password(password, password_hash))

    async def hash(self, password: str) -> str:
        """hash_password, within the bound."""
        return await self._run(lambda: hash_password(password))


# Every app of the process shares the bound (create_app configures it from the settings).
hashing = HashingGate(limit=4, queue=8)
