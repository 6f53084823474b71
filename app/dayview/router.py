"""HTTP for the day view."""

from typing import Annotated

from fastapi import Query

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.routing import api_router
from app.core.schemas import IsoDate
from app.dayview import service
from app.dayview.models import DayView
from app.kitchens.access import ManagedKitchen

router = api_router(tags=["day view"])


@router.get(
    "/kitchens/{kitchen_id}/today",
    summary="Everything for one day: menus and checks, shifts and coverage, counts, alerts",
)
async def today(
    kitchen: ManagedKitchen,
    session: SessionDep,
    cond: ConditionalDep,
    day: Annotated[
        IsoDate | None, Query(alias="date", description="Kitchen-local date; default today")
    ] = None,
) -> DayView:
    when = service.view_day(kitchen, day)
    # Tagged before anything of the view is read: a client holding the tag gets 304.
    cond.tag(await service.day_view_tag(session, kitchen=kitchen, day=when))
    return await service.day_view(session, kitchen=kitchen, day=when)
