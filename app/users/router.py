"""HTTP for users (admin only)."""

from typing import Annotated

from fastapi import Depends, status

from app.auth.deps import AdminPrincipal
from app.auth.models import User
from app.auth.policy import ADMINISTRATION
from app.core.conditional import ConditionalDep, version_tag
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.kitchens.access import row_loader
from app.users import service
from app.users.models import UserCreate, UserPublic, UserUpdate
from app.users.service import LastAdmin, UnknownKitchen, UsernameTaken

router = api_router(tags=["users"])

ManagedUser = Annotated[
    User, Depends(row_loader(ADMINISTRATION, User, param="user_id", what="User"))
]


def _tag(user: User) -> str:
    return version_tag("users", user.id, user.version)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admin)",
    responses=problems(UsernameTaken, UnknownKitchen),
)
async def create_user(_: AdminPrincipal, data: UserCreate, session: SessionDep) -> UserPublic:
    return await service.create_user(session, data=data)


@router.get("/users", summary="List users (admin)")
async def list_users(_: AdminPrincipal, session: SessionDep, page: PageDep) -> Page[UserPublic]:
    items, cursor = await service.list_users(session, page=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/users/{user_id}", summary="Get a user (admin)")
async def get_user(user: ManagedUser, session: SessionDep, cond: ConditionalDep) -> UserPublic:
    cond.tag(_tag(user))
    return await service.get_user(session, user=user)


@router.patch(
    "/users/{user_id}",
    summary="Update or deactivate a user (admin); ends the user's earlier tokens",
    responses=problems(UnknownKitchen, LastAdmin),
)
async def update_user(
    user: ManagedUser, data: UserUpdate, session: SessionDep, cond: ConditionalDep
) -> UserPublic:
    public = await service.update_user(session, user=user, data=data)
    cond.tag(_tag(user))
    return public
