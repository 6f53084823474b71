"""HTTP for incidents and their trace."""

import uuid
from typing import Annotated

from fastapi import Query, status

from app.auth.deps import CurrentPrincipal
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import FromDate, ToDate
from app.incidents import service
from app.incidents.access import IncidentReader, IncidentReporter, ReadableIncident
from app.incidents.models import IncidentCreate, IncidentPublic, Trace

router = api_router(tags=["incidents"])


@router.post(
    "/incidents",
    status_code=status.HTTP_201_CREATED,
    summary="Report a suspected food poisoning at a school (admin, health office of its region)",
)
async def create_incident(
    principal: IncidentReporter, data: IncidentCreate, session: SessionDep
) -> IncidentPublic:
    incident = await service.create_incident(session, principal=principal, data=data)
    return IncidentPublic.model_validate(incident)


@router.get("/incidents", summary="List the incidents at kitchens the caller may see")
async def list_incidents(
    principal: IncidentReader,
    session: SessionDep,
    page: PageDep,
    date_from: FromDate = None,
    date_to: ToDate = None,
    kitchen_id: Annotated[uuid.UUID | None, Query(description="Only this kitchen's")] = None,
) -> Page[IncidentPublic]:
    rows, cursor = await service.list_incidents(
        session,
        principal=principal,
        date_from=date_from,
        date_to=date_to,
        kitchen_id=kitchen_id,
        page=page,
    )
    return Page(items=[IncidentPublic.model_validate(i) for i in rows], next_cursor=cursor)


@router.get("/incidents/{incident_id}", summary="Get an incident")
async def get_incident(incident: ReadableIncident) -> IncidentPublic:
    return IncidentPublic.model_validate(incident)


@router.get(
    "/incidents/{incident_id}/trace",
    summary="Everything known about the meal an incident followed, in one answer",
)
async def trace_incident(
    incident: ReadableIncident, principal: CurrentPrincipal, session: SessionDep
) -> Trace:
    return await service.trace(session, incident=incident, principal=principal)
