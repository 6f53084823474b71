"""The day view, built from a fixed number of queries however large the kitchen is.

It is the screen a kitchen opens most. Its ETag is made of what the view reads, not of
the view: the kitchen's data version (every write to the kitchen's data moves it, in the
writing transaction), the reference data's version, the day, and whether the day lies
before the kitchen's today. A client holding the current tag gets 304 after two indexed
reads, without the view being built.
"""

from collections import defaultdict
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.conditional import version_tag
from app.core.localtime import local_today
from app.core.versions import reference_version
from app.dayview import queries
from app.dayview.models import Alert, AlertKind, DayMenu, DaySchool, DayView
from app.deliveries.models import DeliveryPublic
from app.deliveries.service import public_of
from app.kitchens.models import HygieneStatus, Kitchen, KitchenStatus
from app.menus.models import CheckStatus, MenuStatus
from app.menus.service import compute_checks, to_public_many
from app.shifts.models import ShiftPublic
from app.shifts.service import day_shifts_public

CERTIFICATE_WARNING_DAYS = 30
COUNTS_LOOKBACK_DAYS = 7


def view_day(kitchen: Kitchen, day: date | None) -> date:
    """The day asked for, or the kitchen's today."""
    return day or local_today(kitchen.timezone)


async def day_view_tag(session: AsyncSession, *, kitchen: Kitchen, day: date) -> str:
    """The day view's ETag, from the versions of what it reads (no view is built)."""
    past = day < local_today(kitchen.timezone)
    return version_tag(
        "today", kitchen.id, day, kitchen.data_version, await reference_version(session), past
    )


async def _menus(session: AsyncSession, kitchen: Kitchen, day: date) -> list[DayMenu]:
    params = {"kitchen_id": kitchen.id, "day": day}
    menus = list((await session.execute(queries.MENUS, params)).scalars().all())
    # An approved menu shows the check it was approved with; a draft, the check as of now.
    drafts = [m for m in menus if not (m.status == MenuStatus.approved and m.approval_check)]
    live = await compute_checks(session, menus=drafts)
    result = []
    for public in await to_public_many(session, menus):
        check = live.get(public.id) or public.nutrition_check
        assert check is not None
        failing = [g.target_group for g in check.groups if g.status is CheckStatus.failed]
        # dict(public) is shallow: the nested models are taken as they are, not re-validated.
        result.append(DayMenu(**dict(public), check_status=check.overall, failing_groups=failing))
    return result


async def _deliveries(
    session: AsyncSession, kitchen: Kitchen, day: date
) -> dict[object, list[DeliveryPublic]]:
    """The day's deliveries by school, with their flags as of now."""
    today = local_today(kitchen.timezone)
    by_school: dict[object, list[DeliveryPublic]] = defaultdict(list)
    for r in await session.execute(queries.DELIVERIES, {"kitchen_id": kitchen.id, "day": day}):
        row = dict(r._mapping)
        public = public_of(
            row,
            cooked_at=row["cooked_at"],
            has_check=row["first_cooked_at"] is not None,
            today=today,
        )
        by_school[public.school_id].append(public)
    return by_school


async def _schools(session: AsyncSession, kitchen: Kitchen, day: date) -> list[DaySchool]:
    rows = await session.execute(queries.SCHOOLS, {"kitchen_id": kitchen.id, "day": day})
    deliveries = await _deliveries(session, kitchen, day)
    return [
        DaySchool(
            id=school_id,
            npsn=npsn,
            name=name,
            counts_reported=bool(count_rows),
            served_reported=bool(count_rows) and served == count_rows,
            deliveries=deliveries.get(school_id, []),
        )
        for school_id, npsn, name, count_rows, served in rows
    ]


def _oversight_alerts(kitchen: Kitchen, day: date, planned: int) -> list[Alert]:
    """The kitchen's own state on the day: suspension, hygiene certificate, capacity."""
    alerts = []
    if kitchen.status == KitchenStatus.suspended:
        alerts.append(
            Alert(
                kind=AlertKind.kitchen_suspended,
                message="The kitchen is suspended by the health office: no menus, approvals "
                f"or deliveries until it is reinstated ({kitchen.suspension_reason})",
                details={
                    "since": kitchen.suspended_at.isoformat() if kitchen.suspended_at else None,
                    "reason": kitchen.suspension_reason,
                },
            )
        )
    status = kitchen.hygiene_status_on(day)
    if status is not HygieneStatus.valid:
        expires = kitchen.hygiene_certificate_expires_on
        message = {
            HygieneStatus.missing: "The kitchen has no hygiene certificate (SLHS) on record",
            HygieneStatus.expired: f"The kitchen's hygiene certificate expired on {expires}",
            HygieneStatus.expiring: f"The kitchen's hygiene certificate expires on {expires}",
        }[status]
        alerts.append(
            Alert(
                kind=AlertKind.hygiene_certificate,
                message=message + "; ask the district health office to inspect and certify it",
                date=day,
                details={
                    "status": status.value,
                    "expires_on": expires.isoformat() if expires else None,
                },
            )
        )
    if kitchen.capacity_per_day is not None and planned > kitchen.capacity_per_day:
        alerts.append(
            Alert(
                kind=AlertKind.over_capacity,
                message=f"{planned} portions are planned for {day}, over the kitchen's "
                f"capacity of {kitchen.capacity_per_day} a day",
                date=day,
                details={"planned_portions": planned, "capacity_per_day": kitchen.capacity_per_day},
            )
        )
    return alerts


