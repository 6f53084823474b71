"""Who is calling: roles and the principal every request is authorised as."""

import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from sqlalchemy import Index
from sqlmodel import Field

from app.core.models import IdTimestamps

REGION_CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
REGION_CODE_PATTERN = REGION_CODE_RE.pattern


class Role(StrEnum):
    admin = "admin"
    kitchen_manager = "kitchen_manager"
    health_office = "health_office"
    agriculture_office = "agriculture_office"


OFFICE_ROLES = frozenset({Role.health_office, Role.agriculture_office})


def region_contains(outer: str | None, inner: str | None) -> bool:
    """True when region `inner` lies within `outer` (None is the whole nation)."""
    if outer is None:
        return True
    if inner is None:
        return False
    return inner == outer or inner.startswith(outer + ".")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (bearer token) or a machine client (API key)."""

    kind: Literal["user", "api_key"]
    id: uuid.UUID
    name: str
    role: Role
    region_code: str | None = None
    kitchen_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

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


class LoginFailure(IdTimestamps, table=True):
    """One failed login, counted against a username and a client address.

    `key` is a hash (`username:<sha256>` or `client:<sha256>`), so attempted usernames,
    which are sometimes passwords typed into the wrong field, are never stored in clear.
    Rows older than the throttling window are pruned as new failures arrive.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_key_created_at", "key", "created_at"),
        Index("ix_login_failures_created_at", "created_at"),
    )

    key: str = Field(max_length=80)
