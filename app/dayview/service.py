"""The day view, built from a fixed number of queries however large the kitchen is.

It is the screen a kitchen opens most, so its statements are built once, here, with bind
parameters (building a statement costs more than running it), and they read columns, not
ORM objects. Menus stay objects: there are one or two a day, and the nutrition check of a
draft is computed from them.
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.dayview.models import Alert, AlertKind, DayMenu, DaySchool, DayView
from app.kitchens.models import Kitchen
from app.mealcounts.models import MealCount, MealCountDay
from app.mealcounts.service import kitchen_today
from app.menus.models import CheckStatus, Menu, MenuStatus
from app.menus.service import compute_checks, to_public_many
from app.schools.models import School
from app.shifts.service import day_shifts_public
from app.staff.models import Staff

CERTIFICATE_WARNING_DAYS = 30
COUNTS_LOOKBACK_DAYS = 7

_KITCHEN: BindParameter[Any] = bindparam("kitchen_id")
_DAY: BindParameter[Any] = bindparam("day")
_FIRST: BindParameter[Any] = bindparam("first")
_LAST: BindParameter[Any] = bindparam("last")

_MENUS = (
    select(Menu)
    .where(col(Menu.kitchen_id) == _KITCHEN, col(Menu.service_date) == _DAY)
    .order_by(col(Menu.meal_type))
)

# Each school of the kitchen with how many count rows it has on the day, and how many of
# them carry `served`.
_reported = (
    sa_select(
        col(MealCount.school_id).label("school_id"),
        func.count().label("rows"),
        func.count(col(MealCount.served)).label("served"),
    )
    .where(col(MealCount.kitchen_id) == _KITCHEN, col(MealCount.service_date) == _DAY)
    .group_by(col(MealCount.school_id))
    .subquery()
)
_SCHOOLS = (
    sa_select(
        col(School.id), col(School.npsn), col(School.name), _reported.c.rows, _reported.c.served
    )
    .join(_reported, _reported.c.school_id == col(School.id), isouter=True)
    .where(col(School.kitchen_id) == _KITCHEN)
    .order_by(col(School.name), col(School.npsn))
)

_CERTIFICATES = (
    sa_select(
        col(Staff.id),
        col(Staff.full_name),
        col(Staff.food_handler_cert_expires_on),
        col(Staff.role),
    )
    .where(
        col(Staff.kitchen_id) == _KITCHEN,
        col(Staff.active) == True,  # noqa: E712
        col(Staff.food_handler_cert_expires_on).is_not(None),
        col(Staff.food_handler_cert_expires_on) <= bindparam("horizon"),
    )
    .order_by(col(Staff.food_handler_cert_expires_on), col(Staff.full_name))
)

# The past days with a menu, each with its reported day (if any), how many count rows
# that day has and how many of them carry `served`.
_menu_days = (
    sa_select(col(Menu.service_date).label("service_date"))
    .where(col(Menu.kitchen_id) == _KITCHEN)
    .where(col(Menu.service_date) >= _FIRST, col(Menu.service_date) <= _LAST)
    .distinct()
    .subquery()
)
_counted = (
    sa_select(
        col(MealCountDay.service_date).label("service_date"),
        func.count(col(MealCount.id)).label("rows"),
        func.count(col(MealCount.served)).label("served"),
    )
    .join(MealCount, col(MealCount.day_id) == col(MealCountDay.id), isouter=True)
    .where(col(MealCountDay.kitchen_id) == _KITCHEN)
    .where(col(MealCountDay.service_date) >= _FIRST, col(MealCountDay.service_date) <= _LAST)
    .group_by(col(MealCountDay.service_date))
    .subquery()
)
_MISSING_COUNTS = (
    sa_select(
        _menu_days.c.service_date,
        _counted.c.service_date.is_not(None),
        _counted.c.rows,
        _counted.c.served,
    )
    .join(_counted, _counted.c.service_date == _menu_days.c.service_date, isouter=True)
    .order_by(_menu_days.c.service_date.desc())
)


def _menus(session: Session, kitchen: Kitchen, day: date) -> list[DayMenu]:
    params = {"kitchen_id": kitchen.id, "day": day}
    menus = list(session.execute(_MENUS, params).scalars().all())
    # An approved menu shows the check it was approved with; a draft, the check as of now.
    drafts = [m for m in menus if not (m.status == MenuStatus.approved and m.approval_check)]
    live = compute_checks(session, menus=drafts)
    result = []
    for public in to_public_many(session, menus):
        check = live.get(public.id) or public.nutrition_check
        assert check is not None
        failing = [g.target_group for g in check.groups if g.status is CheckStatus.failed]
        # dict(public) is shallow: the nested models are taken as they are, not re-validated.
        result.append(DayMenu(**dict(public), check_status=check.overall, failing_groups=failing))
    return result


def _schools(session: Session, kitchen: Kitchen, day: date) -> list[DaySchool]:
    rows = session.execute(_SCHOOLS, {"kitchen_id": kitchen.id, "day": day})
    return [
        DaySchool(
            id=school_id,
            npsn=npsn,
            name=name,
            counts_reported=bool(count_rows),
            served_reported=bool(count_rows) and served == count_rows,
        )
        for school_id, npsn, name, count_rows, served in rows
    ]


def _certificate_alerts(session: Session, kitchen: Kitchen, day: date) -> list[Alert]:
    horizon = day + timedelta(days=CERTIFICATE_WARNING_DAYS)
    rows = session.execute(_CERTIFICATES, {"kitchen_id": kitchen.id, "horizon": horizon})
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


def _missing_counts(session: Session, kitchen: Kitchen, day: date) -> list[Alert]:
    """Past days of the last week that had a menu but no complete served counts."""
    params = {
        "kitchen_id": kitchen.id,
        "first": day - timedelta(days=COUNTS_LOOKBACK_DAYS),
        "last": day - timedelta(days=1),
    }
    alerts = []
    for missing_day, reported, count_rows, served in session.execute(_MISSING_COUNTS, params):
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


def day_view(session: Session, *, kitchen: Kitchen, day: date | None) -> DayView:
    """Menus, shifts, schools and alerts of one kitchen-local day (default: today)."""
    day = day or kitchen_today(kitchen)
    shift_views = day_shifts_public(session, kitchen=kitchen, day=day)
    menus = _menus(session, kitchen, day)

    alerts = _certificate_alerts(session, kitchen, day)
    for shift in shift_views:
        if not shift.fully_staffed:
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
    for menu in menus:
        if menu.status != MenuStatus.approved:
            alerts.append(
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
            )
    alerts += _missing_counts(session, kitchen, day)
    return DayView(
        kitchen_id=kitchen.id,
        date=day,
        timezone=kitchen.timezone,
        menus=menus,
        shifts=shift_views,
        schools=_schools(session, kitchen, day),
        alerts=alerts,
    )
