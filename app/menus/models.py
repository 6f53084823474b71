"""Menus: what a kitchen serves for one meal on one date, and its approval."""

import unicodedata
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from pydantic.config import JsonDict
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import IsoDate, Number, Patch
from app.core.types import UTCDateTime
from app.nutrition.models import MealType, TargetGroup


class Menu(IdTimestamps, Versioned, table=True):
    __tablename__ = "menus"
    __table_args__ = (UniqueConstraint("kitchen_id", "service_date", "meal_type"),)

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", ondelete="CASCADE")
    service_date: date = Field(index=True)
    meal_type: str = Field(max_length=16)
    status: str = Field(default="draft", max_length=16)
    approved_by: uuid.UUID | None = None
    approved_by_name: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approval_check: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    override_reason: str | None = None


class MenuItem(IdTimestamps, table=True):
    __tablename__ = "menu_items"

    menu_id: uuid.UUID = Field(foreign_key="menus.id", index=True, ondelete="CASCADE")
    recipe_id: uuid.UUID = Field(foreign_key="recipes.id", index=True)
    servings: float = 1.0
    position: int = 0


class MenuPortionFactor(SQLModel, table=True):
    """The share of the standard portion one target group is served."""

    __tablename__ = "menu_portion_factors"

    menu_id: uuid.UUID = Field(foreign_key="menus.id", primary_key=True, ondelete="CASCADE")
    target_group: str = Field(max_length=16, primary_key=True)
    factor: float


class MenuStatus(StrEnum):
    draft = "draft"
    approved = "approved"


class NutrientStatus(StrEnum):
    ok = "ok"
    low = "low"
    high = "high"
    unknown = "unknown"  # the group has no usable target for this nutrient


class CheckStatus(StrEnum):
    passed = "pass"
    failed = "fail"


class CostStatus(StrEnum):
    ok = "ok"
    over_budget = "over_budget"
    unknown = "unknown"  # a purchased food has no price


Servings = Annotated[Number, PField(gt=0, le=100, allow_inf_nan=False)]
Factor = Annotated[Number, PField(gt=0, le=10, allow_inf_nan=False)]
PortionFactors = dict[TargetGroup, Factor]
OVERRIDE_REASON_MIN = 10
# Blank-looking letters and marks: the combining grapheme joiner, the Hangul fillers and
# the blank Braille pattern (the control and format categories hold the other invisibles).
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")


def visible_length(text: str) -> int:
    """The length of `text` without invisible characters (zero-width spaces and joiners,
    bidi marks, soft hyphens, controls, ...) and without whitespace at either end."""
    shown = "".join(
        char for char in text if unicodedata.category(char)[0] != "C" and char not in _BLANK_LETTERS
    )
    return len(shown.strip())


def _long_enough(reason: str) -> str:
    """At least OVERRIDE_REASON_MIN characters that are not whitespace or invisible."""
    if visible_length(reason) < OVERRIDE_REASON_MIN:
        raise ValueError(
            f"must hold at least {OVERRIDE_REASON_MIN} characters besides spaces and invisible ones"
        )
    return reason


OverrideReason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_long_enough),
]


class MenuItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipe_id: uuid.UUID
    servings: Servings = 1.0


MenuItems = Annotated[list[MenuItemIn], PField(min_length=1, max_length=50)]

_MENU_EXAMPLE: JsonDict = {
    "service_date": "2026-11-30",
    "meal_type": "lunch",
    "items": [
        {"recipe_id": "0b6f3c1e-8d4a-4c55-9d2e-1f0a2b3c4d5e", "servings": 1},
        {"recipe_id": "5c1d7e2a-3b4f-4a6e-8c9d-0e1f2a3b4c5d", "servings": 0.5},
    ],
    "portion_factors": {"7-9": 0.8, "10-12-m": 1.2},
}


class MenuCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MENU_EXAMPLE]})

    service_date: IsoDate
    meal_type: MealType
    items: MenuItems
    portion_factors: PortionFactors = PField(
        default_factory=dict,
        description="Share of the standard portion per target group; 1.0 for groups not named",
    )


class MenuUpdate(Patch):
    """Fields to change; `items` and `portion_factors` replace the whole list or object."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"items": [{"recipe_id": "0b6f3c1e-8d4a-4c55-9d2e-1f0a2b3c4d5e"}]}]
        },
    )

    service_date: IsoDate | None = None
    meal_type: MealType | None = None
    items: MenuItems | None = None
    portion_factors: PortionFactors | None = None


class MenuApprove(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {},
                {"override_reason": "Buah diganti pisang karena pasokan jeruk terlambat"},
            ]
        },
    )

    override_reason: OverrideReason | None = PField(
        default=None,
        description="Required (≥ 10 characters) to approve a menu whose check fails or "
        "that is over budget for a group",
    )


class NutrientCheck(BaseModel):
    """One nutrient for one group: per-portion value against the daily target."""

    value: float
    target: float | None
    share: float | None
    status: NutrientStatus


class GroupCost(BaseModel):
    """What one portion for the group costs to buy, against the kitchen's budget."""

    cost_per_portion: float | None = PField(
        description="Rupiah: factor x Σ items servings x recipe cost per portion; null when "
        "a purchased food has no price"
    )
    budget: int = PField(description="The kitchen's budget per portion for the group")
    status: CostStatus
    portions: int = PField(description="The group's portions on the day (as demand counts)")


class GroupCheck(BaseModel):
    target_group: str
    factor: float
    status: CheckStatus
    nutrients: dict[str, NutrientCheck]
    cost: GroupCost | None = PField(
        default=None, description="Null only in checks approved before costs were recorded"
    )


class PriceUsed(BaseModel):
    """A price the check's costs use: the one that applies to the kitchen on the date."""

    food_id: uuid.UUID
    price_per_kg: int
    source: str
    valid_from: date


class NutritionCheck(BaseModel):
    """A menu's nutrition check: live for a draft, as approved for an approved menu."""

    menu_id: uuid.UUID
    meal_type: MealType
    min_share: float
    max_share: float
    overall: CheckStatus
    groups: list[GroupCheck]
    incomplete_nutrients: list[str] = PField(
        description="Nutrients some ingredient's food has no value for (counted as 0)"
    )
    cost_per_day: float | None = PField(
        default=None,
        description="Rupiah for the day: Σ groups portions x the group's cost per portion; "
        "null when a price is missing",
    )
    missing_prices: list[uuid.UUID] = PField(
        default_factory=list, description="Purchased foods without a price on the date"
    )
    prices: list[PriceUsed] = PField(
        default_factory=list,
        description="The prices the costs use (an approved menu keeps those it was approved with)",
    )
    computed_at: datetime


class MenuItemPublic(BaseModel):
    recipe_id: uuid.UUID
    recipe_name: str
    servings: float


class MenuPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    service_date: date
    meal_type: MealType
    status: MenuStatus
    items: list[MenuItemPublic]
    portion_factors: dict[str, float]
    allergens: list[str] = PField(description="Union of the recipes' allergens, sorted")
    allergens_unassessed_foods: list[uuid.UUID] = PField(
        description="Foods whose allergens were never assessed: `allergens` lists what is "
        "known of the rest"
    )
    halal_unknown_foods: list[uuid.UUID] = PField(
        description="Foods whose halal status is unknown (allowed, but worth a look)"
    )
    approved_by: uuid.UUID | None = PField(description="Id of the approving user or API key")
    approved_by_name: str | None
    approved_at: datetime | None
    override_reason: str | None
    nutrition_check: NutritionCheck | None = PField(
        description="The check the menu was approved with; null while draft"
    )
