"""Users who log in with a password, and the kitchens a manager runs."""

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.auth.models import REGION_CODE_PATTERN, Role
from app.core.models import IdTimestamps, Timestamps
from app.core.schemas import StrictBool

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
RegionCode = Annotated[str, StringConstraints(pattern=REGION_CODE_PATTERN)]


class User(IdTimestamps, table=True):
    __tablename__ = "users"

    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(max_length=200)
    role: str = Field(sa_type=String(32))
    region_code: str | None = Field(default=None, max_length=16)
    active: bool = True


class UserKitchen(SQLModel, table=True):
    """A kitchen a kitchen manager may read and write."""

    __tablename__ = "user_kitchens"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    kitchen_id: uuid.UUID = Field(
        foreign_key="kitchens.id", primary_key=True, ondelete="CASCADE", index=True
    )


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


class UserUpdate(BaseModel):
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


class Me(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    kitchen_ids: list[uuid.UUID]
    region_code: str | None


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
