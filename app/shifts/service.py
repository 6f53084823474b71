"""Shifts, assignments and attendance: where shift conflicts are decided.

An assignment is refused by the first rule that fails, in this order:
404 (shift or staff member outside the caller's kitchens), `staff_inactive`,
`already_assigned`, `role_not_required`, `certificate_expired`, `shift_overlap`,
`weekly_hours_exceeded`. Changing a shift's times or requirements re-checks the rules
that the change can break for everyone already assigned, in the same order.

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

from sqlalchemy import ColumnElement, and_, bindparam, case, extract, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.db import table_of
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.kitchens.models import Kitchen
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
# For reads that need only columns (the shapes the API returns): no ORM objects to build.
_shifts, _assignments = table_of(Shift), table_of(Assignment)


# Kitchen-local time ------------------------------------------------------------------


def kitchen_zone(kitchen: Kitchen) -> ZoneInfo:
    """The kitchen's time zone."""
    return ZoneInfo(kitchen.timezone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The date on the kitchen's wall calendar at `moment`."""
    return moment.astimezone(zone).date()


def local_days_to_utc(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of the kitchen-local days `first` to `last` inclusive."""
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def iso_week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


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


def _duration_seconds(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """SQL for the seconds from `start` to `end`, on SQLite and PostgreSQL alike."""
    if session.get_bind().dialect.name == "sqlite":
        # julianday is a double: rounding to the millisecond makes sums of whole minutes exact.
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
    return extract("epoch", end - start)


# Loading and locking ------------------------------------------------------------------


def _lock_shift(session: Session, shift_id: uuid.UUID) -> Shift:
    """The shift, row-locked on PostgreSQL so its assignments change one request at a time."""
    shift = session.get(Shift, shift_id, with_for_update=True, populate_existing=True)
    if shift is None:
        raise NotFound("Shift")
    return shift


def _lock_staff(session: Session, staff_ids: Iterable[uuid.UUID]) -> list[Staff]:
    """Staff rows locked in id order, so two requests never wait on each other in a cycle.

    Every check of a person's other shifts runs after this lock: two managers assigning
    the same person at the same moment are served one after the other (on SQLite the
    write transaction already holds the database lock).
    """
    ids = sorted(set(staff_ids))
    if not ids:
        return []
    stmt = (
        select(Staff)
        .where(col(Staff.id).in_(ids))
        .order_by(col(Staff.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(stmt).all())


def _lock_assignment(session: Session, assignment_id: uuid.UUID) -> Assignment:
    assignment = session.get(
        Assignment, assignment_id, with_for_update=True, populate_existing=True
    )
    if assignment is None:
        raise NotFound("Assignment")
    return assignment


def _kitchen_of(session: Session, shift: Shift) -> Kitchen:
    kitchen = session.get(Kitchen, shift.kitchen_id)  # already in the identity map
    if kitchen is None:
        raise NotFound("Kitchen")
    return kitchen


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
    day = local_date(starts_at, zone)
    monday, sunday = iso_week_of(day)
    week_start, week_end = local_days_to_utc(monday, sunday, zone)
    year, week, _ = day.isocalendar()
    label = f"{year}-W{week:02d} ({monday:%a %Y-%m-%d} to {sunday:%a %Y-%m-%d})"
    return _Window(starts_at, ends_at, zone, day, week_start, week_end, label)


def _check_certificates(people: Sequence[tuple[Staff, str]], window: _Window) -> None:
    """Food handlers need a certificate valid on the shift's kitchen-local start date."""
    for staff, role in people:
        if role not in FOOD_HANDLING_ROLES:
            continue
        expires = staff.food_handler_cert_expires_on
        if expires is None:
            raise Conflict(
                f"{staff.full_name} ({role}) has no food handler certificate on record; "
                f"record one valid on {window.local_date} or choose someone else",
                code="certificate_expired",
                extra={"staff_id": str(staff.id), "expires_on": None},
            )
        if expires < window.local_date:
            raise Conflict(
                f"The food handler certificate of {staff.full_name} ({role}) expired on "
                f"{expires}, before this shift's date {window.local_date}; renew it or "
                "choose someone else",
                code="certificate_expired",
                extra={"staff_id": str(staff.id), "expires_on": expires.isoformat()},
            )


def _check_overlaps(
    session: Session,
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
    row = session.exec(stmt).first()
    if row is None:
        return
    other, other_name = row
    zone = window.zone
    raise Conflict(
        f"{names[other.staff_id]} is already on shift '{other_name}' from "
        f"{_clock(other.starts_at, zone)} to {_clock(other.ends_at, zone)}, which overlaps "
        f"{_clock(window.starts_at, zone)} to {_clock(window.ends_at, zone)}; "
        "remove them from that shift first or choose someone else",
        code="shift_overlap",
        extra={"staff_id": str(other.staff_id), "conflicting_shift_id": str(other.shift_id)},
    )


def _check_weekly_hours(
    session: Session,
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
    already = {staff_id: float(total or 0) for staff_id, total in session.exec(stmt).all()}
    for person in sorted(staff, key=lambda s: s.id):
        before = already.get(person.id, 0.0)
        total = before + window.seconds
        if round(total, 3) > _WEEK_LIMIT_SECONDS:
            raise Conflict(
                f"{person.full_name} already has {_hours_text(before)} in ISO week "
                f"{window.week_label}; this shift ({_hours_text(window.seconds)}) would bring "
                f"the week to {_hours_text(total)}, over the limit of {WEEKLY_HOURS_LIMIT} h "
                "(40 regular + 18 overtime); choose someone else or shorten a shift",
                code="weekly_hours_exceeded",
                extra={
                    "staff_id": str(person.id),
                    "week_hours": _hours(total),
                    "limit_hours": WEEKLY_HOURS_LIMIT,
                },
            )


# Shifts -------------------------------------------------------------------------------


def _assignments_of(
    session: Session, shift_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Assignment]]:
    """The assignments of many shifts in one query."""
    result: dict[uuid.UUID, list[Assignment]] = defaultdict(list)
    if shift_ids:
        stmt = (
            select(Assignment)
            .where(col(Assignment.shift_id).in_(shift_ids))
            .order_by(col(Assignment.created_at), col(Assignment.id))
        )
        for assignment in session.exec(stmt):
            result[assignment.shift_id].append(assignment)
    return result


# Built once: constructing a statement costs more than running it (SQLAlchemy caches the
# compiled SQL, not the construction), and these run on every shift and day view.
_ASSIGNMENT_ROWS = (
    sa_select(_assignments)
    .where(_assignments.c.shift_id.in_(bindparam("shift_ids", expanding=True)))
    .order_by(_assignments.c.created_at, _assignments.c.id)
)
_DAY_SHIFT_ROWS = (
    sa_select(_shifts)
    .where(
        _shifts.c.kitchen_id == bindparam("kitchen_id"),
        _shifts.c.starts_at >= bindparam("start"),
        _shifts.c.starts_at < bindparam("end"),
    )
    .order_by(_shifts.c.starts_at, _shifts.c.name)
)


def _assignment_rows(
    session: Session, shift_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The assignments of many shifts in one query, as plain rows (for reading only)."""
    result: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    if shift_ids:
        params = {"shift_ids": list(shift_ids)}
        for row in session.execute(_ASSIGNMENT_ROWS, params).mappings().all():
            result[row["shift_id"]].append(dict(row))
    return result


def _to_public(
    shift: dict[str, Any], assignments: list[dict[str, Any]], zone: ZoneInfo
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
            "local_date": local_date(shift["starts_at"], zone),
            "assignments": assignments,
            "coverage": coverage,
            "fully_staffed": all(c["assigned"] >= c["required"] for c in coverage.values()),
        }
    )


def shifts_public(
    session: Session, *, kitchen: Kitchen, shifts: Sequence[Shift] | Sequence[dict[str, Any]]
) -> list[ShiftPublic]:
    """The API shape of a kitchen's shifts (objects or plain rows): one query for them all."""
    fields = [s if isinstance(s, dict) else s.model_dump() for s in shifts]
    by_shift = _assignment_rows(session, [f["id"] for f in fields])
    zone = kitchen_zone(kitchen)
    return [_to_public(f, by_shift.get(f["id"], []), zone) for f in fields]


def day_shifts_public(session: Session, *, kitchen: Kitchen, day: date) -> list[ShiftPublic]:
    """The shifts starting on one kitchen-local day, in start order, read as plain rows."""
    start, end = local_days_to_utc(day, day, kitchen_zone(kitchen))
    params = {"kitchen_id": kitchen.id, "start": start, "end": end}
    rows = [dict(r) for r in session.execute(_DAY_SHIFT_ROWS, params).mappings().all()]
    return shifts_public(session, kitchen=kitchen, shifts=rows)


def get_shift(session: Session, *, shift: Shift) -> ShiftPublic:
    """The API shape of one shift."""
    return shifts_public(session, kitchen=_kitchen_of(session, shift), shifts=[shift])[0]


def create_shift(session: Session, *, kitchen: Kitchen, data: ShiftCreate) -> ShiftPublic:
    """A new shift of `kitchen` with nobody assigned yet."""
    shift = Shift(
        kitchen_id=kitchen.id,
        name=data.name,
        starts_at=data.starts_at.astimezone(UTC),
        ends_at=data.ends_at.astimezone(UTC),
        requirements={str(role): n for role, n in data.requirements.items()},
    )
    session.add(shift)
    session.flush()
    return shifts_public(session, kitchen=kitchen, shifts=[shift])[0]


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise Invalid("to must not be before from", loc=["query", "to"])
    if (last - first).days > MAX_RANGE_DAYS:
        raise Invalid(
            f"from and to may be at most {MAX_RANGE_DAYS} days apart", loc=["query", "to"]
        )


def list_shifts(
    session: Session,
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
    rows, cursor = paginate(session, stmt, Shift, page)
    return shifts_public(session, kitchen=kitchen, shifts=rows), cursor


def update_shift(session: Session, *, shift: Shift, data: ShiftUpdate) -> ShiftPublic:
    """Change a shift; the people on it must still fit every rule at the new times."""
    kitchen = _kitchen_of(session, shift)
    shift = _lock_shift(session, shift.id)
    changes = data.model_dump(exclude_unset=True)
    starts_at: datetime = changes.get("starts_at", shift.starts_at).astimezone(UTC)
    ends_at: datetime = changes.get("ends_at", shift.ends_at).astimezone(UTC)
    problem = check_shift_window(starts_at, ends_at)
    if problem:
        loc = "ends_at" if "ends_at" in changes else "starts_at"
        raise Invalid(problem, loc=["body", loc])
    assignments = _assignments_of(session, [shift.id]).get(shift.id, [])

    if "requirements" in changes:
        requirements = {str(role): n for role, n in changes["requirements"].items()}
        orphaned = sorted({a.role for a in assignments} - set(requirements))
        if orphaned:
            raise Conflict(
                f"Staff are assigned to this shift as {', '.join(orphaned)}, which the new "
                "requirements do not name; remove those assignments first",
                code="role_not_required",
            )
        shift.requirements = requirements

    moved = starts_at != shift.starts_at or ends_at != shift.ends_at
    if moved and assignments:
        staff = _lock_staff(session, [a.staff_id for a in assignments])
        by_id = {s.id: s for s in staff}
        window = _window(kitchen, starts_at, ends_at)
        _check_certificates([(by_id[a.staff_id], a.role) for a in assignments], window)
        _check_overlaps(session, staff, window, exclude_shift_id=shift.id)
        _check_weekly_hours(session, staff, window, exclude_shift_id=shift.id)
        for a in assignments:
            a.starts_at, a.ends_at = starts_at, ends_at
            session.add(a)

    if "name" in changes:
        shift.name = changes["name"]
    shift.starts_at, shift.ends_at = starts_at, ends_at
    # requirements is a JSON column: reassigning marks it changed; touch updated_at as well.
    shift.updated_at = utcnow()
    session.add(shift)
    session.flush()
    return shifts_public(session, kitchen=kitchen, shifts=[shift])[0]


def _ensure_no_attendance(assignments: Iterable[Assignment], what: str) -> None:
    if any(a.clock_in_at is not None for a in assignments):
        raise Conflict(
            f"Attendance has been recorded on this {what}; it stays for the timesheet",
            code="attendance_recorded",
        )


def delete_shift(session: Session, *, shift: Shift) -> None:
    """Delete a shift and its assignments, unless someone clocked in on it."""
    shift = _lock_shift(session, shift.id)
    _ensure_no_attendance(_assignments_of(session, [shift.id]).get(shift.id, []), "shift")
    session.delete(shift)
    session.flush()


# Assignments --------------------------------------------------------------------------


def assign(session: Session, *, shift: Shift, staff_id: uuid.UUID) -> Assignment:
    """Put a staff member of the shift's kitchen on it, if every rule allows."""
    kitchen = _kitchen_of(session, shift)
    shift = _lock_shift(session, shift.id)
    locked = _lock_staff(session, [staff_id])
    if not locked or locked[0].kitchen_id != shift.kitchen_id:
        raise NotFound("Staff")
    staff = locked[0]
    if not staff.active:
        raise Conflict(
            f"{staff.full_name} is deactivated; re-activate them first or choose someone else",
            code="staff_inactive",
        )
    existing = session.exec(
        select(Assignment).where(Assignment.shift_id == shift.id, Assignment.staff_id == staff.id)
    ).first()
    if existing is not None:
        raise Conflict(
            f"{staff.full_name} is already on this shift",
            code="already_assigned",
            extra={"assignment_id": str(existing.id)},
        )
    if staff.role not in shift.requirements:
        needed = ", ".join(sorted(shift.requirements)) or "no roles"
        raise Conflict(
            f"This shift needs {needed}; {staff.full_name} is a {staff.role}. "
            "Add the role to the shift's requirements or choose someone else",
            code="role_not_required",
        )
    window = _window(kitchen, shift.starts_at, shift.ends_at)
    _check_certificates([(staff, staff.role)], window)
    _check_overlaps(session, [staff], window, exclude_shift_id=shift.id)
    _check_weekly_hours(session, [staff], window, exclude_shift_id=shift.id)
    assignment = Assignment(
        shift_id=shift.id,
        staff_id=staff.id,
        role=staff.role,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
    )
    session.add(assignment)
    try:
        session.flush()
    except IntegrityError as exc:  # the unique (shift, staff) pair, should a race get here
        raise Conflict(
            f"{staff.full_name} is already on this shift", code="already_assigned"
        ) from exc
    return assignment


def unassign(session: Session, *, shift: Shift, assignment_id: uuid.UUID) -> None:
    """Take someone off a shift, unless they already clocked in on it."""
    shift = _lock_shift(session, shift.id)
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.shift_id != shift.id:
        raise NotFound("Assignment")
    _ensure_no_attendance([assignment], "assignment")
    session.delete(assignment)
    session.flush()


def clock_in(session: Session, *, assignment: Assignment, at: datetime | None) -> Assignment:
    """Record when the staff member started work on this shift."""
    assignment = _lock_assignment(session, assignment.id)
    if assignment.clock_in_at is not None:
        raise Conflict(
            f"Already clocked in at {assignment.clock_in_at.isoformat()}", code="clock_state"
        )
    assignment.clock_in_at = (at or utcnow()).astimezone(UTC)
    session.add(assignment)
    session.flush()
    return assignment


def clock_out(session: Session, *, assignment: Assignment, at: datetime | None) -> Assignment:
    """Record when the staff member stopped work; they must have clocked in before."""
    assignment = _lock_assignment(session, assignment.id)
    if assignment.clock_in_at is None:
        raise Conflict("Clock in before clocking out", code="clock_state")
    if assignment.clock_out_at is not None:
        raise Conflict(
            f"Already clocked out at {assignment.clock_out_at.isoformat()}", code="clock_state"
        )
    moment = (at or utcnow()).astimezone(UTC)
    if moment < assignment.clock_in_at:
        raise Conflict(
            f"Clock-out {moment.isoformat()} is before the clock-in "
            f"{assignment.clock_in_at.isoformat()}",
            code="clock_state",
        )
    assignment.clock_out_at = moment
    session.add(assignment)
    session.flush()
    return assignment


# Timesheet ----------------------------------------------------------------------------


def timesheet(
    session: Session, *, kitchen: Kitchen, first: date | None, last: date | None
) -> Timesheet:
    """Shifts and hours per staff member for shifts starting on kitchen-local `first`..`last`.

    Defaults to the kitchen's current ISO week. Every active staff member is listed, and
    deactivated ones who were assigned in the range (their history is kept).
    """
    zone = kitchen_zone(kitchen)
    if first is None:
        this_monday = iso_week_of(local_date(utcnow(), zone))[0]
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
        for staff, count, sched, work in session.exec(stmt).all()
    ]
    return Timesheet(from_=first, to=last, items=items)
