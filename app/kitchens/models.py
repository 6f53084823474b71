"""Kitchens (SPPG): the unit of scope for managers and of reporting for offices."""

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlmodel import Field

from app.auth.models import REGION_CODE_PATTERN
from app.core.models import IdTimestamps, Timestamps
from app.core.schemas import Count


def _valid_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


RegionCode = Annotated[str, StringConstraints(pattern=REGION_CODE_PATTERN)]
Timezone = Annotated[str, AfterValidator(_valid_timezone)]
KitchenCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Kitchen(IdTimestamps, table=True):
    __tablename__ = "kitchens"

    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    region_code: str = Field(max_length=16, index=True)
    timezone: str = Field(default="Asia/Jakarta", max_length=64)
    address: str | None = None
    capacity_per_day: int | None = None


class KitchenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "SPPG-3273-001",
                    "name": "SPPG Cibeunying Kidul",
                    "region_code": "32.73.01",
                    "timezone": "Asia/Jakarta",
                    "address": "Jl. Contoh No. 1, Bandung",
                    "capacity_per_day": 3000,
                }
            ]
        },
    )

    code: KitchenCode
    name: Name
    region_code: RegionCode
    timezone: Timezone = "Asia/Jakarta"
    address: str | None = PField(default=None, max_length=500)
    capacity_per_day: Count | None = None


class KitchenUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"capacity_per_day": 3500}]}
    )

    code: KitchenCode | None = None
    name: Name | None = None
    region_code: RegionCode | None = None
    timezone: Timezone | None = None
    address: str | None = PField(default=None, max_length=500)
    capacity_per_day: Count | None = None


class KitchenPublic(Timestamps):
    id: uuid.UUID
    code: str
    name: str
    region_code: str
    timezone: str
    address: str | None
    capacity_per_day: int | None
