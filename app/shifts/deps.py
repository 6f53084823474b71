"""Loading shifts and assignments the caller may reach: admin and the kitchen's managers."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.deps import CurrentPrincipal
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.kitchens.deps import KITCHEN_STAFF, ensure_role, scoped_object
from app.kitchens.models import Kitchen
from app.shifts.models import Assignment, Shift


def managed_shift(shift_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> Shift:
    """The shift; 403 for office roles, 404 outside the caller's kitchens."""
    shift, _ = scoped_object(session, principal, Shift, shift_id, roles=KITCHEN_STAFF, what="Shift")
    return shift


def managed_assignment(
    assignment_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Assignment:
    """The assignment, reached through its shift's kitchen: 403 for offices, else 404."""
    ensure_role(principal, KITCHEN_STAFF)
    assignment = session.get(Assignment, assignment_id)
    shift = session.get(Shift, assignment.shift_id) if assignment is not None else None
    kitchen = session.get(Kitchen, shift.kitchen_id) if shift is not None else None
    if (
        assignment is None
        or kitchen is None
        or not principal.can_see_kitchen(kitchen.id, kitchen.region_code)
    ):
        raise NotFound("Assignment")
    return assignment


ManagedShift = Annotated[Shift, Depends(managed_shift)]
ManagedAssignment = Annotated[Assignment, Depends(managed_assignment)]
