"""Kitchen staff: records, filters and deactivation (history is kept)."""

from sqlmodel import Session, select

from app.core.pagination import PageParams, paginate
from app.kitchens.models import Kitchen
from app.staff.models import Staff, StaffCreate, StaffRole, StaffUpdate


def create_staff(session: Session, *, kitchen: Kitchen, data: StaffCreate) -> Staff:
    """A new, active staff member of `kitchen`."""
    staff = Staff(kitchen_id=kitchen.id, **data.model_dump())
    session.add(staff)
    session.flush()
    return staff


def list_staff(
    session: Session,
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
    return paginate(session, stmt, Staff, page)


def update_staff(session: Session, *, staff: Staff, data: StaffUpdate) -> Staff:
    """Apply the fields the client sent; assignments already made keep their role."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(staff, field, value)
    session.add(staff)
    session.flush()
    return staff


def deactivate_staff(session: Session, *, staff: Staff) -> None:
    """Mark the staff member inactive; their assignments and hours stay on record."""
    if staff.active:
        staff.active = False
        session.add(staff)
        session.flush()
