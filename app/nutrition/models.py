"""AKG target groups, daily nutrition targets and per-meal share rules."""

from enum import StrEnum

from sqlmodel import Field

from app.core.models import IdTimestamps


class TargetGroup(StrEnum):
    """AKG (Permenkes 28/2019) age and sex groups served by school kitchens."""

    g1_3 = "1-3"
    g4_6 = "4-6"
    g7_9 = "7-9"
    g10_12_m = "10-12-m"
    g10_12_f = "10-12-f"
    g13_15_m = "13-15-m"
    g13_15_f = "13-15-f"
    g16_18_m = "16-18-m"
    g16_18_f = "16-18-f"


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


class NutritionTarget(NutrientColumns, table=True):
    """Daily needs of one AKG group."""

    __tablename__ = "nutrition_targets"

    code: str = Field(max_length=16, unique=True)
    label: str = Field(max_length=100)


class NutritionRule(IdTimestamps, table=True):
    """The share of daily needs one meal type should provide."""

    __tablename__ = "nutrition_rules"

    meal_type: str = Field(max_length=16, unique=True)
    min_share: float
    max_share: float
