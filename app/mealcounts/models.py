"""Meal counts per kitchen, date, school and target group."""

import uuid
from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.core.models import IdTimestamps


class MealCountDay(IdTimestamps, table=True):
    """One reported day of a kitchen; its rows are replaced as a whole by PUT."""

    __tablename__ = "meal_count_days"
    __table_args__ = (UniqueConstraint("kitchen_id", "service_date"),)

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", ondelete="CASCADE")
    service_date: date = Field(index=True)


class MealCount(IdTimestamps, table=True):
    __tablename__ = "meal_counts"
    __table_args__ = (UniqueConstraint("kitchen_id", "service_date", "school_id", "target_group"),)

    day_id: uuid.UUID = Field(foreign_key="meal_count_days.id", index=True, ondelete="CASCADE")
    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", ondelete="CASCADE")
    service_date: date = Field(index=True)
    school_id: uuid.UUID = Field(foreign_key="schools.id", index=True, ondelete="CASCADE")
    target_group: str = Field(max_length=16)
    planned: int
    prepared: int | None = None
    served: int | None = None
    returned: int | None = None
