"""Kitchen staff: records, filters and deactivation (history is kept)."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.pagination import PageParams, paginate
from app.kitchens.models import Kitchen
from app.staff.models import Staff, StaffCreate, StaffRole, StaffUpdate


async def create_staff(session: AsyncSession, *, kitchen: Kitchen, data: StaffCreate) -> Staff:
    """A new, active staff member of `kitchen`."""
    staff = Staff(kitchen_id=kitchen.id, **data.model_dump())
    session.add(staff)
    await session.flush()
    return staff


async def list_staff(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    role: StaffRole | None,
    active: bool | None,
    page: PageParams,
) -> tuple[list[Staff], str | None]:
    """A page of a kitchen's staff, optionally of one role or activity state."""
    stmt = select(Staff).where(Staff.kitchen_id == kitchen.id)
    if role is not None:
        stmt = stmt.where(Staff.role == role)
    if active is not None:
        stmt = stmt.where(Staff.active == active)
    return await paginate(session, stmt, Staff, page)


async def update_staff(session: AsyncSession, *, staff: Staff, data: StaffUpdate) -> Staff:
    """Apply the fields the client sent; assignments already made keep their role."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(staff, field, value)
    session.add(staff)
    await session.flush()
    return staff


async def deactivate_staff(session: AsyncSession, *, staff: Staff) -> None:
    """Mark the staff member inactive; their assignments and hours stay on record."""
    if staff.active:
        staff.active = False
        session.add(staff)
        await session.flush()
