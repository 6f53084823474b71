"""Loading a staff member the caller may reach: admin and the kitchen's own managers."""

from typing import Annotated

from fastapi import Depends

from app.auth.policy import OPS_WRITE
from app.kitchens.access import loader, row_tag
from app.staff.models import Staff

# Staff records hold personal data: read and written under the same policy.
ManagedStaff = Annotated[
    Staff, Depends(loader(OPS_WRITE, Staff, param="staff_id", what="Staff", tag=row_tag))
]
