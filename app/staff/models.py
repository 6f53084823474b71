"""Kitchen staff: personal data seen only by admin and the kitchen's managers."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import IsoDate, Patch, StrictBool, not_blank


class StaffRole(StrEnum):
    head = "head"
    nutritionist = "nutritionist"
    accountant = "accountant"
    cook = "cook"
    cook_assistant = "cook_assistant"
    prep = "prep"
    portioning = "portioning"
    driver = "driver"
    washer = "washer"
    cleaner = "cleaner"
    security = "security"


# Roles that touch food: they need a valid food handler certificate to be put on a shift.
FOOD_HANDLING_ROLES = frozenset(
    {StaffRole.cook, StaffRole.cook_assistant, StaffRole.prep, StaffRole.portioning}
)

FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(not_blank),
]
# Loose on purpose: people write numbers as "0812-3456-7890" or "+62 812 3456 7890".
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{6,20}$")]


class Staff(IdTimestamps, Versioned, table=True):
    __tablename__ = "staff"

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", index=True, ondelete="CASCADE")
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    food_handler_cert_expires_on: IsoDate | None = None
    health_check_on: IsoDate | None = None
    active: bool = True


class StaffCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Siti Aminah",
                    "role": "cook",
                    "phone": "+62 812-3456-7890",
                    "food_handler_cert_expires_on": "2027-06-30",
                    "health_check_on": "2026-08-15",
                }
            ]
        },
    )

    full_name: FullName
    role: StaffRole
    phone: Phone | None = None
    food_handler_cert_expires_on: IsoDate | None = None
    health_check_on: IsoDate | None = None


class StaffUpdate(Patch):
    """Fields to change; `null` clears an optional field. `active: true` re-activates."""

    NULLABLE = frozenset({"phone", "food_handler_cert_expires_on", "health_check_on"})
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"food_handler_cert_expires_on": "2028-06-30"}]},
    )

    full_name: FullName | None = None
    role: StaffRole | None = None
    phone: Phone | None = None
    food_handler_cert_expires_on: IsoDate | None = None
    health_check_on: IsoDate | None = None
    active: StrictBool | None = None


class StaffPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    full_name: str
    role: StaffRole
    phone: str | None
    food_handler_cert_expires_on: date | None
    health_check_on: date | None
    active: bool
