"""Statements over foods that reports compose."""

from typing import Any

from sqlalchemy import Select, select

from app.core.db import table_of
from app.foods.models import Food

_foods = table_of(Food)


def food_facts() -> Select[Any]:
    """What demand needs of a food: `food_id`, `food_code`, `food_name`, `commodity`,
    `edible_portion_pct`."""
    f = _foods.c
    return select(
        f.id.label("food_id"),
        f.code.label("food_code"),
        f.name.label("food_name"),
        f.commodity,
        f.edible_portion_pct,
    )
