"""reference recipes: the built-in national recipes the menu planner needs (issue 17)

Loads app/recipes/data/reference_recipes.csv (one row per ingredient, foods named by their
catalogue code) as national recipes, so a kitchen can plan menus right after
`alembic upgrade head`. docs/planning.md names the sources of the portion weights.

Each recipe gets a fixed id derived from its name, so this revision knows its own rows:
upgrade skips a recipe when a national recipe of that name already exists (an operator's
own, or this revision run before) and one whose food is not in the catalogue; downgrade
removes the rows it would have added, except those a menu uses (a menu keeps its recipes).
Both count as a change of reference data (ETags of what reads national recipes move).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 21:00:00
"""

import csv
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")


def reference_recipe_id(name: str) -> uuid.UUID:
    """The fixed id of the reference recipe called `name`."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"dapur-reference/{name}")


# Lightweight table definitions: this revision must not depend on today's models.
def _stamped() -> list[sa.ColumnClause[Any]]:
    return [
        sa.column("id", sa.Uuid()),
        sa.column("created_at", app.core.types.UTCDateTime(timezone=True)),
        sa.column("updated_at", app.core.types.UTCDateTime(timezone=True)),
    ]


foods = sa.table("foods", sa.column("id", sa.Uuid()), sa.column("code", sa.String()))
recipes = sa.table(
    "recipes",
    *_stamped(),
    sa.column("version", sa.Integer()),
    sa.column("kitchen_id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("category", sa.String()),
    sa.column("in_approved_menu", sa.Boolean()),
)
ingredients = sa.table(
    "recipe_ingredients",
    *_stamped(),
    sa.column("recipe_id", sa.Uuid()),
    sa.column("food_id", sa.Uuid()),
    sa.column("grams", sa.Float()),
    sa.column("position", sa.Integer()),
)
menu_items = sa.table("menu_items", sa.column("recipe_id", sa.Uuid()))
data_versions = sa.table(
    "data_versions", sa.column("scope", sa.String()), sa.column("version", sa.Integer())
)


def _reference() -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(name, category) → [(food code, grams)], in file order."""
    text = files("app.recipes").joinpath("data", "reference_recipes.csv").read_text("utf-8")
    found: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for row in csv.DictReader(text.splitlines()):
        found[(row["recipe"], row["category"])].append((row["food_code"], float(row["grams"])))
    return found


def _bump_reference_version() -> None:
    op.execute(
        data_versions.update()
        .where(data_versions.c.scope == "reference")
        .values(version=data_versions.c.version + 1)
    )


def upgrade() -> None:
    bind = op.get_bind()
    reference = _reference()
    food_ids = dict(bind.execute(sa.select(foods.c.code, foods.c.id)).all())
    national = {
        name.casefold()
        for (name,) in bind.execute(
            sa.select(recipes.c.name).where(recipes.c.kitchen_id.is_(None))
        ).all()
    }
    now = datetime.now(UTC)
    recipe_rows: list[dict[str, Any]] = []
    ingredient_rows: list[dict[str, Any]] = []
    for (name, category), lines in reference.items():
        if name.casefold() in national:
            continue
        unknown = sorted({code for code, _ in lines if code not in food_ids})
        if unknown:
            logger.warning("reference recipe %r skipped: no food %s", name, ", ".join(unknown))
            continue
        recipe_id = reference_recipe_id(name)
        recipe_rows.append(
            {
                "id": recipe_id,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "kitchen_id": None,
                "name": name,
                "category": category,
                "in_approved_menu": False,
            }
        )
        ingredient_rows.extend(
            {
                "id": uuid.uuid4(),
                "created_at": now,
                "updated_at": now,
                "recipe_id": recipe_id,
                "food_id": food_ids[code],
                "grams": grams,
                "position": position,
            }
            for position, (code, grams) in enumerate(lines)
        )
    if recipe_rows:
        op.bulk_insert(recipes, recipe_rows)
        op.bulk_insert(ingredients, ingredient_rows)
        _bump_reference_version()


def downgrade() -> None:
    ours = [reference_recipe_id(name) for name, _ in _reference()]
    used = sa.select(menu_items.c.recipe_id).where(menu_items.c.recipe_id.in_(ours))
    removable = sa.and_(
        recipes.c.id.in_(ours), recipes.c.kitchen_id.is_(None), recipes.c.id.not_in(used)
    )
    op.execute(
        ingredients.delete().where(
            ingredients.c.recipe_id.in_(sa.select(recipes.c.id).where(removable))
        )
    )
    op.execute(recipes.delete().where(removable))
    _bump_reference_version()
