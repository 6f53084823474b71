"""Shifts, assignments and attendance: where shift conflicts are decided.

An assignment is refused by the first rule that fails, in this order:
404 (shift or staff member outside the caller's kitchens), `staff_inactive`,
`already_assigned`, `role_not_required`, `certificate_expired`, `shift_overlap`,
`weekly_hours_exceeded`. Changing a shift's times or requirements re-checks the rules
that the change can break for everyone already assigned, in the same order.

Concurrent writes of one kitchen run one after the other: every write loader locks what
it loads and counts the write in its kitchen's row (app/kitchens/access.py), so the rules
below read every write that committed before them (two managers assigning one person to
overlapping shifts: the second sees the first). Attendance, once recorded, is never lost:
an assignment or shift with a clock-in cannot be deleted (409 `attendance_recorded`).

A shift's assignments are part of its representation: each change of them touches the
shift, so its version (and ETag) moves.

Kitchen-local dates (of a shift's start) decide certificates, ISO weeks and the date
filters; everything is stored and returned in UTC.
"""

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, extract, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, Invalid, NotFound
from app.core.localtime import iso_week, local_date, local_today
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.shifts import queries
from app.shifts.models import (
    WEEKLY_HOURS_LIMIT,
    Assignment,
    Shift,
    ShiftCreate,
    ShiftPublic,
    ShiftUpdate,
    Timesheet,
    TimesheetRow,
    check_shift_window,
)
from app.staff.models import FOOD_HANDLING_ROLES, Staff, StaffRole

MAX_RANGE_DAYS = 366
_WEEK_LIMIT_SECONDS = WEEKLY_HOURS_LIMIT * 3600


# Problems ------------------------------------------------------------------------------


class StaffInactive(Conflict):
    code = "staff_inactive"
    description = "The staff member is deactivated"


class AlreadyAssigned(Conflict):
    code = "already_assigned"
    description = "The staff member is already on this shift"


class RoleNotRequired(Conflict):
    code = "role_not_required"
    description = "The shift's requirements do not name the staff member's role"


class CertificateExpired(Conflict):
    code = "certificate_expired"
    description = (
        "A food-handling role without a food handler certificate valid on the shift's "
        "kitchen-local date"
    )


class ShiftOverlap(Conflict):
    code = "shift_overlap"
    description = "The staff member is already on another shift at that time"


class WeeklyHoursExceeded(Conflict):
    code = "weekly_hours_exceeded"
    description = "The staff member's hours in the ISO week would exceed 58 (40 + 18 overtime)"


class AttendanceRecorded(Conflict):
    code = "attendance_recorded"
    description = "Someone clocked in on it: the attendance stays for the timesheet"


class ClockState(Conflict):
    code = "clock_state"
    description = "Clock-out before clock-in, before the clock-in time, or twice"


# Kitchen-local time ------------------------------------------------------------------


def kitchen_zone(kitchen: Kitchen) -> ZoneInfo:
    """The kitchen's time zone."""
    return ZoneInfo(kitchen.timezone)


