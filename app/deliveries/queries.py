"""Statements over deliveries, the cooking they carried, and a kitchen's planned portions.

A delivery's hours are counted from the cooking it carried: the latest of the day's
food-safety checks that finished cooking no later than the delivery departed, or, when
none did (a check recorded with a later time), the day's earliest. Reports and the trace
read that as two correlated subqueries per delivery, on the checks' kitchen index.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    FromClause,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    func,
    literal,
    select,
)

from app.core.db import table_of
from app.deliveries.models import Delivery
from app.foodsafety.models import FoodSafetyCheck
from app.mealcounts.queries import portions_eaten
from app.menus.models import Menu

_deliveries = table_of(Delivery)
_checks = table_of(FoodSafetyCheck)
_menus = table_of(Menu)

DELIVERY_FIELDS = (
    "id",
    "kitchen_id",
    "school_id",
    "service_date",
    "meal_type",
    "portions",
    "departed_at",
    "arrived_at",
    "received_by",
    "received_portions",
    "arrival_temp_c",
    "consumption_started_at",
    "notes",
    "created_at",
    "updated_at",
)


def _cooking_before_departure(deliveries: FromClause) -> ScalarSelect[Any]:
    c, d = _checks.c, deliveries.c
    return (
        select(func.max(c.cooked_at))
        .where(
            c.kitchen_id == d.kitchen_id,
            c.service_date == d.service_date,
            c.cooked_at <= d.departed_at,
        )
        .scalar_subquery()
    )


def _first_cooking(deliveries: FromClause) -> ScalarSelect[Any]:
    c, d = _checks.c, deliveries.c
    return (
        select(func.min(c.cooked_at))
        .where(c.kitchen_id == d.kitchen_id, c.service_date == d.service_date)
        .scalar_subquery()
    )


def with_cooking(deliveries: FromClause = _deliveries) -> list[Any]:
    """Columns of a delivery and its cooking: every field of DELIVERY_FIELDS, `cooked_at`
    (the cooking it carried, null without a check) and `first_cooked_at` (null when the
    kitchen recorded no food-safety check that day)."""
    first = _first_cooking(deliveries)
    return [
        *(deliveries.c[name] for name in DELIVERY_FIELDS),
        func.coalesce(_cooking_before_departure(deliveries), first).label("cooked_at"),
        first.label("first_cooked_at"),
    ]


def deliveries_between(
    date_from: date, date_to: date, *, updated_since: datetime | None = None
) -> Select[Any]:
    """The deliveries of a service-date range (inclusive) with their cooking (see
    `with_cooking`), optionally only those changed at or after `updated_since`."""
    d = _deliveries.c
    stmt = select(*with_cooking()).where(d.service_date >= date_from, d.service_date <= date_to)
    if updated_since is not None:
        stmt = stmt.where(d.updated_at >= updated_since)
    return stmt


_KITCHEN: BindParameter[Any] = bindparam("kitchen_id")
_DAY: BindParameter[Any] = bindparam("day")

# The cooking times of a kitchen's days, for the deliveries of one kitchen read as objects.
COOKING_OF_DAYS = (
    select(_checks.c.service_date, _checks.c.cooked_at)
    .where(
        _checks.c.kitchen_id == _KITCHEN,
        _checks.c.service_date.in_(bindparam("days", expanding=True)),
    )
    .order_by(_checks.c.service_date, _checks.c.cooked_at)
)

# A kitchen's deliveries of one day with their cooking, for the day view.
DAY_DELIVERIES = (
    select(*with_cooking())
    .where(_deliveries.c.kitchen_id == _KITCHEN, _deliveries.c.service_date == _DAY)
    .order_by(_deliveries.c.school_id, _deliveries.c.meal_type)
)


def planned_portions(days: FromClause) -> Select[Any]:
    """Portions each kitchen plans to cook on each of the (`kitchen_id`, `service_date`)
    pairs of `days`: `kitchen_id`, `service_date`, `portions`.

    Each menu of the day (draft or approved) feeds every school: per school and target
    group its planned count where the day's counts hold one, else its enrolment. A day
    without a menu plans nothing. This is the number a kitchen's `capacity_per_day`
    bounds.
    """
    menus = (
        select(_menus.c.kitchen_id, _menus.c.service_date, func.count().label("menus"))
        .select_from(days)
        .join(
            _menus,
            and_(
                _menus.c.kitchen_id == days.c.kitchen_id,
                _menus.c.service_date == days.c.service_date,
            ),
        )
        .group_by(_menus.c.kitchen_id, _menus.c.service_date)
        .subquery("day_menus")
    )
    fed = portions_eaten(days, planned_only=True).subquery("fed")
    pupils = (
        select(fed.c.kitchen_id, fed.c.service_date, func.sum(fed.c.portions).label("pupils"))
        .group_by(fed.c.kitchen_id, fed.c.service_date)
        .subquery("pupils")
    )
    return select(
        menus.c.kitchen_id,
        menus.c.service_date,
        (menus.c.menus * func.coalesce(pupils.c.pupils, literal(0))).label("portions"),
    ).join(
        pupils,
        and_(
            pupils.c.kitchen_id == menus.c.kitchen_id,
            pupils.c.service_date == menus.c.service_date,
        ),
        isouter=True,
    )
