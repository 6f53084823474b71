"""HTTP for users (admin only)."""

import uuid

from fastapi import APIRouter, status

from app.auth.deps import AdminPrincipal
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.pagination import Page, PageDep
from app.users import service
from app.users.models import User, UserCreate, UserPublic, UserUpdate

router = APIRouter(tags=["users"])


def _load(session: SessionDep, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User")
    return user


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admin)",
    responses={409: {"description": "`username_taken`"}},
)
def create_user(_: AdminPrincipal, data: UserCreate, session: SessionDep) -> UserPublic:
    return service.create_user(session, data=data)


@router.get("/users", summary="List users (admin)")
def list_users(_: AdminPrincipal, session: SessionDep, page: PageDep) -> Page[UserPublic]:
    items, cursor = service.list_users(session, page=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/users/{user_id}", summary="Get a user (admin)")
def get_user(_: AdminPrincipal, user_id: uuid.UUID, session: SessionDep) -> UserPublic:
    return service.get_user(session, user=_load(session, user_id))


@router.patch("/users/{user_id}", summary="Update or deactivate a user (admin)")
def update_user(
    _: AdminPrincipal, user_id: uuid.UUID, data: UserUpdate, session: SessionDep
) -> UserPublic:
    return service.update_user(session, user=_load(session, user_id), data=data)
