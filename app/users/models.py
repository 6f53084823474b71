"""Users who log in with a password, and the kitchens a manager runs."""

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from app.auth.models import Role
from app.core.models import Timestamps
from app.core.regions import RegionCode
from app.core.schemas import Patch, StrictBool, not_blank

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$"
    ),
]
# At least 10 characters, and not only spaces or invisible characters.
Password = Annotated[
    str, StringConstraints(min_length=10, max_length=256), AfterValidator(not_blank)
]


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "siti.rahma",
                    "password": "a-long-passphrase",
                    "full_name": "Siti Rahma",
                    "role": "kitchen_manager",
                    "kitchen_ids": ["3f1c2a9e-8f3b-4b52-9d0e-2f8f6c1a7b10"],
                }
            ]
        },
    )

    username: Username
    password: Password
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    role: Role
    kitchen_ids: list[uuid.UUID] = []
    region_code: RegionCode | None = None


class UserUpdate(Patch):
    NULLABLE = frozenset({"kitchen_ids", "region_code"})
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})

    password: Password | None = None
    full_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    role: Role | None = None
    kitchen_ids: list[uuid.UUID] | None = None
    region_code: RegionCode | None = None
    active: StrictBool | None = None


class UserPublic(Timestamps):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    kitchen_ids: list[uuid.UUID]
    region_code: str | None
    active: bool
