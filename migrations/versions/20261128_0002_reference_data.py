"""reference data: built-in food catalogue, AKG 2019 targets, meal-type nutrition rules

The service must answer nutrition questions right after `alembic upgrade head`, so the
reference tables shipped in app/foods/data/ are loaded here, in bulk.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:00:00
"""

import csv
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUTRIENTS = (
    "energy_kcal",
    "protein_g",
    "fat_g",
    "carbohydrate_g",
    "fiber_g",
    "calcium_mg",
    "iron_mg",
    "vitamin_a_mcg",
    "vitamin_c_mg",
    "sodium_mg",
)
# The shares of daily needs per meal type (docs/foods.md).
RULES = {"lunch": (0.30, 0.35), "breakfast": (0.20, 0.25), "snack": (0.10, 0.15)}


# Lightweight table definitions: this revision must not depend on today's models.
def _stamped(*, nutrients: bool) -> list[sa.ColumnClause[Any]]:
    """id and timestamps (and the ten nutrient columns): fresh column objects per table."""
    columns = [
        sa.column("id", sa.Uuid()),
        sa.column("created_at", app.core.types.UTCDateTime(timezone=True)),
        sa.column("updated_at", app.core.types.UTCDateTime(timezone=True)),
    ]
    return columns + [sa.column(n, sa.Float()) for n in NUTRIENTS] if nutrients else columns


foods = sa.table(
    "foods",
    *_stamped(nutrients=True),
    sa.column("code", sa.String()),
    sa.column("name", sa.String()),
    sa.column("food_group", sa.String()),
    sa.column("commodity", sa.String()),
    sa.column("edible_portion_pct", sa.Float()),
    sa.column("allergens", sa.JSON()),
    sa.column("builtin", sa.Boolean()),
)
targets = sa.table(
    "nutrition_targets",
    *_stamped(nutrients=True),
    sa.column("code", sa.String()),
    sa.column("label", sa.String()),
)
rules = sa.table(
    "nutrition_rules",
    *_stamped(nutrients=False),
    sa.column("meal_type", sa.String()),
    sa.column("min_share", sa.Float()),
    sa.column("max_share", sa.Float()),
)


def _read(name: str) -> Iterator[dict[str, str]]:
    text = files("app.foods").joinpath("data", name).read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines())


def _number(value: str) -> float | None:
    return float(value) if value.strip() else None


def _stamps() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"id": uuid.uuid4(), "created_at": now, "updated_at": now}


def upgrade() -> None:
    op.bulk_insert(
        foods,
        [
            {
                **_stamps(),
                **{n: _number(row[n]) for n in NUTRIENTS},
                "code": row["code"],
                "name": row["name"],
                "food_group": row["food_group"],
                "commodity": row["commodity"],
                "edible_portion_pct": float(row["edible_portion_pct"]),
                "allergens": sorted(a for a in row["allergens"].split(";") if a),
                "builtin": True,
            }
            for row in _read("catalogue.csv")
        ],
    )
    op.bulk_insert(
        targets,
        [
            {
                **_stamps(),
                **{n: _number(row[n]) for n in NUTRIENTS},
                "code": row["code"],
                "label": row["label"],
            }
            for row in _read("akg_2019.csv")
        ],
    )
    op.bulk_insert(
        rules,
        [
            {**_stamps(), "meal_type": meal, "min_share": low, "max_share": high}
            for meal, (low, high) in RULES.items()
        ],
    )


def downgrade() -> None:
    # Removes the reference rows this revision added (recipes using built-in foods must
    # be deleted first: the foreign key refuses otherwise).
    op.execute(rules.delete().where(rules.c.meal_type.in_(list(RULES))))
    op.execute(
        targets.delete().where(targets.c.code.in_([r["code"] for r in _read("akg_2019.csv")]))
    )
    op.execute(
        foods.delete().where(
            foods.c.builtin.is_(True),
            foods.c.code.in_([r["code"] for r in _read("catalogue.csv")]),
        )
    )
