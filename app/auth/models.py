"""Who is calling: roles, the identities behind credentials, and the request's principal.

Users and API keys are defined here because authentication reads them on every request;
creating and managing them is the `users` and `apikeys` domains' business.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.core.models import IdTimestamps, Versioned
from app.core.regions import region_contains
from app.core.types import UTCDateTime


class Role(StrEnum):
    admin = "admin"
    kitchen_manager = "kitchen_manager"
    health_office = "health_office"
    agriculture_office = "agriculture_office"


class User(IdTimestamps, Versioned, table=True):
    """A person who logs in with a password.

    `token_version` is part of every token issued to the user; changing the password,
    role, kitchens or region, or deactivating the user, moves it, so every earlier token
    stops working (and reactivating does not bring them back).
    """

    __tablename__ = "users"

    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(max_length=200)
    role: str = Field(sa_type=String(32))
    region_code: str | None = Field(default=None, max_length=16)
    active: bool = True
    token_version: int = Field(default=1, nullable=False)


class UserKitchen(SQLModel, table=True):
    """A kitchen a kitchen manager may read and write."""

    __tablename__ = "user_kitchens"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    kitchen_id: uuid.UUID = Field(
        foreign_key="kitchens.id", primary_key=True, ondelete="CASCADE", index=True
    )


class ApiKey(IdTimestamps, table=True):
    """A machine client of a health or agriculture office; only the key's hash is kept."""

    __tablename__ = "api_keys"

    name: str = Field(max_length=200)
    role: str = Field(sa_type=String(32))
    region_code: str | None = Field(default=None, max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=12)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(IdTimestamps, table=True):
    """One login attempt counted against a username and a client address.

    An attempt is counted (reserved) before its password is checked and forgotten again
    when it succeeds, so concurrent guesses cannot outrun the limit. `key` is a hash
    (`username:<sha256>` or `client:<sha256>`), so attempted usernames, which are
    sometimes passwords typed into the wrong field, are never stored in clear. Rows older
    than the throttling window are pruned as new attempts arrive.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_key_created_at", "key", "created_at"),
        Index("ix_login_failures_created_at", "created_at"),
    )

    key: str = Field(max_length=80)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (bearer token) or a machine client (API key)."""

    kind: Literal["user", "api_key"]
    id: uuid.UUID
    name: str
    role: Role
    region_code: str | None = None
    kitchen_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    full_name: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def can_see_kitchen(self, kitchen_id: uuid.UUID, region_code: str) -> bool:
        """Whether a kitchen lies in this caller's scope."""
        if self.role is Role.admin:
            return True
        if self.role is Role.kitchen_manager:
            return kitchen_id in self.kitchen_ids
        return region_contains(self.region_code, region_code)

    @property
    def audit_key(self) -> str:
        """A stable string naming the caller, for idempotency keys and the audit trail."""
        return f"{self.kind}:{self.id}"


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    kitchen_ids: list[uuid.UUID]
    region_code: str | None
