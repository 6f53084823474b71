"""HTTP for recipes: national ones (admin) and kitchens' own (their managers)."""

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from app.auth.deps import AnyPrincipal, gate
from app.auth.models import Principal
from app.auth.policy import RECIPE_WRITE
from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import NotFound, problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.core.schemas import IsoDate
from app.foods.service import UnknownFood
from app.recipes import service
from app.recipes.access import ReadableRecipe, WritableRecipe
from app.recipes.models import RecipeCreate, RecipePublic, RecipeUpdate
from app.recipes.service import RecipeInUse, RecipeKitchenFixed

router = api_router(tags=["recipes"])

PriceDate = Annotated[
    IsoDate | None,
    Query(
        alias="date",
        description="The day whose prices cost the recipe (default: the kitchen's today, "
        "or today in WIB for national prices)",
    ),
]

RecipeWriter = Annotated[Principal, Depends(gate(RECIPE_WRITE))]
# `kitchen_id` in the body or the query, of a kitchen outside the caller's scope.
_KITCHEN_OUT_OF_SCOPE: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "`kitchen_id` names a kitchen outside the caller's scope",
        "x-problem-codes": [NotFound.code],
    }
}


@router.post(
    "/recipes",
    status_code=status.HTTP_201_CREATED,
    summary="Create a recipe",
    responses={**_KITCHEN_OUT_OF_SCOPE, **problems(UnknownFood)},
)
async def create_recipe(
    principal: RecipeWriter, data: RecipeCreate, session: SessionDep
) -> RecipePublic:
    recipe = await service.create_recipe(session, principal=principal, data=data)
    return await service.to_public(session, recipe)


@router.get(
    "/recipes",
    summary="List the recipes the caller may read",
    responses=_KITCHEN_OUT_OF_SCOPE,
)
async def list_recipes(
    principal: AnyPrincipal,
    session: SessionDep,
    page: PageDep,
    kitchen_id: Annotated[
        uuid.UUID | None,
        Query(description="Only this kitchen's own recipes, costed at its prices"),
    ] = None,
    day: PriceDate = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Part of the name, any letter case")
    ] = None,
) -> Page[RecipePublic]:
    items, cursor = await service.list_recipes(
        session, principal=principal, kitchen_id=kitchen_id, day=day, search=search, page=page
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/recipes/{recipe_id}",
    summary="Get a recipe with its nutrients and cost per portion",
    responses=_KITCHEN_OUT_OF_SCOPE,
)
async def get_recipe(
    recipe: ReadableRecipe,
    principal: AnyPrincipal,
    session: SessionDep,
    cond: ConditionalDep,
    kitchen_id: Annotated[
        uuid.UUID | None,
        Query(description="Cost the recipe at this kitchen's prices (default: national)"),
    ] = None,
    day: PriceDate = None,
) -> RecipePublic:
    pricing = await service.pricing_for(
        session, principal=principal, kitchen_id=kitchen_id, day=day
    )
    cond.tag(await service.recipe_tag(session, recipe, pricing=pricing))
    return await service.to_public(session, recipe, pricing=pricing)


@router.patch(
    "/recipes/{recipe_id}",
    summary="Update a recipe (not once an approved menu uses it)",
    responses=problems(RecipeInUse, RecipeKitchenFixed, UnknownFood),
)
async def update_recipe(
    recipe: WritableRecipe, data: RecipeUpdate, session: SessionDep, cond: ConditionalDep
) -> RecipePublic:
    recipe = await service.update_recipe(session, recipe=recipe, data=data)
    cond.tag(await service.recipe_tag(session, recipe))
    return await service.to_public(session, recipe)


@router.delete(
    "/recipes/{recipe_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a recipe no menu uses",
    responses=problems(RecipeInUse),
)
async def delete_recipe(recipe: WritableRecipe, session: SessionDep) -> Response:
    await service.delete_recipe(session, recipe=recipe)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
