"""Statements over menus that reports compose, and the reading of an approved menu's check."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Select, Text, and_, bindparam, cast, func, select

from app.core.db import table_of
from app.kitchens.models import Kitchen
from app.mealcounts.queries import portions_eaten
from app.menus.models import Menu, MenuItem, MenuPortionFactor
from app.nutrition.models import NUTRIENTS, TargetGroup
from app.prices.queries import resolved_prices
from app.recipes.queries import ingredient_foods, purchased_grams, purchases
from app.schools.queries import kitchen_enrolment

_menus = table_of(Menu)
_kitchens = table_of(Kitchen)
_items = table_of(MenuItem)
_factors = table_of(MenuPortionFactor)
# Target groups in AKG order: a menu's groups are reported in this order.
_GROUP_ORDER = {str(g): i for i, g in enumerate(TargetGroup)}


def menus_between(date_from: date, date_to: date, *, statuses: tuple[str, ...]) -> Select[Any]:
    """Menus of a date range (inclusive) in one of `statuses`: `menu_id`, `kitchen_id`,
    `service_date`."""
    m = _menus.c
    return select(m.id.label("menu_id"), m.kitchen_id, m.service_date).where(
        m.status.in_(statuses), m.service_date >= date_from, m.service_date <= date_to
    )


def approved_between(
    date_from: date, date_to: date, *, updated_since: datetime | None = None
) -> Select[Any]:
    """Approved menus of a date range with the check stored at approval: `menu_id`,
    `kitchen_id`, `service_date`, `meal_type`, `approval_check` (JSON text, decode it with
    `checked_groups`), `override_reason`."""
    m = _menus.c
    stmt = select(
        m.id.label("menu_id"),
        m.kitchen_id,
        m.service_date,
        m.meal_type,
        # As text: a reader that meets a menu once per row decodes it once per menu (decoding
        # a few kB of JSON on every row cost two thirds of a CSV export).
        cast(m.approval_check, Text).label("approval_check"),
        m.override_reason,
    ).where(m.status == "approved", m.service_date >= date_from, m.service_date <= date_to)
    if updated_since is not None:
        stmt = stmt.where(m.updated_at >= updated_since)
    return stmt


def portion_factors() -> Select[Any]:
    """Each menu's portion factors per target group: `menu_id`, `target_group`, `factor`
    (a group without one eats the standard portion, factor 1)."""
    f = _factors.c
    return select(f.menu_id, f.target_group, f.factor)


def standard_portion_grams(menu_ids: Select[Any]) -> Select[Any]:
    """Edible grams of each food bought for one standard portion of the menus `menu_ids`
    selects: `menu_id`, `food_id` (a cooked ingredient's raw food, else the ingredient),
    `grams` (servings x the recipes' purchased edible grams, app/recipes/queries.py)."""
    i = _items.c
    recipe = purchased_grams().subquery("purchased_grams")
    return (
        select(i.menu_id, recipe.c.food_id, func.sum(i.servings * recipe.c.grams).label("grams"))
        .join_from(_items, recipe, recipe.c.recipe_id == i.recipe_id)
        .where(i.menu_id.in_(menu_ids))
        .group_by(i.menu_id, recipe.c.food_id)
    )


@dataclass(frozen=True)
class GroupNutrients:
    """One target group's part of an approved menu's check: nutrients per portion."""

    target_group: str
    values: dict[str, float | None]
    energy_share: float | None
    protein_share: float | None
    status: str | None


def group_rank(code: str) -> tuple[int, str]:
    """Where a target group sorts: AKG order, unknown codes last."""
    return _GROUP_ORDER.get(code, len(_GROUP_ORDER)), code


def checked_groups(approval_check: str | None) -> list[GroupNutrients]:
    """The groups of a check stored at approval (as `approved_between` gives it), in AKG order."""
    check = json.loads(approval_check) if approval_check else {}
    groups = sorted(check.get("groups") or [], key=lambda g: group_rank(g["target_group"]))
    out = []
    for group in groups:
        nutrients = group.get("nutrients") or {}
        out.append(
            GroupNutrients(
                target_group=group["target_group"],
                values={name: (nutrients.get(name) or {}).get("value") for name in NUTRIENTS},
                energy_share=(nutrients.get("energy_kcal") or {}).get("share"),
                protein_share=(nutrients.get("protein_g") or {}).get("share"),
                status=group.get("status"),
            )
        )
    return out


# -- what the check and a menu's representation read besides nutrients --------------------
# Built once with an expanding `menu_ids` parameter: building costs more than running them.

_MENU_IDS: BindParameter[Any] = bindparam("menu_ids", expanding=True)


def _menu_foods() -> Select[Any]:
    i = _items.c
    foods = ingredient_foods().subquery("recipe_foods")
    return (
        select(i.menu_id, foods.c.food_id, foods.c.halal, foods.c.allergens)
        .join_from(_items, foods, foods.c.recipe_id == i.recipe_id)
        .where(i.menu_id.in_(_MENU_IDS))
    )


# Every food of each menu (one row per menu item and ingredient): `menu_id`, `food_id`,
# `halal` (the worse of the food's and its raw food's), `allergens`.
MENU_FOODS = _menu_foods()


def _priced_purchases() -> Select[Any]:
    i, m = _items.c, _menus.c
    bought = purchases().subquery("recipe_purchases")
    menu_food = (
        select(
            i.menu_id,
            m.kitchen_id,
            m.service_date,
            bought.c.food_id,
            func.sum(i.servings * bought.c.purchase_g).label("purchase_g"),
        )
        .join_from(_items, _menus, m.id == i.menu_id)
        .join(bought, bought.c.recipe_id == i.recipe_id)
        .where(i.menu_id.in_(_MENU_IDS))
        .group_by(i.menu_id, m.kitchen_id, m.service_date, bought.c.food_id)
        .cte("menu_purchases")
    )
    needs = (
        select(menu_food.c.kitchen_id, menu_food.c.service_date, menu_food.c.food_id)
        .distinct()
        .subquery("menu_needs")
    )
    prices = resolved_prices(needs).subquery("menu_prices")
    return select(
        menu_food.c.menu_id,
        menu_food.c.food_id,
        menu_food.c.purchase_g,
        prices.c.price_per_kg,
        prices.c.source,
        prices.c.valid_from,
    ).outerjoin(
        prices,
        and_(
            prices.c.kitchen_id == menu_food.c.kitchen_id,
            prices.c.service_date == menu_food.c.service_date,
            prices.c.food_id == menu_food.c.food_id,
        ),
    )


# Grams bought of each food for one standard portion of each menu (Σ items servings x the
# recipe's purchase grams), with the price that applies to the menu's kitchen and date:
# `menu_id`, `food_id`, `purchase_g`, `price_per_kg`, `source`, `valid_from` (null: none).
PRICED_PURCHASES = _priced_purchases()


def _menu_days() -> Select[Any]:
    m, k = _menus.c, _kitchens.c
    days = (
        select(m.kitchen_id, m.service_date)
        .where(m.id.in_(_MENU_IDS))
        .distinct()
        .subquery("menu_days")
    )
    portions = portions_eaten(days).subquery("menu_portions")
    enrolment = kitchen_enrolment(select(days.c.kitchen_id)).subquery("menu_enrolment")
    return (
        select(
            days.c.kitchen_id,
            days.c.service_date,
            k.budget_per_portion,
            portions.c.target_group,
            portions.c.portions,
            enrolment.c.portions.label("enrolled"),
        )
        .join_from(days, _kitchens, k.id == days.c.kitchen_id)
        .outerjoin(
            portions,
            and_(
                portions.c.kitchen_id == days.c.kitchen_id,
                portions.c.service_date == days.c.service_date,
            ),
        )
        .outerjoin(
            enrolment,
            and_(
                enrolment.c.kitchen_id == days.c.kitchen_id,
                enrolment.c.target_group == portions.c.target_group,
            ),
        )
    )


# Each kitchen and day of the menus with the kitchen's budget per portion, the portions of
# each target group that day as ingredient demand counts them (app/mealcounts/queries.py),
# and the kitchen's enrolment of the group: `kitchen_id`, `service_date`,
# `budget_per_portion`, `target_group`, `portions`, `enrolled` (the last three null for a
# day without portions; `enrolled` null for a group counted but not enrolled).
MENU_DAYS = _menu_days()
