"""Recipes: ingredients in edible grams per standard portion."""

import uuid

from sqlmodel import Field

from app.core.models import IdTimestamps


class Recipe(IdTimestamps, table=True):
    __tablename__ = "recipes"

    # Null for a national recipe that every kitchen may use.
    kitchen_id: uuid.UUID | None = Field(
        default=None, foreign_key="kitchens.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(max_length=200, index=True)
    category: str = Field(max_length=32)


class RecipeIngredient(IdTimestamps, table=True):
    __tablename__ = "recipe_ingredients"

    recipe_id: uuid.UUID = Field(foreign_key="recipes.id", index=True, ondelete="CASCADE")
    food_id: uuid.UUID = Field(foreign_key="foods.id", index=True)
    grams: float
    position: int = 0
