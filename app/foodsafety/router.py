"""HTTP for food-safety checks."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.foodsafety import service
from app.foodsafety.deps import ReadableCheck
from app.foodsafety.models import FoodSafetyCheckCreate, FoodSafetyCheckPublic
from app.kitchens.deps import ManagedKitchen, OpsReadKitchen

router = APIRouter(tags=["food safety"])


@router.post(
    "/kitchens/{kitchen_id}/food-safety-checks",
    status_code=status.HTTP_201_CREATED,
    summary="Record a food-safety check (flags are computed)",
)
def create_check(
    kitchen: ManagedKitchen, data: FoodSafetyCheckCreate, session: SessionDep
) -> FoodSafetyCheckPublic:
    check = service.create_check(session, kitchen=kitchen, data=data)
    return FoodSafetyCheckPublic.model_validate(check, from_attributes=True)


@router.get("/kitchens/{kitchen_id}/food-safety-checks", summary="List a kitchen's checks")
def list_checks(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    page: PageDep,
    date_from: Annotated[date | None, Query(alias="from", description="First service date")] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Last service date (inclusive)")
    ] = None,
) -> Page[FoodSafetyCheckPublic]:
    rows, cursor = service.list_checks(
        session, kitchen=kitchen, date_from=date_from, date_to=date_to, page=page
    )
    items = [FoodSafetyCheckPublic.model_validate(c, from_attributes=True) for c in rows]
    return Page(items=items, next_cursor=cursor)


@router.get("/food-safety-checks/{check_id}", summary="Get a food-safety check")
def get_check(check: ReadableCheck) -> FoodSafetyCheckPublic:
    return FoodSafetyCheckPublic.model_validate(check, from_attributes=True)
