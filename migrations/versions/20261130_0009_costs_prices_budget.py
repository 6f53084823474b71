"""prices, a kitchen's halal rule and budget per portion (issue 16)

Kitchens gain `halal_required` (true for every existing kitchen: the programme serves
halal food unless a kitchen is told otherwise) and `budget_per_portion` (target group ->
whole rupiah; empty: every group takes the programme default).

`food_prices` holds national, regional and kitchen prices of foods from a date on. One
price per food, scope and first day, kept by three partial unique indexes that are also
the indexes the resolution of a kitchen's prices reads (a food's prices of one scope).

No prices are loaded here: the reference list shipped with Dapur is partly illustrative
(docs/costs.md), so only the demo world (`seed-demo`) and operators (`import-prices`) load
prices.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NATIONAL = "region_code IS NULL AND kitchen_id IS NULL"
REGIONAL = "region_code IS NOT NULL"
KITCHEN = "kitchen_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("kitchens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("halal_required", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("budget_per_portion", sa.JSON(), server_default="{}", nullable=False)
        )

    op.create_table(
        "food_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("food_id", sa.Uuid(), nullable=False),
        sa.Column("price_per_kg", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("kitchen_id", sa.Uuid(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "region_code IS NULL OR kitchen_id IS NULL", name=op.f("ck_food_prices_one_scope")
        ),
        sa.CheckConstraint("price_per_kg > 0", name=op.f("ck_food_prices_positive")),
        sa.ForeignKeyConstraint(
            ["food_id"], ["foods.id"], name=op.f("fk_food_prices_food_id_foods")
        ),
        sa.ForeignKeyConstraint(
            ["kitchen_id"],
            ["kitchens.id"],
            name=op.f("fk_food_prices_kitchen_id_kitchens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_food_prices")),
    )
    with op.batch_alter_table("food_prices", schema=None) as batch_op:
        batch_op.create_index(
            "uq_food_prices_national",
            ["food_id", "valid_from"],
            unique=True,
            sqlite_where=sa.text(NATIONAL),
            postgresql_where=sa.text(NATIONAL),
        )
        batch_op.create_index(
            "uq_food_prices_region",
            ["food_id", "region_code", "valid_from"],
            unique=True,
            sqlite_where=sa.text(REGIONAL),
            postgresql_where=sa.text(REGIONAL),
        )
        batch_op.create_index(
            "uq_food_prices_kitchen",
            ["kitchen_id", "food_id", "valid_from"],
            unique=True,
            sqlite_where=sa.text(KITCHEN),
            postgresql_where=sa.text(KITCHEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("food_prices", schema=None) as batch_op:
        batch_op.drop_index("uq_food_prices_kitchen")
        batch_op.drop_index("uq_food_prices_region")
        batch_op.drop_index("uq_food_prices_national")
    op.drop_table("food_prices")
    with op.batch_alter_table("kitchens", schema=None) as batch_op:
        batch_op.drop_column("budget_per_portion")
        batch_op.drop_column("halal_required")
