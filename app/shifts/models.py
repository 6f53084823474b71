"""Shifts with role requirements, and the staff assigned to them."""

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic import Field as PField
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import INT_MAX, AwareIsoDatetime, Patch, not_blank
from app.core.types import UTCDateTime
from app.staff.models import StaffRole

MAX_SHIFT_LENGTH = timedelta(hours=12)
# Statutory limit per ISO week: 40 regular hours plus 18 hours of overtime.
WEEKLY_HOURS_LIMIT = 58

ShiftName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(not_blank),
]
Headcount = Annotated[int, PField(gt=0, le=INT_MAX, strict=True)]
Requirements = dict[StaffRole, Headcount]


class Shift(IdTimestamps, Versioned, table=True):
    """A shift; its version moves with every change of its assignments too (they are part
    of its representation)."""

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


def check_shift_window(starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a shift's times are invalid, or None when they are fine."""
    if ends_at <= starts_at:
        return "ends_at must be after starts_at"
    if ends_at - starts_at > MAX_SHIFT_LENGTH:
        return "a shift may last at most 12 hours"
    return None


class ShiftCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Masak pagi",
                    "starts_at": "2026-12-01T02:00:00+07:00",
                    "ends_at": "2026-12-01T10:00:00+07:00",
                    "requirements": {"cook": 4, "portioning": 6, "driver": 2},
                }
            ]
        },
    )

    name: ShiftName
    starts_at: AwareIsoDatetime
    ends_at: AwareIsoDatetime
    requirements: Requirements = PField(description="Staff role → headcount needed")

    @field_validator("ends_at")
    @classmethod
    def _window(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None:
            problem = check_shift_window(starts_at, ends_at)
            if problem:
                raise ValueError(problem)
        return ends_at


class ShiftUpdate(Patch):
    """Fields to change; `requirements` replaces the whole object."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "starts_at": "2026-12-01T03:00:00+07:00",
                    "ends_at": "2026-12-01T11:00:00+07:00",
                }
            ]
        },
    )

    name: ShiftName | None = None
    starts_at: AwareIsoDatetime | None = None
    ends_at: AwareIsoDatetime | None = None
    requirements: Requirements | None = None


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"staff_id": "5b0e9c1d-3a57-4f4e-9a57-0e4b6f2d8c11"}]},
    )

    staff_id: uuid.UUID


class ClockEvent(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"at": "2026-12-01T01:55:00+07:00"}]}
    )

    at: AwareIsoDatetime | None = PField(default=None, description="When; default now")


class AssignmentPublic(Timestamps):
    id: uuid.UUID
    shift_id: uuid.UUID
    staff_id: uuid.UUID
    role: StaffRole
    starts_at: datetime
    ends_at: datetime
    clock_in_at: datetime | None
    clock_out_at: datetime | None


class Coverage(BaseModel):
    required: int
    assigned: int


class ShiftPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    local_date: date = PField(description="The kitchen-local date the shift starts on")
    requirements: dict[str, int]
    assignments: list[AssignmentPublic]
    coverage: dict[str, Coverage]
    fully_staffed: bool


class TimesheetRow(BaseModel):
    staff_id: uuid.UUID
    full_name: str
    role: StaffRole
    active: bool
    shifts: int
    scheduled_hours: float
    worked_hours: float


class Timesheet(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = PField(alias="from", description="First kitchen-local date (inclusive)")
    to: date = PField(description="Last kitchen-local date (inclusive)")
    items: list[TimesheetRow]
