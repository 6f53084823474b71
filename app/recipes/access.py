"""Loading a recipe the caller may reach.

A recipe is national (no kitchen: everyone reads it, admin writes it) or a kitchen's own
(read within the kitchen's scope, written by its managers). Outside the caller's scope it
is 404; a kitchen manager writing a national recipe gets 403.

A write locks the kitchen first (counting the write in its data version, as every write
to a kitchen's data does), then the recipe's row: the order a menu's approval takes
(menu, kitchen, then the recipes it locks), so the two wait for each other instead of
deadlocking. The national recipe's reference-version count comes last, in the service.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import col, select

from app.auth.deps import CurrentPrincipal, ensure_allowed
from app.auth.policy import KITCHEN_READ, RECIPE_WRITE, Policy
from app.core.conditional import ConditionalDep
from app.core.deps import SAFE_METHODS, SessionDep
from app.core.errors import NotFound
from app.core.openapi import document_access
from app.kitchens.access import touch_kitchen, visible
from app.kitchens.models import Kitchen
from app.recipes.models import Recipe
from app.recipes.service import NationalRecipeForbidden, recipe_tag


def recipe_loader(policy: Policy) -> Callable[..., Awaitable[Recipe]]:
    """A dependency loading the recipe of `{recipe_id}` under `policy`."""

    async def load(
        recipe_id: uuid.UUID,
        request: Request,
        principal: CurrentPrincipal,
        session: SessionDep,
        cond: ConditionalDep,
    ) -> Recipe:
        ensure_allowed(principal, policy)
        stmt = (
            select(Recipe, Kitchen)
            .outerjoin(Kitchen, col(Kitchen.id) == col(Recipe.kitchen_id))
            .where(Recipe.id == recipe_id)
        )
        row = (await session.exec(stmt)).first()
        if row is None:
            raise NotFound("Recipe")
        recipe, kitchen = row
        if kitchen is not None and not visible(principal, kitchen):
            raise NotFound("Recipe")
        if request.method in SAFE_METHODS:
            return recipe
        if kitchen is None and not principal.is_admin:
            raise NationalRecipeForbidden()
        if kitchen is not None:
            await touch_kitchen(session, kitchen)
        locked = await session.get(Recipe, recipe_id, with_for_update=True, populate_existing=True)
        if locked is None:  # deleted while this request waited for the kitchen
            raise NotFound("Recipe")
        cond.require(await recipe_tag(session, locked))
        return locked

    return document_access(load, policy)


ReadableRecipe = Annotated[Recipe, Depends(recipe_loader(KITCHEN_READ))]
WritableRecipe = Annotated[Recipe, Depends(recipe_loader(RECIPE_WRITE))]
