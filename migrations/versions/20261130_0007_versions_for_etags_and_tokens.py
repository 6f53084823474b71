"""version columns for If-Match and ETags, kitchen and reference data versions, token versions

Every table written through PATCH or PUT gets `version` (SQLAlchemy's version counter):
If-Match is checked against it in the write's own transaction, and single resources'
ETags derive from it. `kitchens.data_version` counts writes to a kitchen's data and
`data_versions` counts writes to reference data: the day view's ETag is made of the two.
`users.token_version` is written into every token, so a change of password, role, scope
or active state ends the tokens issued before it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = (
    "kitchens",
    "schools",
    "staff",
    "shifts",
    "users",
    "foods",
    "recipes",
    "menus",
    "nutrition_targets",
    "nutrition_rules",
    "meal_count_days",
    "food_safety_checks",
)


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("kitchens") as batch:
        batch.add_column(
            sa.Column("data_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="1")
        )
    # The defaults served to fill existing rows; the application sets every new value.
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("version", server_default=None)
    with op.batch_alter_table("kitchens") as batch:
        batch.alter_column("data_version", server_default=None)
    with op.batch_alter_table("users") as batch:
        batch.alter_column("token_version", server_default=None)
    # A recipe an approved menu uses may no longer change; approval sets this (menus know
    # recipes, recipes do not know menus).
    with op.batch_alter_table("recipes") as batch:
        batch.add_column(
            sa.Column("in_approved_menu", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE recipes SET in_approved_menu = true WHERE id IN ("
        " SELECT menu_items.recipe_id FROM menu_items"
        " JOIN menus ON menus.id = menu_items.menu_id WHERE menus.status = 'approved')"
    )
    with op.batch_alter_table("recipes") as batch:
        batch.alter_column("in_approved_menu", server_default=None)
    data_versions = op.create_table(
        "data_versions",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(data_versions, [{"scope": "reference", "version": 1}])


def downgrade() -> None:
    op.drop_table("data_versions")
    with op.batch_alter_table("recipes") as batch:
        batch.drop_column("in_approved_menu")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
    with op.batch_alter_table("kitchens") as batch:
        batch.drop_column("data_version")
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
