"""HTTP for foods: everyone authenticated reads, admin writes."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.deps import AdminPrincipal, CurrentPrincipal
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.foods import service
from app.foods.models import FoodCreate, FoodGroup, FoodPublic, FoodUpdate

router = APIRouter(tags=["foods"])


@router.get("/foods", summary="List or search foods")
def list_foods(
    _: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    search: Annotated[
        str | None,
        Query(max_length=200, description="Part of the name or code, any letter case"),
    ] = None,
    food_group: Annotated[FoodGroup | None, Query(description="Only foods of this group")] = None,
) -> Page[FoodPublic]:
    rows, cursor = service.list_foods(session, search=search, food_group=food_group, page=page)
    return Page(items=[service.to_public(f) for f in rows], next_cursor=cursor)


@router.get("/foods/{food_id}", summary="Get a food")
def get_food(_: CurrentPrincipal, food_id: uuid.UUID, session: SessionDep) -> FoodPublic:
    return service.to_public(service.get_food(session, food_id=food_id))


@router.post("/foods", status_code=status.HTTP_201_CREATED, summary="Add a food (admin)")
def create_food(_: AdminPrincipal, data: FoodCreate, session: SessionDep) -> FoodPublic:
    return service.to_public(service.create_food(session, data=data))


@router.patch("/foods/{food_id}", summary="Update a food (admin)")
def update_food(
    _: AdminPrincipal, food_id: uuid.UUID, data: FoodUpdate, session: SessionDep
) -> FoodPublic:
    food = service.get_food(session, food_id=food_id)
    return service.to_public(service.update_food(session, food=food, data=data))
