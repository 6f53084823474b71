"""The day view's statements, built once with bind parameters and read as plain rows
(building a statement costs more than running it). Menus are the exception: there are one
or two a day, and the menus domain computes a draft's check from their objects."""

from typing import Any

from sqlalchemy import BindParameter, Date, Uuid, bindparam, func, select

from app.core.db import table_of
from app.deliveries.queries import DAY_DELIVERIES, planned_portions
from app.mealcounts.models import MealCount, MealCountDay
from app.menus.models import Menu
from app.schools.models import School
from app.staff.models import Staff

_KITCHEN: BindParameter[Any] = bindparam("kitchen_id")
_DAY: BindParameter[Any] = bindparam("day")
_FIRST: BindParameter[Any] = bindparam("first")
_LAST: BindParameter[Any] = bindparam("last")

_menus, _schools, _staff = table_of(Menu), table_of(School), table_of(Staff)
_days, _counts = table_of(MealCountDay), table_of(MealCount)

# The day's menus, as objects.
MENUS = (
    select(Menu)
    .where(Menu.kitchen_id == _KITCHEN, Menu.service_date == _DAY)  # type: ignore[arg-type]
    .order_by(Menu.meal_type)
)

# Each school of the kitchen with how many count rows it has on the day, and how many of
# them carry `served`.
_reported = (
    select(
        _counts.c.school_id,
        func.count().label("rows"),
        func.count(_counts.c.served).label("served"),
    )
    .where(_counts.c.kitchen_id == _KITCHEN, _counts.c.service_date == _DAY)
    .group_by(_counts.c.school_id)
    .subquery()
)
SCHOOLS = (
    select(_schools.c.id, _schools.c.npsn, _schools.c.name, _reported.c.rows, _reported.c.served)
    .join(_reported, _reported.c.school_id == _schools.c.id, isouter=True)
    .where(_schools.c.kitchen_id == _KITCHEN)
    .order_by(_schools.c.name, _schools.c.npsn)
)

# Active staff whose food-handler certificate expires by the horizon (or has expired).
CERTIFICATES = (
    select(
        _staff.c.id,
        _staff.c.full_name,
        _staff.c.food_handler_cert_expires_on,
        _staff.c.role,
    )
    .where(
        _staff.c.kitchen_id == _KITCHEN,
        _staff.c.active.is_(True),
        _staff.c.food_handler_cert_expires_on.is_not(None),
        _staff.c.food_handler_cert_expires_on <= bindparam("horizon"),
    )
    .order_by(_staff.c.food_handler_cert_expires_on, _staff.c.full_name)
)

# The days of [first, last] with a menu, newest first, each with whether it was reported,
# how many count rows it has and how many of them carry `served`.
_menu_days = (
    select(_menus.c.service_date)
    .where(_menus.c.kitchen_id == _KITCHEN)
    .where(_menus.c.service_date >= _FIRST, _menus.c.service_date <= _LAST)
    .distinct()
    .subquery()
)
_counted = (
    select(
        _days.c.service_date,
        func.count(_counts.c.id).label("rows"),
        func.count(_counts.c.served).label("served"),
    )
    .join(_counts, _counts.c.day_id == _days.c.id, isouter=True)
    .where(_days.c.kitchen_id == _KITCHEN)
    .where(_days.c.service_date >= _FIRST, _days.c.service_date <= _LAST)
    .group_by(_days.c.service_date)
    .subquery()
)
MENU_DAYS_COUNTED = (
    select(
        _menu_days.c.service_date,
        _counted.c.service_date.is_not(None),
        _counted.c.rows,
        _counted.c.served,
    )
    .join(_counted, _counted.c.service_date == _menu_days.c.service_date, isouter=True)
    .order_by(_menu_days.c.service_date.desc())
)

# The school deliveries of the day, with the cooking each carried (app/deliveries).
DELIVERIES = DAY_DELIVERIES

# The portions planned for the day, which the kitchen's capacity bounds (app/deliveries).
_the_day = select(
    bindparam("kitchen_id", type_=Uuid).label("kitchen_id"),
    bindparam("day", type_=Date).label("service_date"),
).subquery("the_day")
PLANNED_PORTIONS = select(planned_portions(_the_day).subquery("planned").c.portions)
