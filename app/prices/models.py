"""Food prices: what a kilogram of a food costs as purchased, from a date on.

A price is national (no region, no kitchen), regional (`region_code`: a province, regency,
district or village) or a kitchen's own supplier price (`kitchen_id`). It holds from
`valid_from` until a later price of the same food and scope takes over; prices are
resolved for a kitchen and a date by app/prices/queries.py.
"""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Index, text
from sqlalchemy.sql.naming import conv
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps
from app.core.regions import RegionCode
from app.core.schemas import INT_MAX, IsoDate, Text

# One price per food, scope and first day: the partial unique indexes below are also what
# resolution reads (a food's prices of one scope, newest first).
_NATIONAL = "region_code IS NULL AND kitchen_id IS NULL"
_REGIONAL = "region_code IS NOT NULL"
_KITCHEN = "kitchen_id IS NOT NULL"


class FoodPrice(IdTimestamps, table=True):
    """Whole rupiah per kg of a food as purchased, from `valid_from` on, in one scope."""

    __tablename__ = "food_prices"
    __table_args__ = (
        CheckConstraint(
            "region_code IS NULL OR kitchen_id IS NULL", name=conv("ck_food_prices_one_scope")
        ),
        CheckConstraint("price_per_kg > 0", name=conv("ck_food_prices_positive")),
        Index(
            "uq_food_prices_national",
            "food_id",
            "valid_from",
            unique=True,
            sqlite_where=text(_NATIONAL),
            postgresql_where=text(_NATIONAL),
        ),
        Index(
            "uq_food_prices_region",
            "food_id",
            "region_code",
            "valid_from",
            unique=True,
            sqlite_where=text(_REGIONAL),
            postgresql_where=text(_REGIONAL),
        ),
        Index(
            "uq_food_prices_kitchen",
            "kitchen_id",
            "food_id",
            "valid_from",
            unique=True,
            sqlite_where=text(_KITCHEN),
            postgresql_where=text(_KITCHEN),
        ),
    )

    food_id: uuid.UUID = Field(foreign_key="foods.id")
    price_per_kg: int
    valid_from: dt.date
    region_code: str | None = Field(default=None, max_length=16)
    kitchen_id: uuid.UUID | None = Field(
        default=None, foreign_key="kitchens.id", ondelete="CASCADE"
    )
    note: str | None = Field(default=None, max_length=500)


class PriceSource(StrEnum):
    """Where a resolved price comes from, most specific first."""

    kitchen = "kitchen"
    region = "region"
    national = "national"


# Whole rupiah per kg as purchased.
PricePerKg = Annotated[int, PField(strict=True, gt=0, le=INT_MAX)]
Note = Annotated[Text, StringConstraints(max_length=500)]


class FoodPriceCreate(BaseModel):
    """A price: national, regional (`region_code`) or a kitchen's own (`kitchen_id`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "food_id": "0b6f3c1e-8d4a-4c55-9d2e-1f0a2b3c4d5e",
                    "price_per_kg": 13500,
                    "valid_from": "2026-12-01",
                    "kitchen_id": "a1f3c1e2-8d4a-4c55-9d2e-1f0a2b3c4d5e",
                    "note": "CV Tani Makmur, faktur 2026/12/014",
                }
            ]
        },
    )

    food_id: uuid.UUID
    price_per_kg: PricePerKg
    valid_from: IsoDate
    region_code: RegionCode | None = None
    kitchen_id: uuid.UUID | None = None
    note: Note | None = PField(default=None, description="Where the price comes from")

    @model_validator(mode="after")
    def _one_scope(self) -> "FoodPriceCreate":
        if self.region_code is not None and self.kitchen_id is not None:
            raise ValueError(
                "a price is national, regional (region_code) or a kitchen's (kitchen_id), "
                "never both"
            )
        return self


class FoodPricePublic(Timestamps):
    id: uuid.UUID
    food_id: uuid.UUID
    price_per_kg: int
    valid_from: dt.date
    region_code: str | None
    kitchen_id: uuid.UUID | None
    scope: PriceSource = PField(description="`national`, `region` or `kitchen`")
    note: str | None


class ResolvedPrice(BaseModel):
    """The price that applies to one food for a kitchen on a date (null: none known)."""

    food_id: uuid.UUID
    food_code: str
    food_name: str
    price_per_kg: int | None
    source: PriceSource | None
    valid_from: dt.date | None


class KitchenPrices(BaseModel):
    """A page of every food with its price for one kitchen on one date."""

    kitchen_id: uuid.UUID
    date: dt.date
    items: list[ResolvedPrice]
    next_cursor: str | None = None
