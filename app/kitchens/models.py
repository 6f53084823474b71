"""Kitchens (SPPG): the unit of scope for managers and of reporting for offices."""

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.regions import RegionCode
from app.core.schemas import Count, Patch


def _valid_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


Timezone = Annotated[str, AfterValidator(_valid_timezone)]
KitchenCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Kitchen(IdTimestamps, Versioned, table=True):
    """A kitchen. `data_version` moves with every write to the kitchen's data (its own
    row included), in the writing transaction: the day view's ETag is made of it."""

    __tablename__ = "kitchens"

    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    region_code: str = Field(max_length=16, index=True)
    timezone: str = Field(default="Asia/Jakarta", max_length=64)
    address: str | None = None
    capacity_per_day: int | None = None
    data_version: int = Field(default=1, nullable=False)


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


class KitchenUpdate(Patch):
    NULLABLE = frozenset({"address", "capacity_per_day"})
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
