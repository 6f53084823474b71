"""The trace's statements: one per part of the answer, each on an index of the kitchen and
the meal date, built once with bind parameters and read as plain rows."""

from typing import Any

from sqlalchemy import BindParameter, Boolean, bindparam, func, or_, select

from app.core.db import table_of
from app.deliveries.models import Delivery
from app.deliveries.queries import with_cooking
from app.foods.models import Food
from app.foodsafety.models import FoodSafetyCheck
from app.mealcounts.models import MealCount
from app.menus.models import Menu, MenuItem
from app.recipes.models import Recipe, RecipeIngredient
from app.schools.models import School
from app.shifts.models import Assignment, Shift
from app.staff.models import FOOD_HANDLING_ROLES, Staff

_KITCHEN: BindParameter[Any] = bindparam("kitchen_id")
_DAY: BindParameter[Any] = bindparam("day")
_SCHOOL: BindParameter[Any] = bindparam("school_id")

_menus, _items, _recipes = table_of(Menu), table_of(MenuItem), table_of(Recipe)
_ingredients, _foods = table_of(RecipeIngredient), table_of(Food)
_checks, _deliveries, _counts = table_of(FoodSafetyCheck), table_of(Delivery), table_of(MealCount)
_shifts, _assignments, _staff = table_of(Shift), table_of(Assignment), table_of(Staff)
_schools = table_of(School)
CHECK_FIELDS = (
    "id", "kitchen_id", "service_date", "cooked_at", "dispatched_at", "sample_retained",
    "organoleptic_ok", "core_temp_c", "notes", "flags", "created_at", "updated_at",
)  # fmt: skip

# The day's menus with every recipe and food, one row per ingredient (a menu without items,
# or a recipe without ingredients, still has its row).
MENU_CONTENTS = (
    select(
        _menus.c.id,
        _menus.c.meal_type,
        _menus.c.status,
        _menus.c.approved_at,
        _menus.c.override_reason,
        _items.c.recipe_id,
        _items.c.servings,
        _recipes.c.name.label("recipe_name"),
        _ingredients.c.food_id,
        _ingredients.c.grams,
        _foods.c.code,
        _foods.c.name.label("food_name"),
        _foods.c.commodity,
        _foods.c.allergens,
    )
    .select_from(_menus)
    .outerjoin(_items, _items.c.menu_id == _menus.c.id)
    .outerjoin(_recipes, _recipes.c.id == _items.c.recipe_id)
    .outerjoin(_ingredients, _ingredients.c.recipe_id == _items.c.recipe_id)
    .outerjoin(_foods, _foods.c.id == _ingredients.c.food_id)
    .where(_menus.c.kitchen_id == _KITCHEN, _menus.c.service_date == _DAY)
    .order_by(_menus.c.meal_type, _items.c.position, _items.c.id, _ingredients.c.position)
)

# The kitchen's food-safety checks of the day.
CHECKS = (
    select(*(_checks.c[name] for name in CHECK_FIELDS))
    .where(_checks.c.kitchen_id == _KITCHEN, _checks.c.service_date == _DAY)
    .order_by(_checks.c.cooked_at, _checks.c.id)
)

# The school's deliveries of the day with the cooking each carried.
SCHOOL_DELIVERIES = (
    select(*with_cooking())
    .where(_deliveries.c.school_id == _SCHOOL, _deliveries.c.service_date == _DAY)
    .order_by(_deliveries.c.meal_type)
)

# Food handlers on the kitchen's shifts that overlap [start, end), with their certificate.
HANDLERS_ON_SHIFT = (
    select(
        _assignments.c.staff_id,
        _assignments.c.role,
        _staff.c.full_name,
        _staff.c.food_handler_cert_expires_on,
        _shifts.c.id.label("shift_id"),
        _shifts.c.name.label("shift_name"),
        _shifts.c.starts_at,
        _shifts.c.ends_at,
        _assignments.c.clock_in_at,
        _assignments.c.clock_out_at,
    )
    .select_from(_shifts)
    .join(_assignments, _assignments.c.shift_id == _shifts.c.id)
    .join(_staff, _staff.c.id == _assignments.c.staff_id)
    .where(
        _shifts.c.kitchen_id == _KITCHEN,
        _shifts.c.starts_at < bindparam("end"),
        _shifts.c.ends_at > bindparam("start"),
        _assignments.c.role.in_(sorted(r.value for r in FOOD_HANDLING_ROLES)),
    )
    .order_by(_shifts.c.starts_at, _shifts.c.id, _assignments.c.role, _staff.c.full_name)
)

# The incident's school and the kitchen's other schools that ate from it that day: every
# one when the kitchen had a menu that day (`any_menu`), else those with a delivery or
# meal counts of the day; with the portions they received and served.
_delivered = (
    select(
        _deliveries.c.school_id,
        func.sum(func.coalesce(_deliveries.c.received_portions, _deliveries.c.portions)).label(
            "delivered"
        ),
    )
    .where(_deliveries.c.kitchen_id == _KITCHEN, _deliveries.c.service_date == _DAY)
    .group_by(_deliveries.c.school_id)
    .subquery("delivered")
)
_served = (
    select(_counts.c.school_id, func.sum(_counts.c.served).label("served"))
    .where(_counts.c.kitchen_id == _KITCHEN, _counts.c.service_date == _DAY)
    .group_by(_counts.c.school_id)
    .subquery("served")
)
SCHOOLS_THAT_ATE = (
    select(
        _schools.c.id,
        _schools.c.npsn,
        _schools.c.name,
        _delivered.c.delivered,
        _served.c.served,
    )
    .select_from(_schools)
    .outerjoin(_delivered, _delivered.c.school_id == _schools.c.id)
    .outerjoin(_served, _served.c.school_id == _schools.c.id)
    .where(
        _schools.c.kitchen_id == _KITCHEN,
        or_(
            _schools.c.id == _SCHOOL,
            bindparam("any_menu", type_=Boolean),
            _delivered.c.school_id.is_not(None),
            _served.c.school_id.is_not(None),
        ),
    )
    .order_by(_schools.c.name, _schools.c.npsn)
)
