"""Food-safety checks of a day's cooking and dispatch."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import JSON, Index
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import AwareIsoDatetime, IsoDate, Number, Patch, StrictBool
from app.core.types import UTCDateTime


class FoodSafetyCheck(IdTimestamps, Versioned, table=True):
    __tablename__ = "food_safety_checks"
    # A delivery's hours start at the day's cooking: reports look up the latest cooking
    # of a (kitchen, day) once per delivery, so this index answers each in one probe.
    __table_args__ = (
        Index(
            "ix_food_safety_checks_kitchen_id_service_date_cooked_at",
            "kitchen_id",
            "service_date",
            "cooked_at",
        ),
    )

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", ondelete="CASCADE")
    service_date: date = Field(index=True)
    cooked_at: datetime = Field(sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sample_retained: bool
    organoleptic_ok: bool
    core_temp_c: float | None = None
    notes: str | None = None
    flags: list[str] = Field(default_factory=list, sa_type=JSON)


class SafetyFlag(StrEnum):
    """What a check found wrong, in the contract's order."""

    no_sample_retained = "no_sample_retained"
    organoleptic_failed = "organoleptic_failed"
    core_temp_below_75c = "core_temp_below_75c"
    dispatch_over_4h = "dispatch_over_4h"


class FoodSafetyCheckCreate(BaseModel):
    """A day's check. Datetimes carry an offset; cooking falls on the service date or the
    day before it (kitchen-local), and dispatch comes after cooking."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "service_date": "2026-11-28",
                    "cooked_at": "2026-11-28T03:30:00+07:00",
                    "dispatched_at": "2026-11-28T06:15:00+07:00",
                    "sample_retained": True,
                    "organoleptic_ok": True,
                    "core_temp_c": 82.5,
                    "notes": "Sampel disimpan 2x24 jam di kulkas",
                }
            ]
        },
    )

    service_date: IsoDate
    cooked_at: AwareIsoDatetime
    dispatched_at: AwareIsoDatetime | None = None
    sample_retained: StrictBool
    organoleptic_ok: StrictBool
    core_temp_c: Number | None = PField(default=None, ge=-50, le=300)
    notes: str | None = PField(default=None, max_length=2000)


class FoodSafetyCheckUpdate(Patch):
    """A correction: fields left out keep their values; the flags are computed again."""

    NULLABLE = frozenset({"dispatched_at", "core_temp_c", "notes"})
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"core_temp_c": 81.0, "notes": "Suhu diukur ulang"}]},
    )

    service_date: IsoDate | None = None
    cooked_at: AwareIsoDatetime | None = None
    dispatched_at: AwareIsoDatetime | None = None
    sample_retained: StrictBool | None = None
    organoleptic_ok: StrictBool | None = None
    core_temp_c: Number | None = PField(default=None, ge=-50, le=300)
    notes: str | None = PField(default=None, max_length=2000)


class FoodSafetyCheckPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    service_date: date
    cooked_at: datetime
    dispatched_at: datetime | None
    sample_retained: bool
    organoleptic_ok: bool
    core_temp_c: float | None
    notes: str | None
    flags: list[SafetyFlag]
