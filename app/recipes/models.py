"""Recipes: ingredients in edible grams per standard portion."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from pydantic.config import JsonDict
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import Number, Patch, not_blank


class Recipe(IdTimestamps, Versioned, table=True):
    __tablename__ = "recipes"

    # Null for a national recipe that every kitchen may use.
    kitchen_id: uuid.UUID | None = Field(
        default=None, foreign_key="kitchens.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(max_length=200, index=True)
    category: str = Field(max_length=32)
    # Set when an approved menu uses the recipe (by the menus domain, which knows recipes;
    # recipes do not know menus): from then on the recipe may no longer change.
    in_approved_menu: bool = Field(default=False)


class RecipeIngredient(IdTimestamps, table=True):
    __tablename__ = "recipe_ingredients"

    recipe_id: uuid.UUID = Field(foreign_key="recipes.id", index=True, ondelete="CASCADE")
    food_id: uuid.UUID = Field(foreign_key="foods.id", index=True)
    grams: float
    position: int = 0


class RecipeCategory(StrEnum):
    staple = "staple"
    animal_protein = "animal_protein"
    plant_protein = "plant_protein"
    vegetable = "vegetable"
    fruit = "fruit"
    milk = "milk"
    other = "other"


RecipeName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(not_blank),
]
# Edible grams of the food in one standard portion.
Grams = Annotated[Number, PField(gt=0, le=2000, allow_inf_nan=False)]


class IngredientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    food_id: uuid.UUID
    grams: Grams


Ingredients = Annotated[list[IngredientIn], PField(min_length=1, max_length=100)]

_EXAMPLE: JsonDict = {
    "name": "Nasi putih",
    "category": "staple",
    "kitchen_id": None,
    "ingredients": [{"food_id": "0b6f3c1e-8d4a-4c55-9d2e-1f0a2b3c4d5e", "grams": 150}],
}


class RecipeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: RecipeName
    category: RecipeCategory
    kitchen_id: uuid.UUID | None = None
    ingredients: Ingredients


class RecipeUpdate(Patch):
    """Fields to change; `ingredients` replaces the whole list. A recipe keeps its kitchen."""

    # `kitchen_id: null` is how a national recipe, sent back whole, names its kitchen.
    NULLABLE = frozenset({"kitchen_id"})

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Nasi putih (porsi SD)", "category": "staple"}]},
    )

    name: RecipeName | None = None
    category: RecipeCategory | None = None
    # Accepted only when unchanged, so a client may send back the whole recipe.
    kitchen_id: uuid.UUID | None = None
    ingredients: Ingredients | None = None


class IngredientPublic(BaseModel):
    food_id: uuid.UUID
    food_code: str
    food_name: str
    grams: float


class NutrientTotals(BaseModel):
    """Nutrients of one portion; a food's unknown value counted as 0 (see incomplete)."""

    energy_kcal: float
    protein_g: float
    fat_g: float
    carbohydrate_g: float
    fiber_g: float
    calcium_mg: float
    iron_mg: float
    vitamin_a_mcg: float
    vitamin_c_mg: float
    sodium_mg: float


class RecipePublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID | None
    name: str
    category: str
    ingredients: list[IngredientPublic]
    nutrients_per_portion: NutrientTotals
    incomplete_nutrients: list[str]
    allergens: list[str] = PField(description="Allergens of the ingredients, sorted")
    allergens_unassessed_foods: list[uuid.UUID] = PField(
        description="Ingredients' foods whose allergens were never assessed: `allergens` "
        "lists what is known of the rest"
    )
    cost_per_portion: float | None = PField(
        description="Rupiah one standard portion costs to buy at the prices of "
        "`priced_for_kitchen_id` (national prices when null) on `priced_on`; null when a "
        "purchased food has no price"
    )
    missing_prices: list[uuid.UUID] = PField(
        description="The purchased foods without a price (raw forms of cooked ingredients)"
    )
    priced_on: date
    priced_for_kitchen_id: uuid.UUID | None
