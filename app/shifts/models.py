"""Shifts with role requirements, and the staff assigned to them."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field

from app.core.models import IdTimestamps
from app.core.types import UTCDateTime


class Shift(IdTimestamps, table=True):
    __tablename__ = "shifts"

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    requirements: dict[str, int] = Field(default_factory=dict, sa_type=JSON)


class Assignment(IdTimestamps, table=True):
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("shift_id", "staff_id"),)

    shift_id: uuid.UUID = Field(foreign_key="shifts.id", index=True, ondelete="CASCADE")
    staff_id: uuid.UUID = Field(foreign_key="staff.id", index=True)
    role: str = Field(max_length=32)
    # Copied from the shift so overlap and weekly-hours checks need no join.
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    clock_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    clock_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
