"""HTTP for kitchens."""

from typing import Annotated

from fastapi import Query, status

from app.auth.deps import AdminPrincipal, AnyPrincipal
from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.regions import RegionCode
from app.core.routing import api_router
from app.kitchens import service
from app.kitchens.access import AdministeredKitchen, VisibleKitchen, kitchen_etag
from app.kitchens.models import KitchenCreate, KitchenPublic, KitchenUpdate
from app.kitchens.service import KitchenCodeTaken

router = api_router(tags=["kitchens"])


@router.post(
    "/kitchens",
    status_code=status.HTTP_201_CREATED,
    summary="Create a kitchen (admin)",
    responses=problems(KitchenCodeTaken),
)
async def create_kitchen(
    _: AdminPrincipal, data: KitchenCreate, session: SessionDep
) -> KitchenPublic:
    kitchen = await service.create_kitchen(session, data=data)
    return KitchenPublic.model_validate(kitchen)


@router.get("/kitchens", summary="List the kitchens the caller may see")
async def list_kitchens(
    session: SessionDep,
    principal: AnyPrincipal,
    page: PageDep,
    region_code: Annotated[
        RegionCode | None, Query(description="Only kitchens in this region")
    ] = None,
) -> Page[KitchenPublic]:
    rows, cursor = await service.list_kitchens(
        session, principal=principal, region_code=region_code, page=page
    )
    return Page(items=[KitchenPublic.model_validate(k) for k in rows], next_cursor=cursor)


@router.get("/kitchens/{kitchen_id}", summary="Get a kitchen")
async def get_kitchen(
    kitchen: VisibleKitchen, session: SessionDep, cond: ConditionalDep
) -> KitchenPublic:
    cond.tag(kitchen_etag(kitchen))
    return KitchenPublic.model_validate(kitchen)


@router.patch(
    "/kitchens/{kitchen_id}",
    summary="Update a kitchen (admin)",
    responses=problems(KitchenCodeTaken),
)
async def update_kitchen(
    kitchen: AdministeredKitchen, data: KitchenUpdate, session: SessionDep, cond: ConditionalDep
) -> KitchenPublic:
    kitchen = await service.update_kitchen(session, kitchen=kitchen, data=data)
    cond.tag(kitchen_etag(kitchen))
    return KitchenPublic.model_validate(kitchen)
