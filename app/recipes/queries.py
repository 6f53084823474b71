"""Statements over recipes that reports, menus and costs compose.

What a kitchen buys for a recipe is one rule, here: an ingredient that is a cooked food
(it names a raw food and a cooked yield, docs/foods.md) is bought as its raw food, in
edible grams = the ingredient's grams ÷ the yield; anything else is bought as itself. The
purchased weight is then edible grams × 100 ÷ the purchased food's edible portion.
"""

from typing import Any

from sqlalchemy import Select, case, func, or_, select

from app.core.db import table_of
from app.foods.models import Food, HalalStatus
from app.recipes.models import RecipeIngredient

_ingredients = table_of(RecipeIngredient)
_foods = table_of(Food)


def ingredient_grams() -> Select[Any]:
    """Edible grams of each food in one portion of each recipe: `recipe_id`, `food_id`, `grams`."""
    i = _ingredients.c
    return select(i.recipe_id, i.food_id, i.grams)


def purchased_grams() -> Select[Any]:
    """Edible grams of the food bought for each ingredient of one standard portion of each
    recipe: `recipe_id`, `food_id` (the raw food where the ingredient has one, else the
    ingredient itself), `grams` (the ingredient's grams ÷ its cooked yield where it has a
    raw form). One row per ingredient."""
    i, f = _ingredients.c, _foods.c
    return select(
        i.recipe_id,
        func.coalesce(f.raw_food_id, f.id).label("food_id"),
        (i.grams / func.coalesce(f.cooked_yield, 1.0)).label("grams"),
    ).join_from(_ingredients, _foods, f.id == i.food_id)


def purchases() -> Select[Any]:
    """Grams bought of each food for one standard portion of each recipe, as purchased
    (inedible parts included): `recipe_id`, `food_id` (the food bought), `purchase_g`.
    One row per ingredient."""
    edible = purchased_grams().subquery("edible")
    bought = _foods.alias("bought")
    return select(
        edible.c.recipe_id,
        edible.c.food_id,
        (edible.c.grams * 100.0 / bought.c.edible_portion_pct).label("purchase_g"),
    ).join_from(edible, bought, bought.c.id == edible.c.food_id)


def ingredient_foods() -> Select[Any]:
    """The foods of each recipe with what menus show of them: `recipe_id`, `food_id`,
    `halal` (the food's status, or its raw food's where that is worse: `not_halal` before
    `unknown` before `halal`), `allergens` (null: not assessed)."""
    i, f = _ingredients.c, _foods.c
    raw = _foods.alias("raw_food")
    either = (f.halal, raw.c.halal)
    halal = case(
        (or_(*(h == HalalStatus.not_halal.value for h in either)), HalalStatus.not_halal.value),
        (or_(*(h == HalalStatus.unknown.value for h in either)), HalalStatus.unknown.value),
        else_=HalalStatus.halal.value,
    )
    return (
        select(i.recipe_id, f.id.label("food_id"), halal.label("halal"), f.allergens)
        .join_from(_ingredients, _foods, f.id == i.food_id)
        .outerjoin(raw, raw.c.id == f.raw_food_id)
    )
