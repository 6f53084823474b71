"""Users: creation by admin, listing, updates, the first admin at start-up."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Role, User, UserKitchen
from app.core.errors import Conflict, Invalid
from app.core.pagination import PageParams, paginate
from app.core.security import hashing
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.users.models import UserCreate, UserPublic, UserUpdate


class UsernameTaken(Conflict):
    code = "username_taken"
    description = "Another user has this username"


class UnknownKitchen(Invalid):
    code = "unknown_kitchen"
    description = "A user's kitchen_ids names a kitchen that does not exist"


class LastAdmin(Conflict):
    code = "last_admin"
    description = "The change would leave no active admin"


async def kitchens_of_users(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Managed kitchens for many users in one query."""
    result: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if user_ids:
        stmt = select(UserKitchen).where(col(UserKitchen.user_id).in_(user_ids))
        for link in await session.exec(stmt):
            result[link.user_id].append(link.kitchen_id)
    return result


def to_public(user: User, kitchen_ids: list[uuid.UUID]) -> UserPublic:
    """The API shape of a user: never the password hash."""
    data = user.model_dump(exclude={"password_hash", "token_version", "version"})
    return UserPublic.model_validate({**data, "kitchen_ids": sorted(kitchen_ids)})


async def _check_kitchens(
    session: AsyncSession, role: Role, kitchen_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(kitchen_ids))
    if ids and role is not Role.kitchen_manager:
        raise Invalid(
            "kitchen_ids apply only to the kitchen_manager role", loc=["body", "kitchen_ids"]
        )
    if ids:
        found = set((await session.exec(select(Kitchen.id).where(col(Kitchen.id).in_(ids)))).all())
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise UnknownKitchen(
                f"unknown kitchen ids: {', '.join(missing)}", loc=["body", "kitchen_ids"]
            )
    return ids


async def _set_kitchens(
    session: AsyncSession, user_id: uuid.UUID, kitchen_ids: list[uuid.UUID]
) -> None:
    await session.exec(delete(UserKitchen).where(col(UserKitchen.user_id) == user_id))
    for kid in kitchen_ids:
        session.add(UserKitchen(user_id=user_id, kitchen_id=kid))


async def create_user(session: AsyncSession, *, data: UserCreate) -> UserPublic:
    """A new user; usernames are unique."""
    if (await session.exec(select(User).where(User.username == data.username))).first():
        raise UsernameTaken(f"Username {data.username!r} is taken")
    kitchen_ids = await _check_kitchens(session, data.role, data.kitchen_ids)
    user = User(
        username=data.username,
        password_hash=await hashing.hash(data.password),
        full_name=data.full_name,
        role=data.role,
        region_code=data.region_code,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise UsernameTaken(f"Username {data.username!r} is taken") from exc
    await _set_kitchens(session, user.id, kitchen_ids)
    await session.flush()
    return to_public(user, kitchen_ids)


async def list_users(
    session: AsyncSession, *, page: PageParams
) -> tuple[list[UserPublic], str | None]:
    """A page of users."""
    rows, cursor = await paginate(session, select(User), User, page)
    kitchens = await kitchens_of_users(session, [u.id for u in rows])
    return [to_public(u, kitchens.get(u.id, [])) for u in rows], cursor


async def get_user(session: AsyncSession, *, user: User) -> UserPublic:
    """The API shape of one user."""
    kitchens = await kitchens_of_users(session, [user.id])
    return to_public(user, kitchens.get(user.id, []))


async def _ensure_another_admin(session: AsyncSession, user: User) -> None:
    """409 `last_admin` unless an active admin other than `user` remains."""
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, col(User.active).is_(True), User.id != user.id)
    )
    if not others:
        raise LastAdmin("This is the last active admin; make another admin first")


async def update_user(session: AsyncSession, *, user: User, data: UserUpdate) -> UserPublic:
    """Apply the fields sent. Changing the password, role, kitchens or region, or
    deactivating the user, ends every token issued before (§11)."""
    changes = data.model_dump(exclude_unset=True)
    role = Role(changes.get("role") or user.role)
    if user.role == Role.admin and user.active and (
        role is not Role.admin or changes.get("active") is False
    ):
        await _ensure_another_admin(session, user)
    revokes = False
    if "kitchen_ids" in changes or "role" in changes:
        current = (await kitchens_of_users(session, [user.id])).get(user.id, [])
        wanted = changes.get("kitchen_ids")
        if wanted is None:
            wanted = current if role is Role.kitchen_manager else []
        wanted = await _check_kitchens(session, role, wanted)
        if set(wanted) != set(current):
            revokes = True
            await _set_kitchens(session, user.id, wanted)
    if "password" in changes:
        user.password_hash = await hashing.hash(changes["password"])
        revokes = True
    if "role" in changes and changes["role"] != user.role:
        user.role = changes["role"]
        revokes = True
    if "region_code" in changes and changes["region_code"] != user.region_code:
        user.region_code = changes["region_code"]
        revokes = True
    if "active" in changes and changes["active"] != user.active:
        user.active = changes["active"]
        revokes = True
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if revokes:
        user.token_version += 1
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
    return await get_user(session, user=user)


async def ensure_first_admin(session: AsyncSession, *, username: str, password: str) -> bool:
    """Create the first admin unless a user of that name exists; True if created."""
    if (await session.exec(select(User).where(User.username == username))).first():
        return False
    session.add(
        User(
            username=username,
            password_hash=await hashing.hash(password),
            full_name="Administrator",
            role=Role.admin,
        )
    )
    await session.flush()
    return True
