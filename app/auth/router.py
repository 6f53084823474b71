"""HTTP for logging in and for the caller's own identity."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.deps import AnyPrincipal
from app.auth.models import Me, Token
from app.auth.throttle import TooManyLoginAttempts
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import DomainError, InvalidCredentials, problems
from app.core.routing import api_router
from app.core.security import HashingBusy

router = api_router(tags=["auth"])


@router.post(
    "/auth/token",
    summary="Log in with username and password (OAuth2 password form)",
    responses=problems(InvalidCredentials, TooManyLoginAttempts, HashingBusy),
)
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """The one route whose work spans two transactions: the attempt is counted and
    committed before the password is checked, so no burst of guesses outruns the limit;
    the outcome (and a failure's audit event) is committed whatever it is."""
    attempt = await service.begin_login(
        session,
        username=form.username,
        client=request.client.host if request.client else "unknown",
        settings=settings,
    )
    await session.commit()
    try:
        return await service.finish_login(
            session, attempt, password=form.password, path=request.url.path, settings=settings
        )
    except DomainError:
        await session.commit()
        raise


@router.get("/me", summary="Who am I")
async def me(principal: AnyPrincipal) -> Me:
    return Me(
        id=principal.id,
        username=principal.name,
        full_name=principal.full_name or principal.name,
        role=principal.role,
        kitchen_ids=sorted(principal.kitchen_ids),
        region_code=principal.region_code,
    )
