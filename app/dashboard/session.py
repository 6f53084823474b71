"""The dashboard's sign-in state: a signed, expiring session cookie and CSRF tokens.

Stateless: the cookie is a token signed with a key derived from SECRET_KEY, naming the
user, the user's `token_version` when it was issued (so changing the password, role,
kitchens or region, or deactivating the user, ends every session as it ends every bearer
token), a random session id and an expiry. It carries the audience `dapur-dashboard`, so
it is no bearer token for the API, and an API token is no session cookie.

CSRF: every form carries a token that is an HMAC of the session id (signed in) or of a
random nonce held in a separate cookie (the sign-in form, before any session exists): the
synchronizer-token pattern without server-side state. A cross-site page can neither read
the cookie nor compute the token.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from starlette.requests import Request
from starlette.responses import Response

from app.core.types import utcnow

SESSION_COOKIE = "dapur_session"
LOGIN_COOKIE = "dapur_login"
COOKIE_PATH = "/dashboard"
AUDIENCE = "dapur-dashboard"
ALGORITHM = "HS256"
# Minutes a login-form nonce lives: long enough to type a password, short enough to expire.
LOGIN_NONCE_MINUTES = 30


@dataclass(frozen=True)
class SessionClaims:
    """What a valid session cookie says."""

    user_id: uuid.UUID
    token_version: int
    session_id: str
    expires_at: datetime
    issued_at: datetime


def _key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, derived from SECRET_KEY (the API's tokens use SECRET_KEY)."""
    return hmac.new(secret.encode(), f"dapur-dashboard:{purpose}".encode(), hashlib.sha256).digest()


def issue_session(
    user_id: uuid.UUID,
    *,
    token_version: int,
    secret: str,
    minutes: int,
    session_id: str | None = None,
) -> str:
    """A session cookie value for the user, valid for `minutes`."""
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "tv": token_version,
        "sid": session_id or secrets.token_urlsafe(16),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, _key(secret, "session"), algorithm=ALGORITHM)


def read_session(value: str, *, secret: str) -> SessionClaims | None:
    """The claims of a valid, unexpired session cookie, else None."""
    try:
        claims = jwt.decode(
            value,
            _key(secret, "session"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "tv", "sid", "sub", "aud"]},
        )
        version, sid = claims["tv"], claims["sid"]
        if isinstance(version, bool) or not isinstance(version, int) or not isinstance(sid, str):
            return None
        return SessionClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            token_version=version,
            session_id=sid,
            expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
            issued_at=datetime.fromtimestamp(claims["iat"], tz=UTC),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


def needs_renewal(claims: SessionClaims) -> bool:
    """Whether more than half of the session's life has passed (it is then re-issued, so
    an officer at work is not signed out mid-task; an idle session still expires)."""
    lifetime = claims.expires_at - claims.issued_at
    return utcnow() >= claims.issued_at + lifetime / 2


def csrf_token(secret: str, *, session_id: str | None = None, nonce: str | None = None) -> str:
    """The token forms carry: bound to the session, or to the sign-in form's nonce."""
    subject = f"session:{session_id}" if session_id is not None else f"login:{nonce}"
    return hmac.new(_key(secret, "csrf"), subject.encode(), hashlib.sha256).hexdigest()


def csrf_valid(
    presented: str | None, secret: str, *, session_id: str | None = None, nonce: str | None = None
) -> bool:
    """Whether a form's token is the one its session (or nonce) calls for."""
    if not presented or (session_id is None and not nonce):
        return False
    expected = csrf_token(secret, session_id=session_id, nonce=nonce)
    return hmac.compare_digest(presented.encode(), expected.encode())


def new_nonce() -> str:
    """A random nonce for the sign-in form's CSRF cookie."""
    return secrets.token_urlsafe(24)


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (behind a proxy: uvicorn --proxy-headers)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, seconds: int) -> None:
    """A dashboard cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, for /dashboard only."""
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a dashboard cookie from the browser."""
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, samesite="lax", secure=is_https(request)
    )
