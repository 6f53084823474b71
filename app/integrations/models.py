"""Rows the integration endpoints return to health and agriculture offices (no tables)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Format(StrEnum):
    json = "json"
    csv = "csv"
    dhis2 = "dhis2"


class TableFormat(StrEnum):
    """Formats of the endpoints that have no DHIS2 shape."""

    json = "json"
    csv = "csv"


class MealCountLevel(StrEnum):
    school = "school"
    kitchen = "kitchen"
    region = "region"


class Period(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class DemandBy(StrEnum):
    commodity = "commodity"
    food = "food"


class RegionLevel(StrEnum):
    province = "province"
    regency = "regency"
    district = "district"


class NutritionRow(BaseModel):
    """One approved menu's check result for one target group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_date": "2026-11-30",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "region_code": "32.73.01",
                    "menu_id": "0f6a3c55-7d8e-4b7e-a1f2-3c4d5e6f7a8b",
                    "meal_type": "lunch",
                    "target_group": "7-9",
                    "energy_kcal": 560.0,
                    "protein_g": 21.5,
                    "fat_g": 15.2,
                    "carbohydrate_g": 82.0,
                    "fiber_g": 6.1,
                    "calcium_mg": 180.0,
                    "iron_mg": 3.4,
                    "vitamin_a_mcg": 210.0,
                    "vitamin_c_mg": 18.0,
                    "sodium_mg": 420.0,
                    "energy_share": 0.3394,
                    "protein_share": 0.5375,
                    "status": "pass",
                    "override_reason": None,
                    "portions_served": 118,
                }
            ]
        }
    )

    service_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    region_code: str
    menu_id: uuid.UUID
    meal_type: str
    target_group: str
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
    energy_share: float | None
    protein_share: float | None
    status: str
    override_reason: str | None
    portions_served: int | None


class MealCountRow(BaseModel):
    """Meal counts summed at one level; the fields of finer levels are left out."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_date": "2026-11-30",
                    "region_code": "32.73.01",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "target_group": "7-9",
                    "planned": 240,
                    "prepared": 236,
                    "served": 231,
                    "returned": 4,
                }
            ]
        }
    )

    service_date: date
    region_code: str
    kitchen_id: uuid.UUID | None = None
    kitchen_code: str | None = None
    school_id: uuid.UUID | None = None
    npsn: str | None = None
    target_group: str
    planned: int | None
    prepared: int | None
    served: int | None
    returned: int | None


class FoodSafetyRow(BaseModel):
    """One food-safety check with its kitchen's code and region."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "region_code": "32.73.01",
                    "service_date": "2026-11-30",
                    "cooked_at": "2026-11-29T22:30:00Z",
                    "dispatched_at": "2026-11-30T03:15:00Z",
                    "sample_retained": True,
                    "organoleptic_ok": True,
                    "core_temp_c": 81.5,
                    "notes": None,
                    "flags": ["dispatch_over_4h"],
                    "created_at": "2026-11-30T03:20:00Z",
                    "updated_at": "2026-11-30T03:20:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    kitchen_id: uuid.UUID
    kitchen_code: str
    region_code: str
    service_date: date
    cooked_at: datetime
    dispatched_at: datetime | None
    sample_retained: bool
    organoleptic_ok: bool
    core_temp_c: float | None
    notes: str | None
    flags: list[str]
    created_at: datetime
    updated_at: datetime


class DemandRow(BaseModel):
    """Ingredient demand of one period and region, by commodity (or by food)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-W49",
                    "region_code": "32.73",
                    "commodity": "beras",
                    "edible_kg": 412.5,
                    "purchase_kg": 412.5,
                    "portions": 5500,
                    "kitchens": 3,
                }
            ]
        }
    )

    period: str
    region_code: str
    commodity: str
    food_code: str | None = None
    food_name: str | None = None
    edible_kg: float
    purchase_kg: float
    portions: int
    kitchens: int
