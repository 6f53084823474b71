"""The audit trail: who changed what, when, under which request."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Field

from app.core.models import IdTimestamps, Timestamps


class AuditEvent(IdTimestamps, table=True):
    __tablename__ = "audit_events"

    actor_kind: str = Field(max_length=16)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_name: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=16)
    resource: str = Field(max_length=64, index=True)
    resource_id: str | None = Field(default=None, max_length=64)
    path: str = Field(max_length=500)
    status: int
    request_id: str | None = Field(default=None, max_length=64)


class AuditEventPublic(Timestamps):
    """One recorded write or login; `created_at` is when it happened."""

    id: uuid.UUID
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    action: str
    resource: str
    resource_id: str | None
    path: str
    status: int
    request_id: str | None


@dataclass(frozen=True)
class AuditFilters:
    """Filters of the audit list; each one given narrows it (AND)."""

    actor_id: uuid.UUID | None = None
    resource: str | None = None
    resource_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
