"""HTTP for menus, their nutrition check and approval."""

from typing import Annotated

from fastapi import Query, Response, status

from app.auth.deps import CurrentPrincipal
from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import FromDate, ToDate
from app.kitchens.access import ManagedKitchen, OpsReadKitchen
from app.kitchens.oversight import KitchenSuspended
from app.menus import service
from app.menus.access import ReadableMenu, WritableMenu
from app.menus.models import (
    MenuApprove,
    MenuCreate,
    MenuPublic,
    MenuStatus,
    MenuUpdate,
    NutritionCheck,
)
from app.menus.service import (
    MenuExists,
    MenuLocked,
    NotHalal,
    NutritionCheckFailed,
    OverBudget,
    RecipeNotAvailable,
)

router = api_router(tags=["menus"])


@router.post(
    "/kitchens/{kitchen_id}/menus",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a menu (draft) for a date and meal type",
    responses=problems(MenuExists, RecipeNotAvailable, KitchenSuspended, NotHalal),
)
async def create_menu(kitchen: ManagedKitchen, data: MenuCreate, session: SessionDep) -> MenuPublic:
    return await service.create_menu(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/menus", summary="List a kitchen's menus")
async def list_menus(
    kitchen: OpsReadKitchen,
    session: SessionDep,
    page: PageDep,
    date_from: FromDate = None,
    date_to: ToDate = None,
    menu_status: Annotated[MenuStatus | None, Query(alias="status")] = None,
) -> Page[MenuPublic]:
    items, cursor = await service.list_menus(
        session,
        kitchen=kitchen,
        date_from=date_from,
        date_to=date_to,
        status=menu_status,
        page=page,
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/menus/{menu_id}", summary="Get a menu")
async def get_menu(menu: ReadableMenu, session: SessionDep, cond: ConditionalDep) -> MenuPublic:
    cond.tag(await service.menu_tag(session, menu))
    return await service.to_public(session, menu)


@router.patch(
    "/menus/{menu_id}",
    summary="Change a draft menu",
    responses=problems(MenuLocked, MenuExists, RecipeNotAvailable, NotHalal),
)
async def update_menu(
    menu: WritableMenu, data: MenuUpdate, session: SessionDep, cond: ConditionalDep
) -> MenuPublic:
    public = await service.update_menu(session, menu=menu, data=data)
    cond.tag(await service.menu_tag(session, menu))
    return public


@router.delete(
    "/menus/{menu_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft menu",
    responses=problems(MenuLocked),
)
async def delete_menu(menu: WritableMenu, session: SessionDep) -> Response:
    await service.delete_menu(session, menu=menu)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/menus/{menu_id}/nutrition-check",
    summary="Check a menu against AKG targets (as approved, for an approved menu)",
)
async def nutrition_check(menu: ReadableMenu, session: SessionDep) -> NutritionCheck:
    return await service.nutrition_check(session, menu=menu)


@router.post(
    "/menus/{menu_id}/approve",
    summary="Approve a menu (override a failing check or an over-budget portion)",
    responses=problems(NutritionCheckFailed, OverBudget, NotHalal, MenuLocked, KitchenSuspended),
)
async def approve_menu(
    menu: WritableMenu,
    principal: CurrentPrincipal,
    session: SessionDep,
    data: MenuApprove | None = None,
) -> MenuPublic:
    return await service.approve_menu(
        session, menu=menu, principal=principal, data=data or MenuApprove()
    )
