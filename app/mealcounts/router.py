"""HTTP for meal counts."""

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.routing import api_router
from app.core.schemas import FromDate, IsoDate, ToDate
from app.kitchens.access import ManagedKitchen, OpsReadKitchen
from app.mealcounts import service
from app.mealcounts.models import MealCountDayList, MealCountDayPublic, MealCountsPut
from app.mealcounts.service import SchoolNotInKitchen

router = api_router(tags=["meal counts"])


@router.put(
    "/kitchens/{kitchen_id}/meal-counts/{service_date}",
    summary="Report a day's meal counts (replaces the day as a whole)",
    responses=problems(SchoolNotInKitchen),
)
async def put_meal_counts(
    kitchen: ManagedKitchen,
    service_date: IsoDate,
    data: MealCountsPut,
    session: SessionDep,
    cond: ConditionalDep,
) -> MealCountDayPublic:
    day, tag = await service.put_day(
        session, kitchen=kitchen, service_date=service_date, data=data, cond=cond
    )
    cond.tag(tag)
    return day


@router.get("/kitchens/{kitchen_id}/meal-counts", summary="List a kitchen's reported days")
async def list_meal_counts(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    date_from: FromDate = None,
    date_to: ToDate = None,
) -> MealCountDayList:
    items = await service.list_days(session, kitchen=kitchen, date_from=date_from, date_to=date_to)
    return MealCountDayList(items=items)


@router.get(
    "/kitchens/{kitchen_id}/meal-counts/{service_date}", summary="Get one day's meal counts"
)
async def get_meal_counts(
    kitchen: OpsReadKitchen, service_date: IsoDate, session: SessionDep, cond: ConditionalDep
) -> MealCountDayPublic:
    return await service.get_day(session, kitchen=kitchen, service_date=service_date, cond=cond)
