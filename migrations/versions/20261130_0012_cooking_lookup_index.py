"""one index for the cooking of a kitchen's day, which every delivery's hours start from

The deliveries report, the dashboard and the trace look up the latest food-safety check of
a (kitchen, service date) for each delivery. With only the single-column indexes on
`kitchen_id` and `service_date`, PostgreSQL combined both bitmaps for every delivery,
reading the whole nation's checks of that date each time: a province's month of deliveries
(~104,000 rows on the large synthetic nation) took 50 s. The composite index answers each
lookup in one probe (2.7 s for the same statement). It leads with `kitchen_id`, so it
replaces that column's own index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_food_safety_checks_kitchen_id_service_date_cooked_at"


def upgrade() -> None:
    op.create_index(NAME, "food_safety_checks", ["kitchen_id", "service_date", "cooked_at"])
    op.drop_index("ix_food_safety_checks_kitchen_id", table_name="food_safety_checks")


def downgrade() -> None:
    op.create_index("ix_food_safety_checks_kitchen_id", "food_safety_checks", ["kitchen_id"])
    op.drop_index(NAME, table_name="food_safety_checks")
