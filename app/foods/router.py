"""HTTP for foods: everyone authenticated reads, admin writes."""

from typing import Annotated

from fastapi import Query, status

from app.auth.deps import AnyPrincipal
from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.foods import service
from app.foods.access import ReadableFood, ReferenceWriter, WritableFood
from app.foods.models import FoodCreate, FoodGroup, FoodPublic, FoodUpdate
from app.foods.service import FoodCodeTaken, InvalidRawForm
from app.kitchens.access import row_etag

router = api_router(tags=["foods"])


@router.get("/foods", summary="List or search foods (best matches of a search first)")
async def list_foods(
    _: AnyPrincipal,
    session: SessionDep,
    page: PageDep,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Part of the name or code, any letter case. Names that start with "
            "it come first, then names holding it as a whole word, then the rest; then by name",
        ),
    ] = None,
    food_group: Annotated[FoodGroup | None, Query(description="Only foods of this group")] = None,
) -> Page[FoodPublic]:
    rows, cursor = await service.list_foods(
        session, search=search, food_group=food_group, page=page
    )
    return Page(items=[service.to_public(f) for f in rows], next_cursor=cursor)


@router.get("/foods/{food_id}", summary="Get a food")
async def get_food(food: ReadableFood, session: SessionDep, cond: ConditionalDep) -> FoodPublic:
    cond.tag(row_etag(food))
    return service.to_public(food)


@router.post(
    "/foods",
    status_code=status.HTTP_201_CREATED,
    summary="Add a food (admin)",
    responses=problems(FoodCodeTaken, InvalidRawForm),
)
async def create_food(_: ReferenceWriter, data: FoodCreate, session: SessionDep) -> FoodPublic:
    return service.to_public(await service.create_food(session, data=data))


@router.patch(
    "/foods/{food_id}",
    summary="Update a food (admin)",
    responses=problems(FoodCodeTaken, InvalidRawForm),
)
async def update_food(
    food: WritableFood, data: FoodUpdate, session: SessionDep, cond: ConditionalDep
) -> FoodPublic:
    food = await service.update_food(session, food=food, data=data)
    cond.tag(row_etag(food))
    return service.to_public(food)
