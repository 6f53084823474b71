"""HTTP for recipes: national ones (admin) and kitchens' own (their managers)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.deps import CurrentPrincipal, require_roles
from app.auth.models import Principal, Role
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.recipes import service
from app.recipes.models import RecipeCreate, RecipePublic, RecipeUpdate

router = APIRouter(tags=["recipes"])

RecipeWriter = Annotated[Principal, Depends(require_roles(Role.admin, Role.kitchen_manager))]


@router.post("/recipes", status_code=status.HTTP_201_CREATED, summary="Create a recipe")
def create_recipe(principal: RecipeWriter, data: RecipeCreate, session: SessionDep) -> RecipePublic:
    recipe = service.create_recipe(session, principal=principal, data=data)
    return service.to_public(session, recipe)


@router.get("/recipes", summary="List the recipes the caller may read")
def list_recipes(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    kitchen_id: Annotated[
        uuid.UUID | None, Query(description="Only this kitchen's own recipes")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Part of the name, any letter case")
    ] = None,
) -> Page[RecipePublic]:
    items, cursor = service.list_recipes(
        session, principal=principal, kitchen_id=kitchen_id, search=search, page=page
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/recipes/{recipe_id}", summary="Get a recipe with its nutrients per portion")
def get_recipe(
    principal: CurrentPrincipal, recipe_id: uuid.UUID, session: SessionDep
) -> RecipePublic:
    recipe = service.readable_recipe(session, principal=principal, recipe_id=recipe_id)
    return service.to_public(session, recipe)


@router.patch("/recipes/{recipe_id}", summary="Update a recipe")
def update_recipe(
    principal: RecipeWriter, recipe_id: uuid.UUID, data: RecipeUpdate, session: SessionDep
) -> RecipePublic:
    recipe = service.writable_recipe(session, principal=principal, recipe_id=recipe_id)
    recipe = service.update_recipe(session, recipe=recipe, data=data)
    return service.to_public(session, recipe)


@router.delete(
    "/recipes/{recipe_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a recipe no menu uses",
)
def delete_recipe(principal: RecipeWriter, recipe_id: uuid.UUID, session: SessionDep) -> Response:
    recipe = service.writable_recipe(session, principal=principal, recipe_id=recipe_id)
    service.delete_recipe(session, recipe=recipe)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
