"""The day view: what a kitchen manager needs on opening the app, in one payload."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from app.deliveries.models import DeliveryPublic
from app.menus.models import CheckStatus, MenuPublic
from app.shifts.models import ShiftPublic


class AlertKind(StrEnum):
    certificate_expiring = "certificate_expiring"
    certificate_expired = "certificate_expired"
    shift_understaffed = "shift_understaffed"
    menu_not_approved = "menu_not_approved"
    meal_counts_missing = "meal_counts_missing"
    hygiene_certificate = "hygiene_certificate"
    over_capacity = "over_capacity"
    kitchen_suspended = "kitchen_suspended"


class Alert(BaseModel):
    kind: AlertKind
    message: str = Field(description="What to do, in a sentence a manager can act on")
    date: dt.date | None = None
    staff_id: uuid.UUID | None = None
    shift_id: uuid.UUID | None = None
    menu_id: uuid.UUID | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class DayMenu(MenuPublic):
    check_status: CheckStatus = Field(
        description="The nutrition check: as approved, or computed now for a draft"
    )
    failing_groups: list[str]


class DaySchool(BaseModel):
    id: uuid.UUID
    npsn: str
    name: str
    counts_reported: bool = Field(description="The day's meal counts include this school")
    served_reported: bool = Field(description="Every count row of the school has `served`")
    deliveries: list[DeliveryPublic] = Field(
        description="The school's deliveries of the day, by meal type, with their flags"
    )


class DayView(BaseModel):
    kitchen_id: uuid.UUID
    date: dt.date
    timezone: str
    menus: list[DayMenu]
    shifts: list[ShiftPublic]
    schools: list[DaySchool]
    alerts: list[Alert]
    planned_portions: int = Field(
        description="Portions planned for the day: per menu, each school's planned counts "
        "(else its enrolment); compared with the kitchen's capacity_per_day"
    )
    capacity_per_day: int | None
