"""The caller of a request, and the role gates built from access policies."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from app.auth.models import Principal
from app.auth.policy import ADMINISTRATION, ANYONE, Policy
from app.auth.service import principal_from_api_key, principal_from_token
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import NotAuthenticated, RoleForbidden
from app.core.openapi import document_access

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass(frozen=True)
class Credentials:
    """What the request presents: a bearer token, an API key, or neither."""

    token: str | None
    api_key: str | None


async def credentials(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Credentials:
    """The request's credentials, unchecked (the OpenAPI security schemes hang on this)."""
    return Credentials(token=token, api_key=api_key)


CredentialsDep = Annotated[Credentials, Depends(credentials)]


async def current_principal(
    request: Request, session: SessionDep, settings: SettingsDep, presented: CredentialsDep
) -> Principal:
    """Whoever the credentials name, once per request; 401 when there are none or bad ones.

    The principal is kept on `request.state` for what runs after the route's own checks:
    the audit trail and idempotency keys.
    """
    if presented.api_key:
        principal = await principal_from_api_key(session, presented.api_key)
    elif presented.token:
        principal = await principal_from_token(session, presented.token, settings=settings)
    else:
        raise NotAuthenticated()
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def ensure_allowed(principal: Principal, policy: Policy) -> None:
    """403 unless the caller's role is one the policy admits."""
    if principal.role not in policy.roles:
        raise RoleForbidden(f"The {principal.role.value} role may not do this")


def gate(policy: Policy) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only the policy's roles (403 for the others)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        ensure_allowed(principal, policy)
        return principal

    return document_access(check, policy)


AnyPrincipal = Annotated[Principal, Depends(gate(ANYONE))]
AdminPrincipal = Annotated[Principal, Depends(gate(ADMINISTRATION))]
