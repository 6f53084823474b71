"""Deliveries: a kitchen's food on its way to a school, from departure to the first bite."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import AwareIsoDatetime, Count, IsoDate, Number, Patch, Text
from app.core.types import UTCDateTime
from app.nutrition.models import MealType

ReceivedBy = Annotated[Text, StringConstraints(max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=2000)]
# Food arriving colder than this or hotter than that was not measured in food.
ArrivalTemp = Annotated[Number, PField(ge=-30, le=150)]


class Delivery(IdTimestamps, Versioned, table=True):
    """One school's meal of one type on one date, as it left the kitchen and arrived."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("school_id", "service_date", "meal_type"),
        Index("ix_deliveries_kitchen_id_service_date", "kitchen_id", "service_date"),
    )

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="schools.id", ondelete="CASCADE")
    service_date: date
    meal_type: str = Field(max_length=16)
    portions: int
    departed_at: datetime = Field(sa_type=UTCDateTime)
    arrived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_by: str | None = Field(default=None, max_length=200)
    received_portions: int | None = None
    arrival_temp_c: float | None = None
    consumption_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notes: str | None = None


class DeliveryFlag(StrEnum):
    """What a delivery's record shows went wrong, in this order."""

    over_4h = "over_4h"  # cooking to consumption (else arrival) over the 4-hour target
    over_6h = "over_6h"  # ... over the 6-hour limit
    short_delivery = "short_delivery"  # fewer portions received than sent
    not_received = "not_received"  # no arrival (nor eating) by the end of the local service day
    no_cooking_record = "no_cooking_record"  # no food-safety check of the kitchen that day


class DeliveryCreate(BaseModel):
    """A delivery leaving the kitchen (the driver records it from the kitchen's app)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "service_date": "2026-11-30",
                    "school_id": "3f0c6a0e-8c1b-4a8e-9d57-0a4a3d7f6a11",
                    "meal_type": "lunch",
                    "portions": 308,
                    "departed_at": "2026-11-30T09:40:00+07:00",
                }
            ]
        },
    )

    service_date: IsoDate
    school_id: uuid.UUID
    meal_type: MealType
    portions: Count
    departed_at: AwareIsoDatetime


class DeliveryUpdate(Patch):
    """What the school's side adds as it happens; fields left out keep their values."""

    NULLABLE = frozenset(
        {
            "arrived_at",
            "received_by",
            "received_portions",
            "arrival_temp_c",
            "consumption_started_at",
            "notes",
        }
    )
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "arrived_at": "2026-11-30T10:05:00+07:00",
                    "received_by": "Ibu Ratna (guru piket)",
                    "received_portions": 308,
                    "arrival_temp_c": 63.5,
                    "consumption_started_at": "2026-11-30T10:30:00+07:00",
                }
            ]
        },
    )

    portions: Count | None = None
    departed_at: AwareIsoDatetime | None = None
    arrived_at: AwareIsoDatetime | None = None
    received_by: ReceivedBy | None = None
    received_portions: Count | None = None
    arrival_temp_c: ArrivalTemp | None = None
    consumption_started_at: AwareIsoDatetime | None = None
    notes: Notes | None = None


class DeliveryPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    school_id: uuid.UUID
    service_date: date
    meal_type: MealType
    portions: int
    departed_at: datetime
    arrived_at: datetime | None
    received_by: str | None
    received_portions: int | None
    arrival_temp_c: float | None
    consumption_started_at: datetime | None
    notes: str | None
    cooked_at: datetime | None = PField(
        description="When the food this delivery carried finished cooking (from the day's "
        "food-safety checks; null without one): the flags' hours count from it"
    )
    flags: list[DeliveryFlag]
