"""AKG target groups, daily nutrition targets and per-meal share rules."""

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import Field as PField
from sqlmodel import Field

from app.core.akg import TargetGroup as TargetGroup  # the codes' home is app/core/akg.py
from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import Number, Patch, not_blank


class MealType(StrEnum):
    lunch = "lunch"
    breakfast = "breakfast"
    snack = "snack"


# The ten nutrients every food, recipe, target and check speaks of, in display order.
NUTRIENTS: tuple[str, ...] = (
    "energy_kcal",
    "protein_g",
    "fat_g",
    "carbohydrate_g",
    "fiber_g",
    "calcium_mg",
    "iron_mg",
    "vitamin_a_mcg",
    "vitamin_c_mg",
    "sodium_mg",
)


class NutrientColumns(IdTimestamps):
    """Ten nullable nutrient columns, shared by foods and targets."""

    energy_kcal: float | None = None
    protein_g: float | None = None
    fat_g: float | None = None
    carbohydrate_g: float | None = None
    fiber_g: float | None = None
    calcium_mg: float | None = None
    iron_mg: float | None = None
    vitamin_a_mcg: float | None = None
    vitamin_c_mg: float | None = None
    sodium_mg: float | None = None


class NutritionTarget(NutrientColumns, Versioned, table=True):
    """Daily needs of one AKG group."""

    __tablename__ = "nutrition_targets"

    code: str = Field(max_length=16, unique=True)
    label: str = Field(max_length=100)


class NutritionRule(IdTimestamps, Versioned, table=True):
    """The share of daily needs one meal type should provide."""

    __tablename__ = "nutrition_rules"

    meal_type: str = Field(max_length=16, unique=True)
    min_share: float
    max_share: float


NutrientValue = Annotated[Number, PField(ge=0, allow_inf_nan=False)]
TargetValue = Annotated[Number, PField(gt=0, allow_inf_nan=False)]
Share = Annotated[Number, PField(gt=0, le=1, allow_inf_nan=False)]


class Nutrients(BaseModel):
    """The ten nutrients; `null` means unknown (never zero)."""

    model_config = ConfigDict(extra="forbid")

    energy_kcal: NutrientValue | None = None
    protein_g: NutrientValue | None = None
    fat_g: NutrientValue | None = None
    carbohydrate_g: NutrientValue | None = None
    fiber_g: NutrientValue | None = None
    calcium_mg: NutrientValue | None = None
    iron_mg: NutrientValue | None = None
    vitamin_a_mcg: NutrientValue | None = None
    vitamin_c_mg: NutrientValue | None = None
    sodium_mg: NutrientValue | None = None


class NutritionTargetUpdate(Patch):
    """New daily values for one group; fields left out keep their values (null is 422)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"energy_kcal": 1650, "protein_g": 40, "iron_mg": 10}]},
    )

    label: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
            AfterValidator(not_blank),
        ]
        | None
    ) = None
    energy_kcal: TargetValue | None = None
    protein_g: TargetValue | None = None
    fat_g: TargetValue | None = None
    carbohydrate_g: TargetValue | None = None
    fiber_g: TargetValue | None = None
    calcium_mg: TargetValue | None = None
    iron_mg: TargetValue | None = None
    vitamin_a_mcg: TargetValue | None = None
    vitamin_c_mg: TargetValue | None = None
    sodium_mg: TargetValue | None = None


class NutritionTargetPublic(Timestamps):
    code: str
    label: str
    energy_kcal: float | None
    protein_g: float | None
    fat_g: float | None
    carbohydrate_g: float | None
    fiber_g: float | None
    calcium_mg: float | None
    iron_mg: float | None
    vitamin_a_mcg: float | None
    vitamin_c_mg: float | None
    sodium_mg: float | None


class NutritionTargetList(BaseModel):
    items: list[NutritionTargetPublic]


class MealShare(BaseModel):
    """The share of a day's needs one meal should provide: min_share ≤ max_share."""

    model_config = ConfigDict(extra="forbid")

    min_share: Share
    max_share: Share

    @model_validator(mode="after")
    def _ordered(self) -> "MealShare":
        if self.min_share > self.max_share:
            raise ValueError("min_share must not exceed max_share")
        return self


class NutritionRules(BaseModel):
    """Shares per meal type, as GET returns them."""

    lunch: MealShare
    breakfast: MealShare
    snack: MealShare


class NutritionRulesUpdate(Patch):
    """New shares; meal types left out keep theirs (send all three to replace the object)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lunch": {"min_share": 0.30, "max_share": 0.35},
                    "breakfast": {"min_share": 0.20, "max_share": 0.25},
                    "snack": {"min_share": 0.10, "max_share": 0.15},
                }
            ]
        },
    )

    lunch: MealShare | None = None
    breakfast: MealShare | None = None
    snack: MealShare | None = None
