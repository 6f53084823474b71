"""Incidents (suspected food poisoning, KLB) and the trace an investigation starts from."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlalchemy import JSON, Index
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps
from app.core.schemas import INT_MAX, AwareIsoDatetime, Count, IsoDate, Text
from app.core.types import UTCDateTime
from app.deliveries.models import DeliveryPublic
from app.foodsafety.models import FoodSafetyCheckPublic
from app.kitchens.models import HygieneStatus, KitchenPublic
from app.nutrition.models import MealType

Symptom = Annotated[Text, StringConstraints(max_length=100)]
Cases = Annotated[int, PField(ge=1, le=INT_MAX, strict=True)]


class Incident(IdTimestamps, table=True):
    """Pupils of one school fell ill after a meal of one date: who reported it and what."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_kitchen_id_meal_date", "kitchen_id", "meal_date"),
        Index("ix_incidents_meal_date", "meal_date"),
    )

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="schools.id", index=True, ondelete="CASCADE")
    meal_date: date
    cases: int
    hospitalised: int | None = None
    onset_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    symptoms: list[str] = Field(default_factory=list, sa_type=JSON)
    notes: str | None = None
    reported_by_kind: str = Field(max_length=16)
    reported_by_id: uuid.UUID
    reported_by_name: str = Field(max_length=200)


class IncidentCreate(BaseModel):
    """A suspected food poisoning at a school, reported by a health office (or admin)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_id": "3f0c6a0e-8c1b-4a8e-9d57-0a4a3d7f6a11",
                    "meal_date": "2026-11-28",
                    "cases": 37,
                    "hospitalised": 4,
                    "onset_at": "2026-11-28T13:30:00+07:00",
                    "symptoms": ["mual", "muntah", "diare", "pusing"],
                    "notes": "Laporan Puskesmas Cicadas; sampel muntahan diambil",
                }
            ]
        },
    )

    school_id: uuid.UUID
    meal_date: IsoDate
    cases: Cases
    hospitalised: Count | None = None
    onset_at: AwareIsoDatetime | None = None
    symptoms: list[Symptom] = PField(default_factory=list, max_length=30)
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None


class IncidentPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    school_id: uuid.UUID
    meal_date: date
    cases: int
    hospitalised: int | None
    onset_at: datetime | None
    symptoms: list[str]
    notes: str | None
    reported_by_kind: str
    reported_by_name: str


# -- the trace ---------------------------------------------------------------------------


class TraceKitchen(KitchenPublic):
    hygiene_status_on_meal_date: HygieneStatus = PField(
        description="The hygiene certificate's status on the incident's meal date"
    )


class TraceSchool(BaseModel):
    id: uuid.UUID
    npsn: str
    name: str


class TraceFood(BaseModel):
    food_id: uuid.UUID
    code: str
    name: str
    commodity: str
    grams: float = PField(description="Edible grams in one standard portion of the recipe")
    allergens: list[str] | None


class TraceRecipe(BaseModel):
    recipe_id: uuid.UUID
    name: str
    servings: float
    foods: list[TraceFood]


class TraceMenu(BaseModel):
    id: uuid.UUID
    meal_type: MealType
    status: str
    approved_at: datetime | None
    override_reason: str | None
    recipes: list[TraceRecipe]


class StaffOnShift(BaseModel):
    staff_id: uuid.UUID
    role: str = PField(description="The role the person worked on the shift")
    certificate_status: str = PField(
        description="Food-handler certificate on the meal date: `valid`, `expired` or `missing`"
    )
    full_name: str | None = PField(
        description="Only for admin and the kitchen's managers (personal data); null otherwise"
    )
    shift_id: uuid.UUID
    shift_name: str
    starts_at: datetime
    ends_at: datetime
    clock_in_at: datetime | None
    clock_out_at: datetime | None


class AtRiskSchool(BaseModel):
    school_id: uuid.UUID
    npsn: str
    name: str
    portions_delivered: int | None = PField(
        description="Portions the school received that day (as sent, where receipt was not "
        "recorded); null without a delivery record"
    )
    portions_served: int | None = PField(
        description="Portions served that day by the meal counts; null when not reported"
    )


class Trace(BaseModel):
    """Everything Dapur knows about the meal an incident followed, in one answer."""

    incident: IncidentPublic
    kitchen: TraceKitchen
    school: TraceSchool
    menus: list[TraceMenu]
    food_safety_checks: list[FoodSafetyCheckPublic]
    deliveries: list[DeliveryPublic]
    staff_on_shift: list[StaffOnShift]
    at_risk_schools: list[AtRiskSchool]
