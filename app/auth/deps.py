"""The caller of a request and the role gates every route declares."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from app.auth.models import Principal, Role
from app.auth.service import principal_from_api_key, principal_from_token
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Forbidden, NotAuthenticated
from app.core.openapi import tag_roles

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Whoever the credentials name; 401 when there are none or they are bad."""
    if api_key:
        principal = principal_from_api_key(session, api_key)
    elif token:
        principal = principal_from_token(session, token, settings=settings)
    else:
        raise NotAuthenticated()
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only the named roles through (403 for the others)."""
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"The {principal.role.value} role may not do this", code="role_forbidden"
            )
        return principal

    return tag_roles(check, allowed)


AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
