"""Foods with nutrients per 100 g edible portion (TKPI)."""

from sqlalchemy import JSON
from sqlmodel import Field

from app.nutrition.models import NutrientColumns


class Food(NutrientColumns, table=True):
    __tablename__ = "foods"

    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200, index=True)
    food_group: str = Field(max_length=32, index=True)
    commodity: str = Field(max_length=100, index=True)
    edible_portion_pct: float = 100.0
    allergens: list[str] = Field(default_factory=list, sa_type=JSON)
    builtin: bool = False
