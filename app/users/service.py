"""Users: creation by admin, listing, updates, the first admin at start-up."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.auth.models import Role
from app.core.errors import Conflict, Invalid
from app.core.pagination import PageParams, paginate
from app.core.security import hash_password
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.users.models import User, UserCreate, UserKitchen, UserPublic, UserUpdate


def kitchens_of_users(
    session: Session, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Managed kitchens for many users in one query."""
    result: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if user_ids:
        stmt = select(UserKitchen).where(col(UserKitchen.user_id).in_(user_ids))
        for link in session.exec(stmt):
            result[link.user_id].append(link.kitchen_id)
    return result


def to_public(user: User, kitchen_ids: list[uuid.UUID]) -> UserPublic:
    """The API shape of a user: never the password hash."""
    data = user.model_dump(exclude={"password_hash"})
    return UserPublic.model_validate({**data, "kitchen_ids": sorted(kitchen_ids)})


def _check_kitchens(session: Session, role: Role, kitchen_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(kitchen_ids))
    if ids and role is not Role.kitchen_manager:
        raise Invalid(
            "kitchen_ids apply only to the kitchen_manager role", loc=["body", "kitchen_ids"]
        )
    if ids:
        found = set(session.exec(select(Kitchen.id).where(col(Kitchen.id).in_(ids))).all())
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise Invalid(
                f"unknown kitchen ids: {', '.join(missing)}",
                loc=["body", "kitchen_ids"],
                code="unknown_kitchen",
            )
    return ids


def _set_kitchens(session: Session, user_id: uuid.UUID, kitchen_ids: list[uuid.UUID]) -> None:
    session.exec(delete(UserKitchen).where(col(UserKitchen.user_id) == user_id))
    for kid in kitchen_ids:
        session.add(UserKitchen(user_id=user_id, kitchen_id=kid))


def create_user(session: Session, *, data: UserCreate) -> UserPublic:
    """A new user; usernames are unique."""
    if session.exec(select(User).where(User.username == data.username)).first():
        raise Conflict(f"Username {data.username!r} is taken", code="username_taken")
    kitchen_ids = _check_kitchens(session, data.role, data.kitchen_ids)
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        full_name=data.full_name,
        role=data.role,
        region_code=data.region_code,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Username {data.username!r} is taken", code="username_taken") from exc
    _set_kitchens(session, user.id, kitchen_ids)
    session.flush()
    return to_public(user, kitchen_ids)


def list_users(session: Session, *, page: PageParams) -> tuple[list[UserPublic], str | None]:
    """A page of users."""
    rows, cursor = paginate(session, select(User), User, page)
    kitchens = kitchens_of_users(session, [u.id for u in rows])
    return [to_public(u, kitchens.get(u.id, [])) for u in rows], cursor


def get_user(session: Session, *, user: User) -> UserPublic:
    """The API shape of one user."""
    return to_public(user, kitchens_of_users(session, [user.id]).get(user.id, []))


def update_user(session: Session, *, user: User, data: UserUpdate) -> UserPublic:
    """Apply the fields sent; `active: false` locks the user out at once."""
    changes = data.model_dump(exclude_unset=True)
    role = Role(changes.get("role") or user.role)
    if "kitchen_ids" in changes or "role" in changes:
        current = kitchens_of_users(session, [user.id]).get(user.id, [])
        wanted = changes.get("kitchen_ids")
        if wanted is None:
            wanted = current if role is Role.kitchen_manager else []
        _set_kitchens(session, user.id, _check_kitchens(session, role, wanted))
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
    for field in ("full_name", "role", "active"):
        if changes.get(field) is not None:
            setattr(user, field, changes[field])
    if "region_code" in changes:
        user.region_code = changes["region_code"]
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return get_user(session, user=user)


def ensure_first_admin(session: Session, *, username: str, password: str) -> bool:
    """Create the first admin unless a user of that name exists; True if created."""
    if session.exec(select(User).where(User.username == username)).first():
        return False
    session.add(
        User(
            username=username,
            password_hash=hash_password(password),
            full_name="Administrator",
            role=Role.admin,
        )
    )
    session.flush()
    return True
