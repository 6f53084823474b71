"""HTTP for meal counts."""

from fastapi import APIRouter

from app.core.deps import SessionDep, run_and_commit
from app.core.schemas import FromDate, IsoDate, ToDate
from app.kitchens.deps import ManagedKitchen, OpsReadKitchen
from app.mealcounts import service
from app.mealcounts.models import MealCountDayList, MealCountDayPublic, MealCountsPut

router = APIRouter(tags=["meal counts"])


@router.put(
    "/kitchens/{kitchen_id}/meal-counts/{service_date}",
    summary="Report a day's meal counts (replaces the day as a whole)",
)
async def put_meal_counts(
    kitchen: ManagedKitchen, service_date: IsoDate, data: MealCountsPut, session: SessionDep
) -> MealCountDayPublic:
    return await run_and_commit(
        session,
        lambda: service.put_day(session, kitchen=kitchen, service_date=service_date, data=data),
    )


@router.get("/kitchens/{kitchen_id}/meal-counts", summary="List a kitchen's reported days")
def list_meal_counts(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    date_from: FromDate = None,
    date_to: ToDate = None,
) -> MealCountDayList:
    items = service.list_days(session, kitchen=kitchen, date_from=date_from, date_to=date_to)
    return MealCountDayList(items=items)


@router.get(
    "/kitchens/{kitchen_id}/meal-counts/{service_date}", summary="Get one day's meal counts"
)
def get_meal_counts(
    kitchen: OpsReadKitchen, service_date: IsoDate, session: SessionDep
) -> MealCountDayPublic:
    return service.get_day(session, kitchen=kitchen, service_date=service_date)
