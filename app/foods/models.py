"""Foods with nutrients per 100 g edible portion (TKPI)."""

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import Field as PField
from pydantic.config import JsonDict
from sqlalchemy import JSON, CheckConstraint
from sqlalchemy.sql.naming import conv
from sqlmodel import Field

from app.core.models import Timestamps, Versioned
from app.core.schemas import Number, Patch, not_blank
from app.nutrition.models import NutrientColumns, Nutrients


class FoodGroup(StrEnum):
    """TKPI sections 4.1-4.13, and `other` for anything else."""

    cereal = "cereal"
    tuber = "tuber"
    legume = "legume"
    vegetable = "vegetable"
    fruit = "fruit"
    meat = "meat"
    fish = "fish"
    egg = "egg"
    milk = "milk"
    fat_oil = "fat_oil"
    sugar = "sugar"
    spice = "spice"
    beverage = "beverage"
    other = "other"


class Allergen(StrEnum):
    gluten = "gluten"
    crustacean = "crustacean"
    egg = "egg"
    fish = "fish"
    peanut = "peanut"
    soy = "soy"
    milk = "milk"
    tree_nut = "tree_nut"
    sesame = "sesame"
    sulphite = "sulphite"
    mollusc = "mollusc"


class HalalStatus(StrEnum):
    """Whether a food may be served where halal food is required."""

    halal = "halal"
    not_halal = "not_halal"
    unknown = "unknown"


# Grams of cooked food one gram of the raw food's edible portion makes: (0, MAX].
MAX_COOKED_YIELD = 10.0


class Food(NutrientColumns, Versioned, table=True):
    __tablename__ = "foods"
    # The database keeps the raw-form pair whole even if a writer forgets to.
    __table_args__ = (
        CheckConstraint(
            "(raw_food_id IS NULL AND cooked_yield IS NULL) OR "
            "(raw_food_id IS NOT NULL AND raw_food_id <> id AND cooked_yield IS NOT NULL "
            f"AND cooked_yield > 0 AND cooked_yield <= {MAX_COOKED_YIELD})",
            name=conv("ck_foods_raw_form"),
        ),
    )

    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200, index=True)
    food_group: str = Field(max_length=32, index=True)
    commodity: str = Field(max_length=100, index=True)
    edible_portion_pct: float = 100.0
    # None: not assessed; []: assessed, free of every listed allergen.
    allergens: list[str] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    builtin: bool = False
    raw_food_id: uuid.UUID | None = Field(default=None, foreign_key="foods.id")
    cooked_yield: float | None = None
    halal: str = Field(
        default=HalalStatus.unknown.value,
        max_length=16,
        sa_column_kwargs={"server_default": HalalStatus.unknown.value},
    )


FOOD_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
FoodCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=FOOD_CODE_PATTERN)]
FoodName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(not_blank),
]
Commodity = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=100),
    AfterValidator(not_blank),
]
EdiblePortion = Annotated[Number, PField(gt=0, le=100, allow_inf_nan=False)]
CookedYield = Annotated[Number, PField(gt=0, le=MAX_COOKED_YIELD, allow_inf_nan=False)]

_EXAMPLE: JsonDict = {
    "code": "DPR-0001",
    "name": "Tempe kedelai murni, mentah",
    "food_group": "legume",
    "commodity": "tempe",
    "edible_portion_pct": 100,
    "allergens": ["soy"],
    "halal": "halal",
    "raw_food_id": None,
    "cooked_yield": None,
    "nutrients": {
        "energy_kcal": 201,
        "protein_g": 20.8,
        "fat_g": 8.8,
        "carbohydrate_g": 13.5,
        "fiber_g": 1.4,
        "calcium_mg": 155,
        "iron_mg": 4.0,
        "vitamin_a_mcg": None,
        "vitamin_c_mg": 0,
        "sodium_mg": 9,
    },
}


class FoodCreate(BaseModel):
    """A new food. `raw_food_id` and `cooked_yield` come together or not at all; `allergens`
    left out (or null) means not assessed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    code: FoodCode
    name: FoodName
    food_group: FoodGroup
    commodity: Commodity
    edible_portion_pct: EdiblePortion = 100.0
    allergens: list[Allergen] | None = None
    halal: HalalStatus = HalalStatus.unknown
    raw_food_id: uuid.UUID | None = None
    cooked_yield: CookedYield | None = None
    nutrients: Nutrients = Nutrients()

    @model_validator(mode="after")
    def _raw_form_whole(self) -> "FoodCreate":
        if (self.raw_food_id is None) != (self.cooked_yield is None):
            raise ValueError("raw_food_id and cooked_yield go together: give both or neither")
        return self


class FoodUpdate(Patch):
    """Fields to change; inside `nutrients` only the keys sent change (null clears one).
    `allergens: null` marks them not assessed; `raw_food_id` and `cooked_yield` null
    together clear the raw form."""

    NULLABLE = frozenset({"allergens", "raw_food_id", "cooked_yield"})

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"edible_portion_pct": 85, "nutrients": {"sodium_mg": 12}}]
        },
    )

    code: FoodCode | None = None
    name: FoodName | None = None
    food_group: FoodGroup | None = None
    commodity: Commodity | None = None
    edible_portion_pct: EdiblePortion | None = None
    allergens: list[Allergen] | None = None
    halal: HalalStatus | None = None
    raw_food_id: uuid.UUID | None = None
    cooked_yield: CookedYield | None = None
    nutrients: Nutrients | None = None

    @model_validator(mode="after")
    def _raw_form_whole(self) -> "FoodUpdate":
        # Only what the body itself shows; the stored food is the service's to check.
        sent = self.model_fields_set
        if {"raw_food_id", "cooked_yield"} <= sent and (self.raw_food_id is None) != (
            self.cooked_yield is None
        ):
            raise ValueError("raw_food_id and cooked_yield go together: give both or neither")
        return self


class FoodPublic(Timestamps):
    id: uuid.UUID
    code: str
    name: str
    food_group: str
    commodity: str
    edible_portion_pct: float
    allergens: list[str] | None
    halal: HalalStatus
    raw_food_id: uuid.UUID | None
    cooked_yield: float | None
    nutrients: Nutrients
    builtin: bool
