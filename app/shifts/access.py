"""Loading shifts and assignments the caller may reach: admin and the kitchen's managers.

Writes lock what they load (app/kitchens/access.py). A clock-in and the deletion of the
same assignment therefore run one after the other: a deletion that comes second sees the
clock-in and is refused, a clock-in that comes second finds no assignment (404).
"""

from typing import Annotated, Any

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.policy import OPS_WRITE
from app.core.conditional import version_tag
from app.kitchens.access import loader
from app.kitchens.models import Kitchen
from app.shifts.models import Assignment, Shift


async def shift_tag(_: AsyncSession, shift: Shift, kitchen: Kitchen | Any) -> str:
    """A shift's ETag: its version (moved by its assignments too) and the kitchen's time
    zone, which gives the shift its `local_date`."""
    return version_tag("shifts", shift.id, shift.version, kitchen.timezone)


# GET, PATCH and DELETE of a shift (If-Match on its tag).
ManagedShift = Annotated[
    Shift, Depends(loader(OPS_WRITE, Shift, param="shift_id", what="Shift", tag=shift_tag))
]
# A shift to put someone on.
StaffedShift = Annotated[Shift, Depends(loader(OPS_WRITE, Shift, param="shift_id", what="Shift"))]
# An assignment, reached through its shift's kitchen.
ManagedAssignment = Annotated[
    Assignment,
    Depends(
        loader(
            OPS_WRITE,
            Assignment,
            param="assignment_id",
            what="Assignment",
            kitchen_id=Shift.kitchen_id,
            joins=((Shift, Shift.id == Assignment.shift_id),),
        )
    ),
]
