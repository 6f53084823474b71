"""HTTP for the audit trail (admin, read-only: there is no route that changes it)."""

import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.audit import service
from app.audit.models import AuditEventPublic, AuditFilters
from app.auth.deps import AdminPrincipal
from app.auth.policy import ADMINISTRATION
from app.core.audit import AuditEvent
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import IsoDatetime
from app.kitchens.access import row_loader

router = api_router(tags=["audit"])

RecordedEvent = Annotated[
    AuditEvent,
    Depends(row_loader(ADMINISTRATION, AuditEvent, param="event_id", what="Audit event")),
]


@router.get(
    "/audit-events",
    summary="List recorded writes and logins, oldest first (admin)",
)
async def list_audit_events(
    _: AdminPrincipal,
    session: SessionDep,
    page: PageDep,
    actor_id: Annotated[uuid.UUID | None, Query(description="User or API key id")] = None,
    resource: Annotated[
        str | None, Query(max_length=64, description="e.g. `kitchens`, `schools`, `auth`")
    ] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[
        str | None,
        Query(max_length=16, description="e.g. `create`, `update`, `delete`, `login_failed`"),
    ] = None,
    since: Annotated[
        IsoDatetime | None, Query(alias="from", description="Events at or after this instant")
    ] = None,
    until: Annotated[
        IsoDatetime | None, Query(alias="to", description="Events at or before this instant")
    ] = None,
) -> Page[AuditEventPublic]:
    filters = AuditFilters(
        actor_id=actor_id,
        resource=resource,
        resource_id=resource_id,
        action=action,
        since=since,
        until=until,
    )
    rows, cursor = await service.list_events(session, filters=filters, page=page)
    items = [AuditEventPublic.model_validate(e) for e in rows]
    return Page(items=items, next_cursor=cursor)


@router.get("/audit-events/{event_id}", summary="Get one audit event (admin)")
async def get_audit_event(event: RecordedEvent) -> AuditEventPublic:
    return AuditEventPublic.model_validate(event)
