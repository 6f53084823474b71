"""Reading the audit trail (recording it is app/core/audit.py's business)."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import AuditFilters
from app.core.audit import AuditEvent
from app.core.pagination import PageParams, paginate


async def list_events(
    session: AsyncSession, *, filters: AuditFilters, page: PageParams
) -> tuple[list[AuditEvent], str | None]:
    """A page of events matching every filter given, oldest first."""
    stmt = select(AuditEvent)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.resource is not None:
        stmt = stmt.where(AuditEvent.resource == filters.resource)
    if filters.resource_id is not None:
        stmt = stmt.where(AuditEvent.resource_id == filters.resource_id)
    if filters.action is not None:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        stmt = stmt.where(col(AuditEvent.created_at) >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(col(AuditEvent.created_at) <= filters.until)
    return await paginate(session, stmt, AuditEvent, page)
