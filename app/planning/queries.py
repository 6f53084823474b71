"""What the planner reads of a kitchen, in SQL composed from the owning domains' statements.

Each function is one statement whatever the number of days, recipes or foods: the recipes
the kitchen may use, the foods each recipe buys and their prices on each day of the range
(app/prices/queries.py resolves them as everywhere else), the halal status of the foods,
the kitchen's enrolment and each day's portions as ingredient demand counts them.
"""

import uuid
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, FromClause, Select, Uuid, literal, or_, select, true, union_all

from app.core.db import table_of
from app.foods.models import HalalStatus
from app.mealcounts.queries import portions_eaten
from app.menus.models import Menu
from app.prices.queries import resolved_prices
from app.recipes.models import Recipe
from app.recipes.queries import ingredient_foods, purchases
from app.schools.queries import kitchen_enrolment

_recipes = table_of(Recipe)
_menus = table_of(Menu)


def usable_recipes(kitchen_id: uuid.UUID) -> Select[Any]:
    """The recipes a menu of the kitchen may use: national ones and its own: `id`, `name`,
    `category`."""
    r = _recipes.c
    return select(r.id, r.name, r.category).where(
        or_(r.kitchen_id.is_(None), r.kitchen_id == kitchen_id)
    )


def _days(kitchen_id: uuid.UUID, days: Sequence[date]) -> FromClause:
    """(`kitchen_id`, `service_date`) rows, one per day."""
    rows = [
        select(
            literal(kitchen_id, type_=Uuid()).label("kitchen_id"),
            literal(day, type_=Date()).label("service_date"),
        )
        for day in days
    ]
    return union_all(*rows).subquery("plan_days")


def recipe_purchases(recipe_ids: Collection[uuid.UUID]) -> Select[Any]:
    """Grams bought of each food for one standard portion of each recipe: `recipe_id`,
    `food_id`, `purchase_g` (one row per ingredient, app/recipes/queries.py)."""
    bought = purchases().subquery("recipe_purchases")
    return select(bought.c.recipe_id, bought.c.food_id, bought.c.purchase_g).where(
        bought.c.recipe_id.in_(list(recipe_ids))
    )


def day_prices(
    kitchen_id: uuid.UUID, days: Sequence[date], recipe_ids: Collection[uuid.UUID]
) -> Select[Any]:
    """The price of every food the recipes buy, for the kitchen on each day: `service_date`,
    `food_id`, `price_per_kg`, `source`, `valid_from` (no row: no price)."""
    bought = purchases().subquery("recipe_purchases")
    foods = (
        select(bought.c.food_id)
        .where(bought.c.recipe_id.in_(list(recipe_ids)))
        .distinct()
        .subquery("plan_foods")
    )
    on_days = _days(kitchen_id, days)
    needs = (
        select(on_days.c.kitchen_id, on_days.c.service_date, foods.c.food_id)
        .select_from(on_days.join(foods, true()))
        .subquery("plan_needs")
    )
    prices = resolved_prices(needs).subquery("plan_prices")
    return select(
        prices.c.service_date,
        prices.c.food_id,
        prices.c.price_per_kg,
        prices.c.source,
        prices.c.valid_from,
    )


def not_halal_recipes(recipe_ids: Collection[uuid.UUID]) -> Select[Any]:
    """The recipes holding a food that is not halal (or whose raw food is not): `recipe_id`."""
    foods = ingredient_foods().subquery("recipe_foods")
    return (
        select(foods.c.recipe_id)
        .where(
            foods.c.recipe_id.in_(list(recipe_ids)),
            foods.c.halal == HalalStatus.not_halal.value,
        )
        .distinct()
    )


def enrolment(kitchen_id: uuid.UUID) -> Select[Any]:
    """The kitchen's pupils per target group: `kitchen_id`, `target_group`, `portions`."""
    return kitchen_enrolment(select(literal(kitchen_id, type_=Uuid())))


def day_portions(kitchen_id: uuid.UUID, days: Sequence[date]) -> Select[Any]:
    """Portions per day and target group as ingredient demand and the menus' costs count
    them: `kitchen_id`, `service_date`, `target_group`, `portions`."""
    return portions_eaten(_days(kitchen_id, days))


def menus_on(kitchen_id: uuid.UUID, meal_type: str, days: Sequence[date]) -> Select[Any]:
    """The kitchen's menus of a meal type on the days: `id`, `service_date`."""
    m = _menus.c
    return (
        select(m.id, m.service_date)
        .where(
            m.kitchen_id == kitchen_id,
            m.meal_type == meal_type,
            m.service_date.in_(list(days)),
        )
        .order_by(m.service_date)
    )
