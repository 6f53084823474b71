"""deliveries, hygiene certificates, incidents, suspension (issue 18)

A kitchen gains its hygiene certificate (Sertifikat Laik Higiene Sanitasi: number, issue
and expiry dates) and its status (`active` or `suspended`, with the current suspension's
time and reason); every suspension is kept in `kitchen_suspensions` with who suspended
and who reinstated the kitchen, and why. `deliveries` records each school's meal from
departure to the start of eating (one per school, date and meal type); `incidents`
records suspected food poisonings at a school after a meal of a date.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> app.core.types.UTCDateTime:
    return app.core.types.UTCDateTime(timezone=True)


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("kitchens") as batch:
        # Every existing kitchen is active; new ones too unless a health office says not.
        batch.add_column(sa.Column("status", _text(16), nullable=False, server_default="active"))
        batch.add_column(sa.Column("suspended_at", _utc(), nullable=True))
        batch.add_column(sa.Column("suspension_reason", _text(2000), nullable=True))
        batch.add_column(sa.Column("hygiene_certificate_number", _text(64), nullable=True))
        batch.add_column(sa.Column("hygiene_certificate_issued_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("hygiene_certificate_expires_on", sa.Date(), nullable=True))

    op.create_table(
        "kitchen_suspensions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("kitchen_id", sa.Uuid(), nullable=False),
        sa.Column("suspended_at", _utc(), nullable=False),
        sa.Column("suspended_by_kind", _text(16), nullable=False),
        sa.Column("suspended_by_id", sa.Uuid(), nullable=False),
        sa.Column("suspended_by_name", _text(200), nullable=False),
        sa.Column("reason", _text(2000), nullable=False),
        sa.Column("reinstated_at", _utc(), nullable=True),
        sa.Column("reinstated_by_kind", _text(16), nullable=True),
        sa.Column("reinstated_by_id", sa.Uuid(), nullable=True),
        sa.Column("reinstated_by_name", _text(200), nullable=True),
        sa.Column("reinstatement_reason", _text(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["kitchen_id"],
            ["kitchens.id"],
            name=op.f("fk_kitchen_suspensions_kitchen_id_kitchens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kitchen_suspensions")),
    )
    op.create_index(
        op.f("ix_kitchen_suspensions_kitchen_id"), "kitchen_suspensions", ["kitchen_id"]
    )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kitchen_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("meal_type", _text(16), nullable=False),
        sa.Column("portions", sa.Integer(), nullable=False),
        sa.Column("departed_at", _utc(), nullable=False),
        sa.Column("arrived_at", _utc(), nullable=True),
        sa.Column("received_by", _text(200), nullable=True),
        sa.Column("received_portions", sa.Integer(), nullable=True),
        sa.Column("arrival_temp_c", sa.Float(), nullable=True),
        sa.Column("consumption_started_at", _utc(), nullable=True),
        sa.Column("notes", _text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kitchen_id"],
            ["kitchens.id"],
            name=op.f("fk_deliveries_kitchen_id_kitchens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_deliveries_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        # One per school, date and meal type; also the index of a school's deliveries.
        sa.UniqueConstraint(
            "school_id",
            "service_date",
            "meal_type",
            name=op.f("uq_deliveries_school_id_service_date_meal_type"),
        ),
    )
    # A kitchen's deliveries of a day (lists, the day view, reports by kitchen).
    op.create_index(
        "ix_deliveries_kitchen_id_service_date", "deliveries", ["kitchen_id", "service_date"]
    )

    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("kitchen_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("meal_date", sa.Date(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("hospitalised", sa.Integer(), nullable=True),
        sa.Column("onset_at", _utc(), nullable=True),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.Column("notes", _text(), nullable=True),
        sa.Column("reported_by_kind", _text(16), nullable=False),
        sa.Column("reported_by_id", sa.Uuid(), nullable=False),
        sa.Column("reported_by_name", _text(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["kitchen_id"],
            ["kitchens.id"],
            name=op.f("fk_incidents_kitchen_id_kitchens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_incidents_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_kitchen_id_meal_date", "incidents", ["kitchen_id", "meal_date"])
    op.create_index("ix_incidents_meal_date", "incidents", ["meal_date"])
    op.create_index(op.f("ix_incidents_school_id"), "incidents", ["school_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_school_id"), table_name="incidents")
    op.drop_index("ix_incidents_meal_date", table_name="incidents")
    op.drop_index("ix_incidents_kitchen_id_meal_date", table_name="incidents")
    op.drop_table("incidents")
    op.drop_index("ix_deliveries_kitchen_id_service_date", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_kitchen_suspensions_kitchen_id"), table_name="kitchen_suspensions")
    op.drop_table("kitchen_suspensions")
    with op.batch_alter_table("kitchens") as batch:
        batch.drop_column("hygiene_certificate_expires_on")
        batch.drop_column("hygiene_certificate_issued_on")
        batch.drop_column("hygiene_certificate_number")
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_at")
        batch.drop_column("status")
