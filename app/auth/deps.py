"""The caller of a request and the role gates every route declares."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth.models import Principal, Role
from app.auth.service import principal_from_api_key, principal_from_token
from app.core.config import Settings
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Forbidden, NotAuthenticated
from app.core.openapi import tag_roles

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


def authenticate(
    request: Request, session: Session, settings: Settings, presented: Credentials
) -> Principal:
    """Whoever the credentials name, once per request; 401 when there are none or bad ones.

    Blocking (it reads the database): call it from a worker thread. Dependencies that also
    load something call it in the same thread hop as their own query (see kitchen_access).
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    if presented.api_key:
        principal = principal_from_api_key(session, presented.api_key)
    elif presented.token:
        principal = principal_from_token(session, presented.token, settings=settings)
    else:
        raise NotAuthenticated()
    request.state.principal = principal
    return principal


async def current_principal(
    request: Request, session: SessionDep, settings: SettingsDep, presented: CredentialsDep
) -> Principal:
    """Whoever the credentials name; 401 when there are none or they are bad."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    return await run_in_threadpool(authenticate, request, session, settings, presented)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets only the named roles through (403 for the others)."""
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"The {principal.role.value} role may not do this", code="role_forbidden"
            )
        return principal

    return tag_roles(check, allowed)


AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
