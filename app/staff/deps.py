"""Loading a staff member the caller may reach: admin and the kitchen's own managers."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.deps import CurrentPrincipal
from app.core.deps import SessionDep
from app.kitchens.deps import KITCHEN_STAFF, scoped_object
from app.staff.models import Staff


def managed_staff(staff_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> Staff:
    """The staff member, 403 for office roles, 404 outside the caller's kitchens."""
    staff, _ = scoped_object(session, principal, Staff, staff_id, roles=KITCHEN_STAFF, what="Staff")
    return staff


ManagedStaff = Annotated[Staff, Depends(managed_staff)]
