"""HTTP for food-safety checks."""

from fastapi import status

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import FromDate, ToDate
from app.foodsafety import service
from app.foodsafety.access import ReadableCheck, WritableCheck
from app.foodsafety.models import (
    FoodSafetyCheckCreate,
    FoodSafetyCheckPublic,
    FoodSafetyCheckUpdate,
)
from app.kitchens.access import ManagedKitchen, OpsReadKitchen, row_etag

router = api_router(tags=["food safety"])


@router.post(
    "/kitchens/{kitchen_id}/food-safety-checks",
    status_code=status.HTTP_201_CREATED,
    summary="Record a food-safety check (flags are computed)",
)
async def create_check(
    kitchen: ManagedKitchen, data: FoodSafetyCheckCreate, session: SessionDep
) -> FoodSafetyCheckPublic:
    check = await service.create_check(session, kitchen=kitchen, data=data)
    return FoodSafetyCheckPublic.model_validate(check)


@router.get("/kitchens/{kitchen_id}/food-safety-checks", summary="List a kitchen's checks")
async def list_checks(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    page: PageDep,
    date_from: FromDate = None,
    date_to: ToDate = None,
) -> Page[FoodSafetyCheckPublic]:
    rows, cursor = await service.list_checks(
        session, kitchen=kitchen, date_from=date_from, date_to=date_to, page=page
    )
    items = [FoodSafetyCheckPublic.model_validate(c) for c in rows]
    return Page(items=items, next_cursor=cursor)


@router.get("/food-safety-checks/{check_id}", summary="Get a food-safety check")
async def get_check(
    check: ReadableCheck, session: SessionDep, cond: ConditionalDep
) -> FoodSafetyCheckPublic:
    cond.tag(row_etag(check))
    return FoodSafetyCheckPublic.model_validate(check)


@router.patch(
    "/food-safety-checks/{check_id}",
    summary="Correct a food-safety check (flags are computed again; the change is audited)",
)
async def update_check(
    check: WritableCheck, data: FoodSafetyCheckUpdate, session: SessionDep, cond: ConditionalDep
) -> FoodSafetyCheckPublic:
    check = await service.update_check(session, check=check, data=data)
    cond.tag(row_etag(check))
    return FoodSafetyCheckPublic.model_validate(check)
