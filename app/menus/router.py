"""HTTP for menus, their nutrition check and approval."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import CurrentPrincipal
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.kitchens.deps import ManagedKitchen, OpsReadKitchen
from app.menus import service
from app.menus.deps import ReadableMenu, WritableMenu
from app.menus.models import (
    MenuApprove,
    MenuCreate,
    MenuPublic,
    MenuStatus,
    MenuUpdate,
    NutritionCheck,
)

router = APIRouter(tags=["menus"])


@router.post(
    "/kitchens/{kitchen_id}/menus",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a menu (draft) for a date and meal type",
)
def create_menu(kitchen: ManagedKitchen, data: MenuCreate, session: SessionDep) -> MenuPublic:
    return service.create_menu(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/menus", summary="List a kitchen's menus")
def list_menus(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    page: PageDep,
    date_from: Annotated[date | None, Query(alias="from", description="First service date")] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Last service date (inclusive)")
    ] = None,
    menu_status: Annotated[MenuStatus | None, Query(alias="status")] = None,
) -> Page[MenuPublic]:
    items, cursor = service.list_menus(
        session,
        kitchen=kitchen,
        date_from=date_from,
        date_to=date_to,
        status=menu_status,
        page=page,
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/menus/{menu_id}", summary="Get a menu")
def get_menu(menu: ReadableMenu, session: SessionDep) -> MenuPublic:
    return service.to_public(session, menu)


@router.patch("/menus/{menu_id}", summary="Change a draft menu")
def update_menu(menu: WritableMenu, data: MenuUpdate, session: SessionDep) -> MenuPublic:
    return service.update_menu(session, menu=menu, data=data)


@router.delete(
    "/menus/{menu_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a draft menu"
)
def delete_menu(menu: WritableMenu, session: SessionDep) -> Response:
    service.delete_menu(session, menu=menu)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/menus/{menu_id}/nutrition-check",
    summary="Check a menu against AKG targets (as approved, for an approved menu)",
)
def nutrition_check(menu: ReadableMenu, session: SessionDep) -> NutritionCheck:
    return service.nutrition_check(session, menu=menu)


@router.post("/menus/{menu_id}/approve", summary="Approve a menu (override a failing check)")
def approve_menu(
    menu: WritableMenu,
    principal: CurrentPrincipal,
    session: SessionDep,
    data: MenuApprove | None = None,
) -> MenuPublic:
    return service.approve_menu(session, menu=menu, principal=principal, data=data or MenuApprove())
