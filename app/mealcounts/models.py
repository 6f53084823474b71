"""Meal counts per kitchen, date, school and target group."""

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import Count
from app.nutrition.models import TargetGroup


class MealCountDay(IdTimestamps, Versioned, table=True):
    """One reported day of a kitchen; its rows are replaced as a whole by PUT, which moves
    its version (the day's ETag)."""

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


class MealCountIn(BaseModel):
    """One school and target group of a day, as the kitchen reports it."""

    model_config = ConfigDict(extra="forbid")

    school_id: uuid.UUID
    target_group: TargetGroup
    planned: Count | None = PField(
        default=None, description="Default: the school's enrolment for the group (0 if none)"
    )
    prepared: Count | None = None
    served: Count | None = None
    returned: Count | None = None


class MealCountsPut(BaseModel):
    """A whole day of counts: it replaces whatever the day held before."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "counts": [
                        {
                            "school_id": "3f0c6a0e-8c1b-4a8e-9d57-0a4a3d7f6a11",
                            "target_group": "7-9",
                            "planned": 120,
                            "prepared": 120,
                            "served": 117,
                            "returned": 2,
                        },
                        {
                            "school_id": "3f0c6a0e-8c1b-4a8e-9d57-0a4a3d7f6a11",
                            "target_group": "10-12-m",
                        },
                    ]
                }
            ]
        },
    )

    counts: list[MealCountIn] = PField(max_length=5000)


class MealCountPublic(BaseModel):
    school_id: uuid.UUID
    target_group: str
    planned: int
    prepared: int | None
    served: int | None
    returned: int | None


class MealCountTotals(BaseModel):
    """Sums of the known values; null when no count of the day knows the value."""

    planned: int | None
    prepared: int | None
    served: int | None
    returned: int | None


class MealCountDayPublic(Timestamps):
    kitchen_id: uuid.UUID
    service_date: date
    counts: list[MealCountPublic]
    totals: MealCountTotals


class MealCountDayList(BaseModel):
    """Reported days, newest first."""

    items: list[MealCountDayPublic]
