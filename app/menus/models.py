"""Menus: what a kitchen serves for one meal on one date, and its approval."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import IdTimestamps
from app.core.types import UTCDateTime


class Menu(IdTimestamps, table=True):
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
