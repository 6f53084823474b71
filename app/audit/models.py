"""The audit trail: who changed what, when, under which request."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.core.models import Timestamps


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
