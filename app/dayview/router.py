"""HTTP for the day view."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.deps import SessionDep, run_and_commit
from app.core.schemas import IsoDate
from app.dayview import service
from app.dayview.models import DayView
from app.kitchens.deps import ManagedKitchen

router = APIRouter(tags=["day view"])


@router.get(
    "/kitchens/{kitchen_id}/today",
    summary="Everything for one day: menus and checks, shifts and coverage, counts, alerts",
)
async def today(
    kitchen: ManagedKitchen,
    session: SessionDep,
    day: Annotated[
        IsoDate | None, Query(alias="date", description="Kitchen-local date; default today")
    ] = None,
) -> DayView:
    return await run_and_commit(
        session, lambda: service.day_view(session, kitchen=kitchen, day=day)
    )
