"""HTTP for kitchens."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.deps import AdminPrincipal, CurrentPrincipal
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.kitchens import service
from app.kitchens.deps import VisibleKitchen
from app.kitchens.models import KitchenCreate, KitchenPublic, KitchenUpdate
from app.users.models import RegionCode

router = APIRouter(tags=["kitchens"])


@router.post(
    "/kitchens",
    status_code=status.HTTP_201_CREATED,
    summary="Create a kitchen (admin)",
    responses={409: {"description": "`kitchen_code_taken`"}},
)
def create_kitchen(_: AdminPrincipal, data: KitchenCreate, session: SessionDep) -> KitchenPublic:
    kitchen = service.create_kitchen(session, data=data)
    return KitchenPublic.model_validate(kitchen, from_attributes=True)


@router.get("/kitchens", summary="List the kitchens the caller may see")
def list_kitchens(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    region_code: Annotated[
        RegionCode | None, Query(description="Only kitchens in this region")
    ] = None,
) -> Page[KitchenPublic]:
    rows, cursor = service.list_kitchens(
        session, principal=principal, region_code=region_code, page=page
    )
    items = [KitchenPublic.model_validate(k, from_attributes=True) for k in rows]
    return Page(items=items, next_cursor=cursor)


@router.get("/kitchens/{kitchen_id}", summary="Get a kitchen")
def get_kitchen(kitchen: VisibleKitchen) -> KitchenPublic:
    return KitchenPublic.model_validate(kitchen, from_attributes=True)


@router.patch(
    "/kitchens/{kitchen_id}",
    summary="Update a kitchen (admin)",
    responses={409: {"description": "`kitchen_code_taken`"}},
)
def update_kitchen(
    _: AdminPrincipal, kitchen: VisibleKitchen, data: KitchenUpdate, session: SessionDep
) -> KitchenPublic:
    kitchen = service.update_kitchen(session, kitchen=kitchen, data=data)
    return KitchenPublic.model_validate(kitchen, from_attributes=True)
