"""Kitchens: creation, scoped listing, updates."""

from sqlalchemy import ColumnElement, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal, Role
from app.core.errors import Conflict
from app.core.pagination import PageParams, paginate
from app.core.regions import region_filter
from app.kitchens.models import Kitchen, KitchenCreate, KitchenUpdate


class KitchenCodeTaken(Conflict):
    code = "kitchen_code_taken"
    description = "Another kitchen has this code"


def scope_filter(principal: Principal) -> ColumnElement[bool]:
    """SQL restricting kitchens to those the caller may see."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.kitchen_manager:
        return col(Kitchen.id).in_(principal.kitchen_ids)
    return region_filter(Kitchen.region_code, principal.region_code)


async def _ensure_code_free(
    session: AsyncSession, code: str, *, exclude: Kitchen | None = None
) -> None:
    other = (await session.exec(select(Kitchen).where(Kitchen.code == code))).first()
    if other is not None and other is not exclude:
        raise KitchenCodeTaken(f"Kitchen code {code!r} is already taken")


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race
        raise KitchenCodeTaken("Kitchen code is already taken") from exc


async def create_kitchen(session: AsyncSession, *, data: KitchenCreate) -> Kitchen:
    """A new kitchen; its code must be unused."""
    await _ensure_code_free(session, data.code)
    kitchen = Kitchen(**data.model_dump())
    session.add(kitchen)
    await _flush(session)
    return kitchen


async def list_kitchens(
    session: AsyncSession, *, principal: Principal, region_code: str | None, page: PageParams
) -> tuple[list[Kitchen], str | None]:
    """The kitchens the caller may see, optionally within a region."""
    stmt = select(Kitchen).where(scope_filter(principal))
    if region_code:
        stmt = stmt.where(region_filter(Kitchen.region_code, region_code))
    return await paginate(session, stmt, Kitchen, page)


async def update_kitchen(
    session: AsyncSession, *, kitchen: Kitchen, data: KitchenUpdate
) -> Kitchen:
    """Apply the fields the client sent."""
    changes = data.model_dump(exclude_unset=True)
    if "code" in changes and changes["code"] != kitchen.code:
        await _ensure_code_free(session, changes["code"], exclude=kitchen)
    for field, value in changes.items():
        setattr(kitchen, field, value)
    session.add(kitchen)
    await _flush(session)
    return kitchen