async def _certificate_alerts(session: AsyncSession, kitchen: Kitchen, day: date) -> list[Alert]:
    horizon = day + timedelta(days=CERTIFICATE_WARNING_DAYS)
    rows = await session.execute(
        queries.CERTIFICATES, {"kitchen_id": kitchen.id, "horizon": horizon}
    )
    alerts = []
    for staff_id, full_name, expires, role in rows:
        expired = expires < day
        alerts.append(
            Alert(
                kind=AlertKind.certificate_expired if expired else AlertKind.certificate_expiring,
                message=(
                    f"{full_name}'s food-handler certificate "
                    + (f"expired on {expires}" if expired else f"expires on {expires}")
                    + "; renew it before their next food-handling shift"
                ),
                staff_id=staff_id,
                details={"expires_on": expires.isoformat(), "role": role},
            )
        )
    return alerts


def _understaffed_alerts(shifts: list[ShiftPublic], day: date) -> list[Alert]:
    alerts = []
    for shift in shifts:
        if shift.fully_staffed:
            continue
        short = {
            role: c.required - c.assigned
            for role, c in shift.coverage.items()
            if c.assigned < c.required
        }
        alerts.append(
            Alert(
                kind=AlertKind.shift_understaffed,
                message=f"Shift {shift.name} still needs "
                + ", ".join(f"{n} {role}" for role, n in short.items()),
                date=day,
                shift_id=shift.id,
                details={"missing": short},
            )
        )
    return alerts


def _unapproved_alerts(menus: list[DayMenu], day: date) -> list[Alert]:
    return [
        Alert(
            kind=AlertKind.menu_not_approved,
            message=f"The {menu.meal_type.value} menu is not approved yet"
            + (
                f" (check fails for {', '.join(menu.failing_groups)})"
                if menu.failing_groups
                else ""
            ),
            date=day,
            menu_id=menu.id,
            details={"check_status": menu.check_status.value},
        )
        for menu in menus
        if menu.status != MenuStatus.approved
    ]


async def _missing_counts(session: AsyncSession, kitchen: Kitchen, day: date) -> list[Alert]:
    """Past days of the last week that had a menu but no complete served counts."""
    params = {
        "kitchen_id": kitchen.id,
        "first": day - timedelta(days=COUNTS_LOOKBACK_DAYS),
        "last": day - timedelta(days=1),
    }
    alerts = []
    rows = await session.execute(queries.MENU_DAYS_COUNTED, params)
    for missing_day, reported, count_rows, served in rows:
        if count_rows and served == count_rows:
            continue
        message = (
            f"Meal counts for {missing_day} lack the served numbers"
            if reported
            else f"Meal counts for {missing_day} were never reported"
        )
        alerts.append(
            Alert(
                kind=AlertKind.meal_counts_missing,
                message=message + "; report them with PUT .../meal-counts/" + str(missing_day),
                date=missing_day,
                details={"reported": bool(reported)},
            )
        )
    return alerts


async def day_view(session: AsyncSession, *, kitchen: Kitchen, day: date) -> DayView:
    """Menus, shifts, schools and alerts of one kitchen-local day."""
    shifts = await day_shifts_public(session, kitchen=kitchen, day=day)
    menus = await _menus(session, kitchen, day)
    alerts = await _certificate_alerts(session, kitchen, day)
    alerts += _understaffed_alerts(shifts, day)
    alerts += _unapproved_alerts(menus, day)
    alerts += await _missing_counts(session, kitchen, day)
    planned = await session.scalar(
        queries.PLANNED_PORTIONS, {"kitchen_id": kitchen.id, "day": day}
    )
    planned = int(planned or 0)
    alerts += _oversight_alerts(kitchen, day, planned)
    return DayView(
        kitchen_id=kitchen.id,
        date=day,
        timezone=kitchen.timezone,
        menus=menus,
        shifts=shifts,
        schools=await _schools(session, kitchen, day),
        alerts=alerts,
        planned_portions=planned,
        capacity_per_day=kitchen.capacity_per_day,
    )