def local_days_to_utc(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of the kitchen-local days `first` to `last` inclusive."""
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


def _hours(seconds: float) -> float:
    exact = Decimal(str(seconds)) / 3600
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _hours_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _duration_seconds(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    """SQL for the seconds from `start` to `end`, on SQLite and PostgreSQL alike."""
    if session.get_bind().dialect.name == "sqlite":
        # julianday is a double: rounding to the millisecond makes sums of whole minutes exact.
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
    return extract("epoch", end - start)


async def kitchen_of(session: AsyncSession, shift: Shift) -> Kitchen:
    """The kitchen of a shift a loader has just read (from the session, no statement)."""
    return await _kitchen_of(session, shift.kitchen_id)


async def _kitchen_of(session: AsyncSession, kitchen_id: uuid.UUID) -> Kitchen:
    kitchen = await session.get(Kitchen, kitchen_id)
    if kitchen is None:
        raise NotFound("Kitchen")
    return kitchen


async def _shift_of(session: AsyncSession, assignment: Assignment) -> Shift:
    shift = await session.get(Shift, assignment.shift_id)
    if shift is None:
        raise NotFound("Assignment")
    return shift


def _touch(session: AsyncSession, shift: Shift) -> None:
    """Count a change of the shift's assignments as a change of the shift (its ETag)."""
    shift.updated_at = utcnow()
    session.add(shift)


# The rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """A shift's time span with what the rules need to know about it locally."""

    starts_at: datetime
    ends_at: datetime
    zone: ZoneInfo
    local_date: date
    week_start: datetime
    week_end: datetime
    week_label: str

    @property
    def seconds(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds()


def _window(kitchen: Kitchen, starts_at: datetime, ends_at: datetime) -> _Window:
    zone = kitchen_zone(kitchen)
    day = local_date(starts_at, kitchen.timezone)
    monday, sunday, week = iso_week(day)
    week_start, week_end = local_days_to_utc(monday, sunday, zone)
    label = f"{week} ({monday:%a %Y-%m-%d} to {sunday:%a %Y-%m-%d})"
    return _Window(starts_at, ends_at, zone, day, week_start, week_end, label)


def _check_certificates(people: Sequence[tuple[Staff, str]], window: _Window) -> None:
    """Food handlers need a certificate valid on the shift's kitchen-local start date."""
    for staff, role in people:
        if role not in FOOD_HANDLING_ROLES:
            continue
        expires = staff.food_handler_cert_expires_on
        if expires is None:
            raise CertificateExpired(
                f"{staff.full_name} ({role}) has no food handler certificate on record; "
                f"record one valid on {window.local_date} or choose someone else",
                extra={"staff_id": str(staff.id), "expires_on": None},
            )
        if expires < window.local_date:
            raise CertificateExpired(
                f"The food handler certificate of {staff.full_name} ({role}) expired on "
                f"{expires}, before this shift's date {window.local_date}; renew it or "
                "choose someone else",
                extra={"staff_id": str(staff.id), "expires_on": expires.isoformat()},
            )


async def _check_overlaps(
    session: AsyncSession,
    staff: Sequence[Staff],
    window: _Window,
    *,
    exclude_shift_id: uuid.UUID,
) -> None:
    """Nobody may be on two shifts at once; a shift ending as another starts is fine."""
    names = {s.id: s.full_name for s in staff}
    stmt = (
        select(Assignment, Shift.name)
        .join(Shift, col(Shift.id) == col(Assignment.shift_id))
        .where(
            col(Assignment.staff_id).in_(list(names)),
            Assignment.starts_at < window.ends_at,
            Assignment.ends_at > window.starts_at,
            Assignment.shift_id != exclude_shift_id,
        )
        .order_by(col(Assignment.starts_at), col(Assignment.id))
        .limit(1)
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        return
    other, other_name = row
    zone = window.zone
    raise ShiftOverlap(
        f"{names[other.staff_id]} is already on shift '{other_name}' from "
        f"{_clock(other.starts_at, zone)} to {_clock(other.ends_at, zone)}, which overlaps "
        f"{_clock(window.starts_at, zone)} to {_clock(window.ends_at, zone)}; "
        "remove them from that shift first or choose someone else",
        extra={"staff_id": str(other.staff_id), "conflicting_shift_id": str(other.shift_id)},
    )


async def _check_weekly_hours(
    session: AsyncSession,
    staff: Sequence[Staff],
    window: _Window,
    *,
    exclude_shift_id: uuid.UUID,
) -> None:
    """Hours in the ISO week of the shift's start (kitchen-local) may not exceed the limit."""
    names = {s.id: s.full_name for s in staff}
    seconds = _duration_seconds(session, Assignment.starts_at, Assignment.ends_at)
    stmt = (
        select(Assignment.staff_id, func.sum(seconds))
        .where(
            col(Assignment.staff_id).in_(list(names)),
            Assignment.starts_at >= window.week_start,
            Assignment.starts_at < window.week_end,
            Assignment.shift_id != exclude_shift_id,
        )
        .group_by(col(Assignment.staff_id))
    )
    already = {staff_id: float(total or 0) for staff_id, total in (await session.exec(stmt)).all()}
    for person in sorted(staff, key=lambda s: s.id):
        before = already.get(person.id, 0.0)
        total = before + window.seconds
        if round(total, 3) > _WEEK_LIMIT_SECONDS:
            raise WeeklyHoursExceeded(
                f"{person.full_name} already has {_hours_text(before)} in ISO week "
                f"{window.week_label}; this shift ({_hours_text(window.seconds)}) would bring "
                f"the week to {_hours_text(total)}, over the limit of {WEEKLY_HOURS_LIMIT} h "
                "(40 regular + 18 overtime); choose someone else or shorten a shift",
                extra={
                    "staff_id": str(person.id),
                    "week_hours": _hours(total),
                    "limit_hours": WEEKLY_HOURS_LIMIT,
                },
            )


# Shifts -------------------------------------------------------------------------------


async def _assignments_of(session: AsyncSession, shift_id: uuid.UUID) -> list[Assignment]:
    """The assignments of one shift, as objects (to change them)."""
    stmt = (
        select(Assignment)
        .where(Assignment.shift_id == shift_id)
        .order_by(col(Assignment.created_at), col(Assignment.id))
    )
    return list((await session.exec(stmt)).all())


async def _assignment_rows(
    session: AsyncSession, shift_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The assignments of many shifts in one query, as plain rows (for reading only)."""
    result: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    if shift_ids:
        rows = await session.execute(queries.ASSIGNMENT_ROWS, {"shift_ids": list(shift_ids)})
        for row in rows.mappings().all():
            result[row["shift_id"]].append(dict(row))
    return result


def _to_public(
    shift: dict[str, Any], assignments: list[dict[str, Any]], timezone: str
) -> ShiftPublic:
    assigned = Counter(a["role"] for a in assignments)
    coverage = {
        role: {"required": required, "assigned": assigned[role]}
        for role, required in shift["requirements"].items()
    }
    # One validation of the whole nested shape: far cheaper than a model per assignment.
    return ShiftPublic.model_validate(
        {
            **shift,
            "local_date": local_date(shift["starts_at"], timezone),
            "assignments": assignments,
            "coverage": coverage,
            "fully_staffed": all(c["assigned"] >= c["required"] for c in coverage.values()),
        }
    )


async def shifts_public(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    shifts: Sequence[Shift] | Sequence[dict[str, Any]],
) -> list[ShiftPublic]:
    """The API shape of a kitchen's shifts (objects or plain rows): one query for them all."""
    fields = [s if isinstance(s, dict) else s.model_dump() for s in shifts]
    by_shift = await _assignment_rows(session, [f["id"] for f in fields])
    return [_to_public(f, by_shift.get(f["id"], []), kitchen.timezone) for f in fields]


async def day_shifts_public(
    session: AsyncSession, *, kitchen: Kitchen, day: date
) -> list[ShiftPublic]:
    """The shifts starting on one kitchen-local day, in start order, read as plain rows."""
    start, end = local_days_to_utc(day, day, kitchen_zone(kitchen))
    params = {"kitchen_id": kitchen.id, "start": start, "end": end}
    rows = (await session.execute(queries.SHIFTS_STARTING, params)).mappings().all()
    return await shifts_public(session, kitchen=kitchen, shifts=[dict(r) for r in rows])


async def get_shift(session: AsyncSession, *, shift: Shift) -> ShiftPublic:
    """The API shape of one shift."""
    kitchen = await _kitchen_of(session, shift.kitchen_id)
    return (await shifts_public(session, kitchen=kitchen, shifts=[shift]))[0]


async def create_shift(
    session: AsyncSession, *, kitchen: Kitchen, data: ShiftCreate
) -> ShiftPublic:
    """A new shift of `kitchen` with nobody assigned yet."""
    shift = Shift(
        kitchen_id=kitchen.id,
        name=data.name,
        starts_at=data.starts_at.astimezone(UTC),
        ends_at=data.ends_at.astimezone(UTC),
        requirements={str(role): n for role, n in data.requirements.items()},
    )
    session.add(shift)
    await session.flush()
    return _to_public(shift.model_dump(), [], kitchen.timezone)


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise Invalid("to must not be before from", loc=["query", "to"])
    if (last - first).days > MAX_RANGE_DAYS:
        raise Invalid(
            f"from and to may be at most {MAX_RANGE_DAYS} days apart", loc=["query", "to"]
        )


async def list_shifts(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    first: date | None,
    last: date | None,
    page: PageParams,
) -> tuple[list[ShiftPublic], str | None]:
    """A page of a kitchen's shifts starting on kitchen-local dates `first` to `last`."""
    if first is not None and last is not None and last < first:
        raise Invalid("to must not be before from", loc=["query", "to"])
    zone = kitchen_zone(kitchen)
    stmt = select(Shift).where(Shift.kitchen_id == kitchen.id)
    if first is not None:
        stmt = stmt.where(Shift.starts_at >= local_days_to_utc(first, first, zone)[0])
    if last is not None:
        stmt = stmt.where(Shift.starts_at < local_days_to_utc(last, last, zone)[1])
    rows, cursor = await paginate(session, stmt, Shift, page)
    return await shifts_public(session, kitchen=kitchen, shifts=rows), cursor


async def update_shift(session: AsyncSession, *, shift: Shift, data: ShiftUpdate) -> ShiftPublic:
    """Change a shift; the people on it must still fit every rule at the new times."""
    kitchen = await _kitchen_of(session, shift.kitchen_id)
    changes = data.model_dump(exclude_unset=True)
    starts_at: datetime = changes.get("starts_at", shift.starts_at).astimezone(UTC)
    ends_at: datetime = changes.get("ends_at", shift.ends_at).astimezone(UTC)
    problem = check_shift_window(starts_at, ends_at)
    if problem:
        loc = "ends_at" if "ends_at" in changes else "starts_at"
        raise Invalid(problem, loc=["body", loc])
    assignments = await _assignments_of(session, shift.id)

    if "requirements" in changes:
        requirements = {str(role): n for role, n in changes["requirements"].items()}
        orphaned = sorted({a.role for a in assignments} - set(requirements))
        if orphaned:
            raise RoleNotRequired(
                f"Staff are assigned to this shift as {', '.join(orphaned)}, which the new "
                "requirements do not name; remove those assignments first"
            )
        shift.requirements = requirements

    moved = starts_at != shift.starts_at or ends_at != shift.ends_at
    if moved and assignments:
        staff = await _staff(session, [a.staff_id for a in assignments])
        by_id = {s.id: s for s in staff}
        window = _window(kitchen, starts_at, ends_at)
        _check_certificates([(by_id[a.staff_id], a.role) for a in assignments], window)
        await _check_overlaps(session, staff, window, exclude_shift_id=shift.id)
        await _check_weekly_hours(session, staff, window, exclude_shift_id=shift.id)
        for a in assignments:
            a.starts_at, a.ends_at = starts_at, ends_at
            session.add(a)

    if "name" in changes:
        shift.name = changes["name"]
    shift.starts_at, shift.ends_at = starts_at, ends_at
    # requirements is a JSON column: reassigning marks it changed; touch updated_at as well.
    shift.updated_at = utcnow()
    session.add(shift)
    await session.flush()
    return (await shifts_public(session, kitchen=kitchen, shifts=[shift]))[0]


def _ensure_no_attendance(assignments: Iterable[Assignment], what: str) -> None:
    if any(a.clock_in_at is not None for a in assignments):
        raise AttendanceRecorded(
            f"Attendance has been recorded on this {what}; it stays for the timesheet"
        )


async def delete_shift(session: AsyncSession, *, shift: Shift) -> None:
    """Delete a shift and its assignments, unless someone clocked in on it."""
    _ensure_no_attendance(await _assignments_of(session, shift.id), "shift")
    await session.delete(shift)
    await session.flush()


# Assignments --------------------------------------------------------------------------


async def _staff(session: AsyncSession, staff_ids: Iterable[uuid.UUID]) -> list[Staff]:
    """Staff members by id, in id order."""
    ids = sorted(set(staff_ids))
    if not ids:
        return []
    stmt = select(Staff).where(col(Staff.id).in_(ids)).order_by(col(Staff.id))
    return list((await session.exec(stmt)).all())


async def assign(session: AsyncSession, *, shift: Shift, staff_id: uuid.UUID) -> Assignment:
    """Put a staff member of the shift's kitchen on it, if every rule allows."""
    kitchen = await _kitchen_of(session, shift.kitchen_id)
    found = await _staff(session, [staff_id])
    if not found or found[0].kitchen_id != shift.kitchen_id:
        raise NotFound("Staff")
    staff = found[0]
    if not staff.active:
        raise StaffInactive(
            f"{staff.full_name} is deactivated; re-activate them first or choose someone else"
        )
    existing = (
        await session.exec(
            select(Assignment).where(
                Assignment.shift_id == shift.id, Assignment.staff_id == staff.id
            )
        )
    ).first()
    if existing is not None:
        raise AlreadyAssigned(
            f"{staff.full_name} is already on this shift",
            extra={"assignment_id": str(existing.id)},
        )
    if staff.role not in shift.requirements:
        needed = ", ".join(sorted(shift.requirements)) or "no roles"
        raise RoleNotRequired(
            f"This shift needs {needed}; {staff.full_name} is a {staff.role}. "
            "Add the role to the shift's requirements or choose someone else"
        )
    window = _window(kitchen, shift.starts_at, shift.ends_at)
    _check_certificates([(staff, staff.role)], window)
    await _check_overlaps(session, [staff], window, exclude_shift_id=shift.id)
    await _check_weekly_hours(session, [staff], window, exclude_shift_id=shift.id)
    assignment = Assignment(
        shift_id=shift.id,
        staff_id=staff.id,
        role=staff.role,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
    )
    session.add(assignment)
    _touch(session, shift)
    try:
        await session.flush()
    except IntegrityError as exc:  # the unique (shift, staff) pair, should a race get here
        raise AlreadyAssigned(f"{staff.full_name} is already on this shift") from exc
    return assignment


async def unassign(session: AsyncSession, *, assignment: Assignment, shift_id: uuid.UUID) -> None:
    """Take someone off a shift, unless they already clocked in on it."""
    if assignment.shift_id != shift_id:
        raise NotFound("Assignment")
    _ensure_no_attendance([assignment], "assignment")
    await session.delete(assignment)
    _touch(session, await _shift_of(session, assignment))
    await session.flush()


async def clock_in(
    session: AsyncSession, *, assignment: Assignment, at: datetime | None
) -> Assignment:
    """Record when the staff member started work on this shift."""
    shift = await _shift_of(session, assignment)
    zone = kitchen_zone(await _kitchen_of(session, shift.kitchen_id))
    if assignment.clock_in_at is not None:
        raise ClockState(f"Already clocked in at {_clock(assignment.clock_in_at, zone)}")
    assignment.clock_in_at = (at or utcnow()).astimezone(UTC)
    session.add(assignment)
    _touch(session, shift)
    await session.flush()
    return assignment


async def clock_out(
    session: AsyncSession, *, assignment: Assignment, at: datetime | None
) -> Assignment:
    """Record when the staff member stopped work; they must have clocked in before."""
    shift = await _shift_of(session, assignment)
    zone = kitchen_zone(await _kitchen_of(session, shift.kitchen_id))
    if assignment.clock_in_at is None:
        raise ClockState("Clock in before clocking out")
    if assignment.clock_out_at is not None:
        raise ClockState(f"Already clocked out at {_clock(assignment.clock_out_at, zone)}")
    moment = (at or utcnow()).astimezone(UTC)
    if moment < assignment.clock_in_at:
        raise ClockState(
            f"Clock-out {_clock(moment, zone)} is before the clock-in "
            f"{_clock(assignment.clock_in_at, zone)}"
        )
    assignment.clock_out_at = moment
    session.add(assignment)
    _touch(session, shift)
    await session.flush()
    return assignment


# Timesheet ----------------------------------------------------------------------------


async def timesheet(
    session: AsyncSession, *, kitchen: Kitchen, first: date | None, last: date | None
) -> Timesheet:
    """Shifts and hours per staff member for shifts starting on kitchen-local `first`..`last`.

    Defaults to the kitchen's current ISO week. Every active staff member is listed, and
    deactivated ones who were assigned in the range (their history is kept).
    """
    zone = kitchen_zone(kitchen)
    if first is None:
        this_monday = iso_week(local_today(kitchen.timezone))[0]
        first = this_monday if last is None else last - timedelta(days=6)
    if last is None:
        last = first + timedelta(days=6)
    _check_range(first, last)
    lo, hi = local_days_to_utc(first, last, zone)

    scheduled = _duration_seconds(session, Assignment.starts_at, Assignment.ends_at)
    clocked = and_(
        col(Assignment.clock_in_at).is_not(None), col(Assignment.clock_out_at).is_not(None)
    )
    worked = case(
        (clocked, _duration_seconds(session, Assignment.clock_in_at, Assignment.clock_out_at)),
        else_=0,
    )
    n_shifts = func.count(col(Assignment.id))
    stmt = (
        select(
            Staff,
            n_shifts,
            func.coalesce(func.sum(scheduled), 0),
            func.coalesce(func.sum(worked), 0),
        )
        .outerjoin(
            Assignment,
            and_(
                col(Assignment.staff_id) == col(Staff.id),
                col(Assignment.starts_at) >= lo,
                col(Assignment.starts_at) < hi,
            ),
        )
        .where(Staff.kitchen_id == kitchen.id)
        # Grouping by the primary key is enough: the other staff columns depend on it.
        .group_by(col(Staff.id))
        .having(or_(col(Staff.active).is_(True), n_shifts > 0))
        .order_by(col(Staff.full_name), col(Staff.id))
    )
    items = [
        TimesheetRow(
            staff_id=staff.id,
            full_name=staff.full_name,
            role=StaffRole(staff.role),
            active=staff.active,
            shifts=count,
            scheduled_hours=_hours(float(sched)),
            worked_hours=_hours(float(work)),
        )
        for staff, count, sched, work in (await session.exec(stmt)).all()
    ]
    return Timesheet(from_=first, to=last, items=items)
