"""The day view, built from a fixed number of queries however large the kitchen is."""

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.dayview.models import Alert, AlertKind, DayMenu, DaySchool, DayView
from app.kitchens.models import Kitchen
from app.mealcounts.models import MealCount, MealCountDay
from app.mealcounts.service import kitchen_today
from app.menus.models import CheckStatus, Menu, MenuStatus, NutritionCheck
from app.menus.service import compute_checks, to_public_many
from app.schools.models import School
from app.shifts.models import Shift
from app.shifts.service import kitchen_zone, local_days_to_utc, shifts_public
from app.staff.models import Staff

CERTIFICATE_WARNING_DAYS = 30
COUNTS_LOOKBACK_DAYS = 7


def _menus(session: Session, kitchen: Kitchen, day: date) -> list[DayMenu]:
    menus = list(
        session.exec(
            select(Menu)
            .where(Menu.kitchen_id == kitchen.id, Menu.service_date == day)
            .order_by(Menu.meal_type)
        ).all()
    )
    drafts = [m for m in menus if not (m.status == MenuStatus.approved and m.approval_check)]
    checks = compute_checks(session, menus=drafts)
    for m in menus:
        if m not in drafts:
            checks[m.id] = NutritionCheck.model_validate(m.approval_check)
    result = []
    for public in to_public_many(session, menus):
        check = checks[public.id]
        failing = [g.target_group for g in check.groups if g.status is CheckStatus.failed]
        result.append(
            DayMenu(**public.model_dump(), check_status=check.overall, failing_groups=failing)
        )
    return result


def _schools(session: Session, kitchen: Kitchen, day: date) -> list[DaySchool]:
    reported = (
        select(
            MealCount.school_id,
            func.count().label("rows"),
            func.count(col(MealCount.served)).label("served"),
        )
        .where(MealCount.kitchen_id == kitchen.id, MealCount.service_date == day)
        .group_by(col(MealCount.school_id))
        .subquery()
    )
    rows = session.exec(
        select(School, reported.c.rows, reported.c.served)
        .join(reported, reported.c.school_id == School.id, isouter=True)
        .where(School.kitchen_id == kitchen.id)
        .order_by(School.name, School.npsn)
    ).all()
    return [
        DaySchool(
            id=school.id,
            npsn=school.npsn,
            name=school.name,
            counts_reported=bool(count_rows),
            served_reported=bool(count_rows) and served == count_rows,
        )
        for school, count_rows, served in rows
    ]


def _certificate_alerts(session: Session, kitchen: Kitchen, day: date) -> list[Alert]:
    horizon = day + timedelta(days=CERTIFICATE_WARNING_DAYS)
    staff = session.exec(
        select(Staff)
        .where(
            Staff.kitchen_id == kitchen.id,
            Staff.active == True,  # noqa: E712
            col(Staff.food_handler_cert_expires_on).is_not(None),
            col(Staff.food_handler_cert_expires_on) <= horizon,
        )
        .order_by(col(Staff.food_handler_cert_expires_on), col(Staff.full_name))
    ).all()
    alerts = []
    for person in staff:
        expires = person.food_handler_cert_expires_on
        assert expires is not None
        expired = expires < day
        alerts.append(
            Alert(
                kind=AlertKind.certificate_expired if expired else AlertKind.certificate_expiring,
                message=(
                    f"{person.full_name}'s food-handler certificate "
                    + (f"expired on {expires}" if expired else f"expires on {expires}")
                    + "; renew it before their next food-handling shift"
                ),
                staff_id=person.id,
                details={"expires_on": expires.isoformat(), "role": person.role},
            )
        )
    return alerts


def _missing_counts(session: Session, kitchen: Kitchen, day: date) -> list[Alert]:
    """Past days of the last week that had a menu but no complete served counts."""
    first, last = day - timedelta(days=COUNTS_LOOKBACK_DAYS), day - timedelta(days=1)
    menu_days = set(
        session.exec(
            select(col(Menu.service_date))
            .where(Menu.kitchen_id == kitchen.id)
            .where(col(Menu.service_date) >= first, col(Menu.service_date) <= last)
            .distinct()
        ).all()
    )
    reported = {
        service_date: (rows, served)
        for service_date, rows, served in session.exec(
            select(
                col(MealCountDay.service_date),
                func.count(col(MealCount.id)),
                func.count(col(MealCount.served)),
            )
            .join(MealCount, col(MealCount.day_id) == MealCountDay.id, isouter=True)
            .where(MealCountDay.kitchen_id == kitchen.id)
            .where(col(MealCountDay.service_date) >= first, col(MealCountDay.service_date) <= last)
            .group_by(col(MealCountDay.service_date))
        ).all()
    }
    alerts = []
    for missing_day in sorted(menu_days, reverse=True):
        rows, served = reported.get(missing_day, (0, 0))
        if rows and served == rows:
            continue
        message = (
            f"Meal counts for {missing_day} were never reported"
            if missing_day not in reported
            else f"Meal counts for {missing_day} lack the served numbers"
        )
        alerts.append(
            Alert(
                kind=AlertKind.meal_counts_missing,
                message=message + "; report them with PUT .../meal-counts/" + str(missing_day),
                date=missing_day,
                details={"reported": missing_day in reported},
            )
        )
    return alerts


def day_view(session: Session, *, kitchen: Kitchen, day: date | None) -> DayView:
    """Menus, shifts, schools and alerts of one kitchen-local day (default: today)."""
    day = day or kitchen_today(kitchen)
    start, end = local_days_to_utc(day, day, kitchen_zone(kitchen))
    shifts = list(
        session.exec(
            select(Shift)
            .where(Shift.kitchen_id == kitchen.id)
            .where(col(Shift.starts_at) >= start, col(Shift.starts_at) < end)
            .order_by(col(Shift.starts_at), col(Shift.name))
        ).all()
    )
    shift_views = shifts_public(session, kitchen=kitchen, shifts=shifts)
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
