"""Kitchens (SPPG): the unit of scope for managers and of reporting for offices."""

import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    Strict,
    StringConstraints,
)
from pydantic import Field as PField
from sqlalchemy import JSON, true
from sqlmodel import Field

from app.core.akg import GROUP_ORDER, TargetGroup
from app.core.localtime import local_today
from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.regions import RegionCode
from app.core.schemas import INT_MAX, Count, IsoDate, Patch, StrictBool, Text
from app.core.types import UTCDateTime


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
# A hygiene certificate warns this many days before it expires.
HYGIENE_WARNING_DAYS = 30

# The programme's budget of raw food per portion, in whole rupiah, for the groups a kitchen
# sets none for (docs/costs.md cites it): the small portion (under-fives, pupils of 7-9)
# and the large one. Operating and rent allowances are outside it.
SMALL_PORTION_GROUPS = frozenset({"1-3", "4-6", "7-9"})
SMALL_PORTION_BUDGET = 8_000
LARGE_PORTION_BUDGET = 10_000


def budget_for(budget_per_portion: dict[str, int], group: str) -> int:
    """A group's budget per portion: the kitchen's own, else the programme default."""
    own = budget_per_portion.get(group)
    if own is not None:
        return own
    return SMALL_PORTION_BUDGET if group in SMALL_PORTION_GROUPS else LARGE_PORTION_BUDGET


def _in_group_order(budget: dict[TargetGroup, int]) -> dict[str, int]:
    return {str(g): v for g, v in sorted(budget.items(), key=lambda i: GROUP_ORDER[i[0]])}


Rupiah = Annotated[int, Strict(), PField(gt=0, le=INT_MAX)]
# Target group -> whole rupiah of raw food per portion; groups left out take the default.
BudgetPerPortion = Annotated[
    dict[TargetGroup, Rupiah],
    AfterValidator(_in_group_order),
    PlainSerializer(dict, return_type=dict[str, int]),
]


class KitchenStatus(StrEnum):
    """Whether the kitchen may cook: a health office suspends it, and reinstates it."""

    active = "active"
    suspended = "suspended"


class HygieneStatus(StrEnum):
    """The kitchen's hygiene certificate (SLHS) on a given day."""

    valid = "valid"
    expiring = "expiring"  # valid, but expires within HYGIENE_WARNING_DAYS
    expired = "expired"
    missing = "missing"


def hygiene_status(expires_on: date | None, day: date) -> HygieneStatus:
    """The status of a certificate expiring on `expires_on` (its last valid day) on `day`."""
    if expires_on is None:
        return HygieneStatus.missing
    if expires_on < day:
        return HygieneStatus.expired
    if expires_on <= day + timedelta(days=HYGIENE_WARNING_DAYS):
        return HygieneStatus.expiring
    return HygieneStatus.valid


class HygieneCertificate(BaseModel):
    """A kitchen's Sertifikat Laik Higiene Sanitasi, as the district health office issued it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "number": "SLHS/3273/0412/2026",
                    "issued_on": "2026-04-12",
                    "expires_on": "2029-04-11",
                }
            ]
        },
    )

    number: Annotated[Text, StringConstraints(max_length=64)]
    issued_on: IsoDate
    expires_on: IsoDate


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
    # Menus of such a kitchen may not contain a food that is not halal (409 `not_halal`).
    halal_required: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # The kitchen's own budget per portion by target group (see `budget_for`).
    budget_per_portion: dict[str, int] = Field(
        default_factory=dict, sa_type=JSON, sa_column_kwargs={"server_default": "{}"}
    )
    # Suspension by a health office (history: kitchen_suspensions).
    status: str = Field(
        default=KitchenStatus.active.value,
        max_length=16,
        sa_column_kwargs={"server_default": KitchenStatus.active.value},
    )
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suspension_reason: str | None = Field(default=None, max_length=2000)
    # The current hygiene certificate (SLHS), recorded by a health office.
    hygiene_certificate_number: str | None = Field(default=None, max_length=64)
    hygiene_certificate_issued_on: date | None = None
    hygiene_certificate_expires_on: date | None = None

    @property
    def hygiene_certificate(self) -> HygieneCertificate | None:
        """The current certificate, or None when the kitchen has none on record."""
        if (
            self.hygiene_certificate_number is None
            or self.hygiene_certificate_issued_on is None
            or self.hygiene_certificate_expires_on is None
        ):
            return None
        return HygieneCertificate(
            number=self.hygiene_certificate_number,
            issued_on=self.hygiene_certificate_issued_on,
            expires_on=self.hygiene_certificate_expires_on,
        )

    def hygiene_status_on(self, day: date) -> HygieneStatus:
        """The certificate's status on a kitchen-local day."""
        return hygiene_status(self.hygiene_certificate_expires_on, day)

    @property
    def hygiene_status(self) -> HygieneStatus:
        """The certificate's status on the kitchen's local today."""
        return self.hygiene_status_on(local_today(self.timezone))


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
    halal_required: StrictBool = True
    budget_per_portion: BudgetPerPortion = PField(
        default_factory=dict,
        description="Whole rupiah of raw food per portion by target group; groups not named "
        "take the programme default (Rp 8,000 for 1-3, 4-6, 7-9; Rp 10,000 for the others)",
    )


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
    halal_required: StrictBool | None = None
    # Replaces the whole object: `{}` returns every group to the programme default.
    budget_per_portion: BudgetPerPortion | None = None


class KitchenPublic(Timestamps):
    id: uuid.UUID
    code: str
    name: str
    region_code: str
    timezone: str
    address: str | None
    capacity_per_day: int | None
    halal_required: bool
    budget_per_portion: dict[str, int]
    status: KitchenStatus
    suspended_at: datetime | None
    suspension_reason: str | None
    hygiene_certificate: HygieneCertificate | None
    hygiene_status: HygieneStatus


class KitchenSuspension(IdTimestamps, table=True):
    """One suspension of a kitchen: who suspended it and why, and who reinstated it and why."""

    __tablename__ = "kitchen_suspensions"

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", index=True, ondelete="CASCADE")
    suspended_at: datetime = Field(sa_type=UTCDateTime)
    suspended_by_kind: str = Field(max_length=16)
    suspended_by_id: uuid.UUID
    suspended_by_name: str = Field(max_length=200)
    reason: str = Field(max_length=2000)
    reinstated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reinstated_by_kind: str | None = Field(default=None, max_length=16)
    reinstated_by_id: uuid.UUID | None = None
    reinstated_by_name: str | None = Field(default=None, max_length=200)
    reinstatement_reason: str | None = Field(default=None, max_length=2000)


class SuspensionReason(BaseModel):
    """Why a kitchen is suspended, or reinstated: kept in its suspension history."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "KLB keracunan pangan di SDN Merdeka 5, 28 November 2026: "
                    "dapur ditutup sampai hasil uji laboratorium keluar"
                }
            ]
        },
    )

    reason: Annotated[Text, StringConstraints(min_length=10, max_length=2000)]


class KitchenSuspensionPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    suspended_at: datetime
    suspended_by_kind: str
    suspended_by_id: uuid.UUID
    suspended_by_name: str
    reason: str
    reinstated_at: datetime | None
    reinstated_by_kind: str | None
    reinstated_by_id: uuid.UUID | None
    reinstated_by_name: str | None
    reinstatement_reason: str | None
