"""Food-safety checks of a day's cooking and dispatch."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field

from app.core.models import IdTimestamps
from app.core.types import UTCDateTime


class FoodSafetyCheck(IdTimestamps, table=True):
    __tablename__ = "food_safety_checks"

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", index=True, ondelete="CASCADE")
    service_date: date = Field(index=True)
    cooked_at: datetime = Field(sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sample_retained: bool
    organoleptic_ok: bool
    core_temp_c: float | None = None
    notes: str | None = None
    flags: list[str] = Field(default_factory=list, sa_type=JSON)
