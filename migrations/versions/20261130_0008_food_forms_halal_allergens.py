"""food forms, halal status, allergens not assessed; the catalogue's new values

Foods gain `raw_food_id` and `cooked_yield` (a cooked food names the raw food it is made
from), `halal` (`halal`, `not_halal`, `unknown`), and `allergens` may be NULL: not
assessed, as distinct from `[]`, assessed free of all.

Data: before this revision `[]` was the only way to say "no allergen known", so foods
that are not built-in and have `[]` become NULL (not assessed); they keep `unknown`
halal status. Built-in foods take commodity, allergens, halal status, vitamin A and raw
form from app/foods/data/catalogue.csv, read here as revision 0002 reads it; catalogue
foods missing from the database are added.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00
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

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
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
CHECK = (
    "(raw_food_id IS NULL AND cooked_yield IS NULL) OR "
    "(raw_food_id IS NOT NULL AND raw_food_id <> id AND cooked_yield IS NOT NULL "
    "AND cooked_yield > 0 AND cooked_yield <= 10.0)"
)

# A lightweight table: this revision must not depend on today's models.
foods = sa.table(
    "foods",
    sa.column("id", sa.Uuid()),
    sa.column("created_at", app.core.types.UTCDateTime(timezone=True)),
    sa.column("updated_at", app.core.types.UTCDateTime(timezone=True)),
    *[sa.column(n, sa.Float()) for n in NUTRIENTS],
    sa.column("code", sa.String()),
    sa.column("name", sa.String()),
    sa.column("food_group", sa.String()),
    sa.column("commodity", sa.String()),
    sa.column("edible_portion_pct", sa.Float()),
    sa.column("allergens", sa.JSON(none_as_null=True)),
    sa.column("builtin", sa.Boolean()),
    sa.column("raw_food_id", sa.Uuid()),
    sa.column("cooked_yield", sa.Float()),
    sa.column("halal", sa.String()),
    sa.column("version", sa.Integer()),
)


def _catalogue() -> Iterator[dict[str, str]]:
    text = files("app.foods").joinpath("data", "catalogue.csv").read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines())


def _number(value: str) -> float | None:
    return float(value) if value.strip() else None


def _allergens(row: dict[str, str]) -> list[str] | None:
    if row["allergens_assessed"] != "yes":
        return None
    return sorted(a for a in row["allergens"].split(";") if a)


def upgrade() -> None:
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_food_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("cooked_yield", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("halal", sa.String(length=16), server_default="unknown", nullable=False)
        )
        batch_op.alter_column("allergens", existing_type=sa.JSON(), nullable=True)
        batch_op.create_foreign_key("fk_foods_raw_food_id_foods", "foods", ["raw_food_id"], ["id"])
        batch_op.create_check_constraint(batch_op.f("ck_foods_raw_form"), sa.text(CHECK))

    conn = op.get_bind()
    # "[]" meant "none known"; for foods nobody has assessed that now reads "not assessed".
    conn.execute(
        foods.update()
        .where(foods.c.builtin.is_(False), sa.cast(foods.c.allergens, sa.Text) == "[]")
        .values(allergens=None)
    )

    rows = list(_catalogue())
    existing = set(conn.execute(sa.select(foods.c.code)).scalars())
    now = datetime.now(UTC)
    missing = [r for r in rows if r["code"] not in existing]
    if missing:
        conn.execute(
            foods.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "created_at": now,
                    "updated_at": now,
                    **{n: _number(r[n]) for n in NUTRIENTS},
                    "code": r["code"],
                    "name": r["name"],
                    "food_group": r["food_group"],
                    "commodity": r["commodity"],
                    "edible_portion_pct": float(r["edible_portion_pct"]),
                    "allergens": _allergens(r),
                    "builtin": True,
                    "halal": r["halal"],
                    "version": 1,
                }
                for r in missing
            ],
        )

    ids = dict(
        conn.execute(
            sa.select(foods.c.code, foods.c.id).where(foods.c.code.in_([r["code"] for r in rows]))
        ).all()
    )
    update = (
        foods.update()
        .where(foods.c.code == sa.bindparam("b_code"))
        .values(
            commodity=sa.bindparam("b_commodity"),
            allergens=sa.bindparam("b_allergens", type_=sa.JSON(none_as_null=True)),
            halal=sa.bindparam("b_halal"),
            vitamin_a_mcg=sa.bindparam("b_vitamin_a", type_=sa.Float()),
            raw_food_id=sa.bindparam("b_raw", type_=sa.Uuid()),
            cooked_yield=sa.bindparam("b_yield", type_=sa.Float()),
            builtin=True,
            updated_at=now,
        )
    )
    params: list[dict[str, Any]] = [
        {
            "b_code": r["code"],
            "b_commodity": r["commodity"],
            "b_allergens": _allergens(r),
            "b_halal": r["halal"],
            "b_vitamin_a": _number(r["vitamin_a_mcg"]),
            "b_raw": ids[r["raw_food_code"]] if r["raw_food_code"] else None,
            "b_yield": _number(r["cooked_yield"]),
        }
        for r in rows
    ]
    conn.execute(update, params)


def downgrade() -> None:
    # Foods stay (the added catalogue foods are valid rows under the older schema too, and
    # revision 0002's downgrade removes the whole catalogue); so do the new commodities
    # and vitamin A values. "Not assessed" folds back into "[]".
    conn = op.get_bind()
    conn.execute(foods.update().values(raw_food_id=None, cooked_yield=None))
    conn.execute(foods.update().where(foods.c.allergens.is_(None)).values(allergens=[]))
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_foods_raw_form"), type_="check")
        batch_op.drop_constraint("fk_foods_raw_food_id_foods", type_="foreignkey")
        batch_op.alter_column("allergens", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("halal")
        batch_op.drop_column("cooked_yield")
        batch_op.drop_column("raw_food_id")
