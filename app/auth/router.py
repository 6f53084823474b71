"""HTTP for logging in and for the caller's own identity."""

from typing import Annotated

from fastapi import Form, Request

from app.auth import service
from app.auth.deps import AnyPrincipal
from app.auth.models import Me, Token
from app.auth.throttle import TooManyLoginAttempts
from app.core.db import begin_writing
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import DomainError, Invalid, InvalidCredentials, problems
from app.core.routing import api_router
from app.core.security import HashingBusy

router = api_router(tags=["auth"])

_FORM_HINT = (
    "Log in with a form (Content-Type: application/x-www-form-urlencoded) carrying "
    "`username` and `password`, as OAuth2's password flow says; a JSON body is not read, "
    "e.g. curl -d 'username=siti&password=...' .../api/v1/auth/token"
)


@router.post(
    "/auth/token",
    summary="Log in with username and password (OAuth2 password form)",
    responses=problems(InvalidCredentials, TooManyLoginAttempts, HashingBusy),
)
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str | None, Form(max_length=256)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
) -> Token:
    """The one route whose work spans two transactions: the attempt is counted and
    committed before the password is checked, so no burst of guesses outruns the limit;
    the password is checked with no transaction open; the outcome (a failure's audit
    event included) is committed whatever it is."""
    if not username or not password:
        raise Invalid(_FORM_HINT, loc=["body", "username" if not username else "password"])
    attempt = await service.begin_login(
        session,
        username=username,
        client=request.client.host if request.client else "unknown",
        settings=settings,
    )
    await session.commit()
    try:
        ok = await service.check_password(attempt, password)
    except HashingBusy:
        await begin_writing(session)
        await service.forget_attempt(session, attempt)
        await session.commit()
        raise
    await begin_writing(session)
    try:
        return await service.finish_login(
            session, attempt, ok=ok, path=request.url.path, settings=settings
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
