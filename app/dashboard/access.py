"""Who is looking at the dashboard, and what of the programme they may see.

The viewer comes from the session cookie only: bearer tokens and API keys never open a
page (machine clients have the API). Scope comes from the API's own access policies
(app/auth/policy.py) and its own scope rule (`Principal.can_see_kitchen`, regions from
app/core/regions.py): a role a page's policy does not admit gets 403, and a region or
kitchen outside the viewer's scope gets 404, so nobody learns what lies beyond it.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.deps import ensure_allowed
from app.auth.models import Principal
from app.auth.policy import Policy
from app.auth.service import principal_of_user
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import NotFound
from app.core.regions import REGION_CODE_RE, region_contains
from app.dashboard.session import (
    SESSION_COOKIE,
    SessionClaims,
    issue_session,
    needs_renewal,
    read_session,
)
from app.kitchens.access import visible
from app.kitchens.models import Kitchen

# Where a renewed session cookie waits for the response (app/dashboard/pages.py sets it).
RENEWED_SESSION = "dashboard_renewed_session"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user and the session they are signed in with."""

    principal: Principal
    session: SessionClaims


async def current_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    """The user the session cookie names, still holding the token version it was issued
    with; otherwise the browser is sent to sign in. A session past half its life is
    re-issued with the same id (the page's response carries the new cookie)."""
    value = request.cookies.get(SESSION_COOKIE)
    claims = read_session(value, secret=settings.secret_key) if value else None
    if claims is None:
        raise SignInRequired()
    principal = await principal_of_user(session, claims.user_id, claims.token_version)
    if principal is None:
        raise SignInRequired()
    request.state.principal = principal
    request.state.viewer_session_id = claims.session_id
    if needs_renewal(claims):
        setattr(
            request.state,
            RENEWED_SESSION,
            issue_session(
                principal.id,
                token_version=claims.token_version,
                secret=settings.secret_key,
                minutes=settings.access_token_minutes,
                session_id=claims.session_id,
            ),
        )
    return Viewer(principal=principal, session=claims)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def may(principal: Principal, policy: Policy) -> bool:
    """Whether the principal's role is one the policy admits (for links and panels)."""
    return principal.role in policy.roles


def region_in_scope(principal: Principal, policy: Policy, region: str | None) -> str | None:
    """The region a page covers: the one asked for, or the viewer's own (the nation for
    admin). 403 for a role the policy does not admit; 404 for a malformed region or one
    outside the viewer's."""
    ensure_allowed(principal, policy)
    own = None if principal.is_admin else principal.region_code
    if region is None or region == "":
        return own
    if not REGION_CODE_RE.match(region) or not region_contains(own, region):
        raise NotFound("Region")
    return region


async def kitchen_in_scope(
    session: AsyncSession, principal: Principal, policy: Policy, kitchen_id: uuid.UUID
) -> Kitchen:
    """The kitchen, under the policy: 403 for another role, 404 when missing or outside
    the viewer's scope (the API's loaders answer the same)."""
    ensure_allowed(principal, policy)
    kitchen = await session.get(Kitchen, kitchen_id)
    if kitchen is None or not visible(principal, kitchen):
        raise NotFound("Kitchen")
    return kitchen
