"""HTTP for food prices and a kitchen's price list."""

import uuid
from typing import Annotated, Any

from fastapi import Query, status

from app.auth.deps import AnyPrincipal
from app.core.deps import SessionDep
from app.core.errors import NotFound, problems
from app.core.localtime import local_today
from app.core.pagination import Page, PageDep
from app.core.regions import RegionCode
from app.core.routing import api_router
from app.core.schemas import IsoDate
from app.foods.service import UnknownFood
from app.kitchens.access import VisibleKitchen
from app.prices import service
from app.prices.access import PriceWriter
from app.prices.models import FoodPriceCreate, FoodPricePublic, KitchenPrices
from app.prices.service import FoodPriceExists, ReferencePriceForbidden

router = api_router(tags=["prices"])

# `kitchen_id` in the body or the query names a kitchen outside the caller's scope.
_KITCHEN_OUT_OF_SCOPE: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "`kitchen_id` names a kitchen outside the caller's scope",
        "x-problem-codes": [NotFound.code],
    }
}


@router.post(
    "/food-prices",
    status_code=status.HTTP_201_CREATED,
    summary="Record a price: national or regional (admin), or a kitchen's own",
    responses={
        **_KITCHEN_OUT_OF_SCOPE,
        **problems(FoodPriceExists, UnknownFood, ReferencePriceForbidden),
    },
)
async def create_price(
    principal: PriceWriter, data: FoodPriceCreate, session: SessionDep
) -> FoodPricePublic:
    price = await service.create_price(session, principal=principal, data=data)
    return service.to_public(price)


@router.get(
    "/food-prices",
    summary="List the prices the caller may read",
    responses=_KITCHEN_OUT_OF_SCOPE,
)
async def list_prices(
    principal: AnyPrincipal,
    session: SessionDep,
    page: PageDep,
    food_id: Annotated[uuid.UUID | None, Query(description="Only this food's prices")] = None,
    region_code: Annotated[
        RegionCode | None, Query(description="Only the regional prices of this region")
    ] = None,
    kitchen_id: Annotated[
        uuid.UUID | None, Query(description="Only this kitchen's own prices")
    ] = None,
) -> Page[FoodPricePublic]:
    rows, cursor = await service.list_prices(
        session,
        principal=principal,
        food_id=food_id,
        region_code=region_code,
        kitchen_id=kitchen_id,
        page=page,
    )
    return Page(items=[service.to_public(p) for p in rows], next_cursor=cursor)


@router.get(
    "/kitchens/{kitchen_id}/prices",
    summary="Every food with the price that applies to the kitchen on a date",
)
async def kitchen_prices(
    kitchen: VisibleKitchen,
    session: SessionDep,
    page: PageDep,
    day: Annotated[
        IsoDate | None,
        Query(alias="date", description="The date to price (default: the kitchen's today)"),
    ] = None,
) -> KitchenPrices:
    on = day or local_today(kitchen.timezone)
    items, cursor = await service.kitchen_prices(session, kitchen=kitchen, day=on, page=page)
    return KitchenPrices(kitchen_id=kitchen.id, date=on, items=items, next_cursor=cursor)
