"""Statements over recipes that reports compose."""

from typing import Any

from sqlalchemy import Select, select

from app.core.db import table_of
from app.recipes.models import RecipeIngredient

_ingredients = table_of(RecipeIngredient)


def ingredient_grams() -> Select[Any]:
    """Edible grams of each food in one portion of each recipe: `recipe_id`, `food_id`, `grams`."""
    i = _ingredients.c
    return select(i.recipe_id, i.food_id, i.grams)
