"""HTTP for deliveries."""

import uuid
from typing import Annotated

from fastapi import Query, status

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import FromDate, ToDate
from app.deliveries import service
from app.deliveries.access import ReadableDelivery, WritableDelivery
from app.deliveries.models import DeliveryCreate, DeliveryPublic, DeliveryUpdate
from app.deliveries.service import DeliveryExists
from app.kitchens.access import ManagedKitchen, OpsReadKitchen
from app.kitchens.oversight import KitchenSuspended
from app.mealcounts.service import SchoolNotInKitchen

router = api_router(tags=["deliveries"])


@router.post(
    "/kitchens/{kitchen_id}/deliveries",
    status_code=status.HTTP_201_CREATED,
    summary="Record a delivery leaving for a school (flags are computed)",
    responses=problems(DeliveryExists, KitchenSuspended, SchoolNotInKitchen),
)
async def create_delivery(
    kitchen: ManagedKitchen, data: DeliveryCreate, session: SessionDep
) -> DeliveryPublic:
    return await service.create_delivery(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/deliveries", summary="List a kitchen's deliveries")
async def list_deliveries(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    page: PageDep,
    date_from: FromDate = None,
    date_to: ToDate = None,
    school_id: Annotated[uuid.UUID | None, Query(description="Only this school's")] = None,
) -> Page[DeliveryPublic]:
    items, cursor = await service.list_deliveries(
        session,
        kitchen=kitchen,
        date_from=date_from,
        date_to=date_to,
        school_id=school_id,
        page=page,
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/deliveries/{delivery_id}", summary="Get a delivery")
async def get_delivery(
    delivery: ReadableDelivery, session: SessionDep, cond: ConditionalDep
) -> DeliveryPublic:
    public = await service.to_public(session, delivery, await service.kitchen_of(session, delivery))
    cond.tag(service.tag_of(public, delivery.version))
    return public


@router.patch(
    "/deliveries/{delivery_id}",
    summary="Record arrival, receipt and the start of eating (If-Match; flags are computed)",
)
async def update_delivery(
    delivery: WritableDelivery, data: DeliveryUpdate, session: SessionDep, cond: ConditionalDep
) -> DeliveryPublic:
    public = await service.update_delivery(session, delivery=delivery, data=data)
    cond.tag(service.tag_of(public, delivery.version))
    return public
