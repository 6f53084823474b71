"""Statements over menus that reports compose, and the reading of an approved menu's check."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Text, cast, func, select

from app.core.db import table_of
from app.menus.models import Menu, MenuItem, MenuPortionFactor
from app.nutrition.models import NUTRIENTS, TargetGroup
from app.recipes.queries import ingredient_grams

_menus = table_of(Menu)
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
    """Edible grams of each food in one standard portion of the menus `menu_ids` selects:
    `menu_id`, `food_id`, `grams` (servings x the recipes' ingredient grams)."""
    i = _items.c
    recipe = ingredient_grams().subquery("ingredient_grams")
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
