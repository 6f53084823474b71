"""HTTP for shifts, assignments, clocking in and out, and the timesheet."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from app.core.deps import SessionDep
from app.core.openapi import conflicts
from app.core.pagination import Page, PageDep
from app.core.schemas import IsoDate
from app.kitchens.deps import ManagedKitchen
from app.shifts import service
from app.shifts.deps import ManagedAssignment, ManagedShift
from app.shifts.models import (
    AssignmentCreate,
    AssignmentPublic,
    ClockEvent,
    ShiftCreate,
    ShiftPublic,
    ShiftUpdate,
    Timesheet,
)

router = APIRouter(tags=["shifts"])

FromDate = Annotated[
    IsoDate | None, Query(alias="from", description="First kitchen-local date of the shift start")
]
ToDate = Annotated[
    IsoDate | None, Query(description="Last kitchen-local date of the shift start (inclusive)")
]
OptionalClock = Annotated[ClockEvent | None, Body()]


@router.post(
    "/kitchens/{kitchen_id}/shifts",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a shift with the roles it needs",
)
def create_shift(kitchen: ManagedKitchen, data: ShiftCreate, session: SessionDep) -> ShiftPublic:
    return service.create_shift(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/shifts", summary="List a kitchen's shifts")
def list_shifts(
    kitchen: ManagedKitchen,
    session: SessionDep,
    page: PageDep,
    from_: FromDate = None,
    to: ToDate = None,
) -> Page[ShiftPublic]:
    items, cursor = service.list_shifts(session, kitchen=kitchen, first=from_, last=to, page=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/shifts/{shift_id}", summary="Get a shift with its assignments and coverage")
def get_shift(shift: ManagedShift, session: SessionDep) -> ShiftPublic:
    return service.get_shift(session, shift=shift)


@router.patch(
    "/shifts/{shift_id}",
    summary="Change a shift's name, times or requirements",
    responses=conflicts(
        "shift_overlap", "certificate_expired", "weekly_hours_exceeded", "role_not_required"
    ),
)
def update_shift(shift: ManagedShift, data: ShiftUpdate, session: SessionDep) -> ShiftPublic:
    return service.update_shift(session, shift=shift, data=data)


@router.delete(
    "/shifts/{shift_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a shift and its assignments",
    responses=conflicts("attendance_recorded"),
)
def delete_shift(shift: ManagedShift, session: SessionDep) -> Response:
    service.delete_shift(session, shift=shift)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/shifts/{shift_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    summary="Assign a staff member to a shift",
    responses=conflicts(
        "staff_inactive",
        "already_assigned",
        "shift_overlap",
        "certificate_expired",
        "weekly_hours_exceeded",
        "role_not_required",
    ),
)
def create_assignment(
    shift: ManagedShift, data: AssignmentCreate, session: SessionDep
) -> AssignmentPublic:
    assignment = service.assign(session, shift=shift, staff_id=data.staff_id)
    return AssignmentPublic.model_validate(assignment, from_attributes=True)


@router.delete(
    "/shifts/{shift_id}/assignments/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a staff member off a shift",
    responses=conflicts("attendance_recorded"),
)
def delete_assignment(
    shift: ManagedShift, assignment_id: uuid.UUID, session: SessionDep
) -> Response:
    service.unassign(session, shift=shift, assignment_id=assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/assignments/{assignment_id}/clock-in",
    summary="Clock in (default: now)",
    responses=conflicts("clock_state"),
)
def clock_in(
    assignment: ManagedAssignment, session: SessionDep, data: OptionalClock = None
) -> AssignmentPublic:
    at = data.at if data is not None else None
    assignment = service.clock_in(session, assignment=assignment, at=at)
    return AssignmentPublic.model_validate(assignment, from_attributes=True)


@router.post(
    "/assignments/{assignment_id}/clock-out",
    summary="Clock out (default: now)",
    responses=conflicts("clock_state"),
)
def clock_out(
    assignment: ManagedAssignment, session: SessionDep, data: OptionalClock = None
) -> AssignmentPublic:
    at = data.at if data is not None else None
    assignment = service.clock_out(session, assignment=assignment, at=at)
    return AssignmentPublic.model_validate(assignment, from_attributes=True)


@router.get(
    "/kitchens/{kitchen_id}/timesheet",
    summary="Shifts and hours per staff member (default: the current ISO week)",
)
def get_timesheet(
    kitchen: ManagedKitchen, session: SessionDep, from_: FromDate = None, to: ToDate = None
) -> Timesheet:
    return service.timesheet(session, kitchen=kitchen, first=from_, last=to)
