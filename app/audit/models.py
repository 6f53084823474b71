"""The audit trail: who changed what, when, under which request."""

import uuid

from sqlmodel import Field

from app.core.models import IdTimestamps


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
