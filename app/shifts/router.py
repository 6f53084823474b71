"""HTTP for shifts, assignments, clocking in and out, and the timesheet."""

import uuid
from typing import Annotated

from fastapi import Body, Query, Response, status

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import IsoDate
from app.kitchens.access import ManagedKitchen
from app.shifts import service
from app.shifts.access import ManagedAssignment, ManagedShift, StaffedShift, shift_tag
from app.shifts.models import (
    AssignmentCreate,
    AssignmentPublic,
    ClockEvent,
    ShiftCreate,
    ShiftPublic,
    ShiftUpdate,
    Timesheet,
)
from app.shifts.service import (
    AlreadyAssigned,
    AttendanceRecorded,
    CertificateExpired,
    ClockState,
    RoleNotRequired,
    ShiftOverlap,
    StaffInactive,
    WeeklyHoursExceeded,
)

router = api_router(tags=["shifts"])

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
async def create_shift(
    kitchen: ManagedKitchen, data: ShiftCreate, session: SessionDep
) -> ShiftPublic:
    return await service.create_shift(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/shifts", summary="List a kitchen's shifts")
async def list_shifts(
    kitchen: ManagedKitchen,
    session: SessionDep,
    page: PageDep,
    from_: FromDate = None,
    to: ToDate = None,
) -> Page[ShiftPublic]:
    items, cursor = await service.list_shifts(
        session, kitchen=kitchen, first=from_, last=to, page=page
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/shifts/{shift_id}", summary="Get a shift with its assignments and coverage")
async def get_shift(shift: ManagedShift, session: SessionDep, cond: ConditionalDep) -> ShiftPublic:
    cond.tag(await shift_tag(session, shift, await service.kitchen_of(session, shift)))
    return await service.get_shift(session, shift=shift)


@router.patch(
    "/shifts/{shift_id}",
    summary="Change a shift's name, times or requirements",
    responses=problems(ShiftOverlap, CertificateExpired, WeeklyHoursExceeded, RoleNotRequired),
)
async def update_shift(
    shift: ManagedShift, data: ShiftUpdate, session: SessionDep, cond: ConditionalDep
) -> ShiftPublic:
    public = await service.update_shift(session, shift=shift, data=data)
    cond.tag(await shift_tag(session, shift, await service.kitchen_of(session, shift)))
    return public


@router.delete(
    "/shifts/{shift_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a shift and its assignments",
    responses=problems(AttendanceRecorded),
)
async def delete_shift(shift: ManagedShift, session: SessionDep) -> Response:
    await service.delete_shift(session, shift=shift)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/shifts/{shift_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    summary="Assign a staff member to a shift",
    responses=problems(
        StaffInactive,
        AlreadyAssigned,
        ShiftOverlap,
        CertificateExpired,
        WeeklyHoursExceeded,
        RoleNotRequired,
    ),
)
async def create_assignment(
    shift: StaffedShift, data: AssignmentCreate, session: SessionDep
) -> AssignmentPublic:
    assignment = await service.assign(session, shift=shift, staff_id=data.staff_id)
    return AssignmentPublic.model_validate(assignment)


@router.delete(
    "/shifts/{shift_id}/assignments/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a staff member off a shift (refused once they clocked in)",
    responses=problems(AttendanceRecorded),
)
async def delete_assignment(
    shift_id: uuid.UUID, assignment: ManagedAssignment, session: SessionDep
) -> Response:
    await service.unassign(session, assignment=assignment, shift_id=shift_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/assignments/{assignment_id}/clock-in",
    summary="Clock in (default: now)",
    responses=problems(ClockState),
)
async def clock_in(
    assignment: ManagedAssignment, session: SessionDep, data: OptionalClock = None
) -> AssignmentPublic:
    at = data.at if data is not None else None
    assignment = await service.clock_in(session, assignment=assignment, at=at)
    return AssignmentPublic.model_validate(assignment)


@router.post(
    "/assignments/{assignment_id}/clock-out",
    summary="Clock out (default: now)",
    responses=problems(ClockState),
)
async def clock_out(
    assignment: ManagedAssignment, session: SessionDep, data: OptionalClock = None
) -> AssignmentPublic:
    at = data.at if data is not None else None
    assignment = await service.clock_out(session, assignment=assignment, at=at)
    return AssignmentPublic.model_validate(assignment)


@router.get(
    "/kitchens/{kitchen_id}/timesheet",
    summary="Shifts and hours per staff member (default: the current ISO week)",
)
async def get_timesheet(
    kitchen: ManagedKitchen, session: SessionDep, from_: FromDate = None, to: ToDate = None
) -> Timesheet:
    return await service.timesheet(session, kitchen=kitchen, first=from_, last=to)
