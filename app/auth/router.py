"""HTTP for logging in and for the caller's own identity."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.deps import CurrentPrincipal
from app.core.deps import EngineDep, SessionDep, SettingsDep
from app.users.models import Me, Token, User

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    summary="Log in with username and password (OAuth2 password form)",
    responses={
        401: {"description": "Incorrect username or password"},
        429: {"description": "Too many failed logins for this username or client; see Retry-After"},
    },
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    engine: EngineDep,
    settings: SettingsDep,
) -> Token:
    return service.login(
        engine,
        username=form.username,
        password=form.password,
        client=request.client.host if request.client else "unknown",
        path=request.url.path,
        settings=settings,
    )


@router.get("/me", summary="Who am I")
def me(principal: CurrentPrincipal, session: SessionDep) -> Me:
    if principal.kind == "user":
        user = session.get(User, principal.id)
        full_name = user.full_name if user else principal.name
        username = principal.name
    else:
        full_name = username = principal.name
    return Me(
        id=principal.id,
        username=username,
        full_name=full_name,
        role=principal.role,
        kitchen_ids=sorted(principal.kitchen_ids),
        region_code=principal.region_code,
    )
