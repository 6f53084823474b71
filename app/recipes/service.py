"""Recipes, their ownership, and the nutrients of a portion.

`nutrition_of_recipes` is the one place a recipe's nutrients are computed; menus and
reports call it rather than summing ingredients themselves.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, true
from sqlmodel import Session, col, delete, select

from app.auth.models import Principal, Role
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.foods.models import Food
from app.kitchens.deps import visible_kitchen
from app.kitchens.models import Kitchen
from app.kitchens.service import scope_filter
from app.menus.models import Menu, MenuItem
from app.nutrition.models import NUTRIENTS
from app.recipes.models import (
    IngredientIn,
    IngredientPublic,
    NutrientTotals,
    Recipe,
    RecipeCreate,
    RecipeIngredient,
    RecipePublic,
    RecipeUpdate,
)

# Output precision; sums are computed at full precision first.
DECIMALS = 2


@dataclass(frozen=True)
class RecipeNutrition:
    """Nutrients of one standard portion of a recipe, at full precision.

    `nutrients` has every key of NUTRIENTS: sum of grams/100 * the food's value per 100 g,
    a food's unknown (null) value counted as 0. `incomplete_nutrients` names, sorted, the
    nutrients for which at least one ingredient's food has no value, so the sum
    is a lower bound. `allergens` is the sorted union of the ingredients' allergens.
    """

    nutrients: dict[str, float]
    incomplete_nutrients: list[str] = field(default_factory=list)
    allergens: list[str] = field(default_factory=list)


def _empty_nutrition() -> RecipeNutrition:
    return RecipeNutrition(nutrients=dict.fromkeys(NUTRIENTS, 0.0))


def nutrition_of_recipes(
    session: Session, *, recipe_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, RecipeNutrition]:
    """Per-portion nutrients, incompleteness and allergens of many recipes in two queries.

    Every id asked for gets an entry (zeros for a recipe without ingredients or an
    unknown id), so callers can index the result without checks.
    """
    ids = list(set(recipe_ids))
    if not ids:
        return {}
    columns: list[Any] = [RecipeIngredient.recipe_id]
    for name in NUTRIENTS:
        value = getattr(Food, name)
        columns.append(func.sum(RecipeIngredient.grams / 100.0 * func.coalesce(value, 0.0)))
        columns.append(func.sum(case((col(value).is_(None), 1), else_=0)))
    stmt = (
        select(*columns)
        .join(Food, col(Food.id) == col(RecipeIngredient.food_id))
        .where(col(RecipeIngredient.recipe_id).in_(ids))
        .group_by(col(RecipeIngredient.recipe_id))
    )
    allergens: dict[uuid.UUID, set[str]] = defaultdict(set)
    allergen_rows = session.exec(
        select(RecipeIngredient.recipe_id, Food.allergens)
        .join(Food, col(Food.id) == col(RecipeIngredient.food_id))
        .where(col(RecipeIngredient.recipe_id).in_(ids))
    )
    for recipe_id, food_allergens in allergen_rows:
        allergens[recipe_id].update(food_allergens or [])
    result = {rid: _empty_nutrition() for rid in ids}
    for row in session.exec(stmt):
        recipe_id, values = row[0], row[1:]
        totals = {n: float(values[2 * i] or 0.0) for i, n in enumerate(NUTRIENTS)}
        incomplete = sorted(n for i, n in enumerate(NUTRIENTS) if values[2 * i + 1])
        result[recipe_id] = RecipeNutrition(
            nutrients=totals,
            incomplete_nutrients=incomplete,
            allergens=sorted(allergens.get(recipe_id, ())),
        )
    return result


def recipe_visibility(principal: Principal) -> ColumnElement[bool]:
    """SQL restricting recipes to those the caller may read: national ones and those of
    kitchens in the caller's scope."""
    if principal.role is Role.admin:
        return true()
    kitchens_in_scope = select(Kitchen.id).where(scope_filter(principal))
    return or_(col(Recipe.kitchen_id).is_(None), col(Recipe.kitchen_id).in_(kitchens_in_scope))


def unavailable_recipes(
    session: Session, *, kitchen_id: uuid.UUID, recipe_ids: Collection[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids a menu of `kitchen_id` may not use: unknown, or another kitchen's recipe."""
    wanted = set(recipe_ids)
    if not wanted:
        return []
    usable = session.exec(
        select(Recipe.id).where(
            col(Recipe.id).in_(wanted),
            or_(col(Recipe.kitchen_id).is_(None), col(Recipe.kitchen_id) == kitchen_id),
        )
    ).all()
    return sorted(wanted - set(usable), key=str)


def readable_recipe(session: Session, *, principal: Principal, recipe_id: uuid.UUID) -> Recipe:
    """A recipe the caller may read, else 404 (also for another kitchen's recipe)."""
    recipe = session.get(Recipe, recipe_id)
    if recipe is None:
        raise NotFound("Recipe")
    if recipe.kitchen_id is not None:
        kitchen = session.get(Kitchen, recipe.kitchen_id)
        if kitchen is None or not principal.can_see_kitchen(kitchen.id, kitchen.region_code):
            raise NotFound("Recipe")
    return recipe


def _ensure_may_write_national(principal: Principal) -> None:
    if principal.role is not Role.admin:
        raise Forbidden("Only admin writes national recipes", code="role_forbidden")


def writable_recipe(session: Session, *, principal: Principal, recipe_id: uuid.UUID) -> Recipe:
    """A recipe the caller may change: admin any; a manager their kitchens' recipes.

    The caller's role was checked already. A manager gets 404 for another kitchen's
    recipe and 403 for a national one (which they can read but not write).
    """
    recipe = readable_recipe(session, principal=principal, recipe_id=recipe_id)
    if recipe.kitchen_id is None:
        _ensure_may_write_national(principal)
    return recipe


def _ingredients_of(
    session: Session, recipe_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[IngredientPublic]]:
    result: dict[uuid.UUID, list[IngredientPublic]] = defaultdict(list)
    if not recipe_ids:
        return result
    rows = session.exec(
        select(RecipeIngredient, Food.code, Food.name)
        .join(Food, col(Food.id) == col(RecipeIngredient.food_id))
        .where(col(RecipeIngredient.recipe_id).in_(recipe_ids))
        .order_by(col(RecipeIngredient.recipe_id), col(RecipeIngredient.position))
    )
    for ingredient, code, name in rows:
        result[ingredient.recipe_id].append(
            IngredientPublic(
                food_id=ingredient.food_id, food_code=code, food_name=name, grams=ingredient.grams
            )
        )
    return result


def to_public_many(session: Session, recipes: Sequence[Recipe]) -> list[RecipePublic]:
    """The API shape of many recipes: three queries, whatever their number."""
    ids = [r.id for r in recipes]
    nutrition = nutrition_of_recipes(session, recipe_ids=ids)
    ingredients = _ingredients_of(session, ids)
    return [
        RecipePublic(
            id=r.id,
            kitchen_id=r.kitchen_id,
            name=r.name,
            category=r.category,
            created_at=r.created_at,
            updated_at=r.updated_at,
            ingredients=ingredients.get(r.id, []),
            nutrients_per_portion=NutrientTotals(
                **{n: round(v, DECIMALS) for n, v in nutrition[r.id].nutrients.items()}
            ),
            incomplete_nutrients=nutrition[r.id].incomplete_nutrients,
            allergens=nutrition[r.id].allergens,
        )
        for r in recipes
    ]


def to_public(session: Session, recipe: Recipe) -> RecipePublic:
    """The API shape of one recipe."""
    return to_public_many(session, [recipe])[0]


def _ensure_foods_exist(session: Session, ingredients: Sequence[IngredientIn]) -> None:
    wanted = {i.food_id for i in ingredients}
    found = set(session.exec(select(Food.id).where(col(Food.id).in_(wanted))).all())
    for index, ingredient in enumerate(ingredients):
        if ingredient.food_id not in found:
            raise Invalid(
                f"Food {ingredient.food_id} does not exist",
                loc=["body", "ingredients", index, "food_id"],
                code="unknown_food",
            )


def _replace_ingredients(
    session: Session, recipe_id: uuid.UUID, ingredients: Sequence[IngredientIn]
) -> None:
    session.exec(delete(RecipeIngredient).where(col(RecipeIngredient.recipe_id) == recipe_id))
    for position, ingredient in enumerate(ingredients):
        session.add(
            RecipeIngredient(
                recipe_id=recipe_id,
                food_id=ingredient.food_id,
                grams=ingredient.grams,
                position=position,
            )
        )


def create_recipe(session: Session, *, principal: Principal, data: RecipeCreate) -> Recipe:
    """A new recipe: national (admin only) or of a kitchen in the caller's care."""
    if data.kitchen_id is None:
        _ensure_may_write_national(principal)
    else:
        visible_kitchen(session, principal, data.kitchen_id)
    _ensure_foods_exist(session, data.ingredients)
    recipe = Recipe(kitchen_id=data.kitchen_id, name=data.name, category=data.category.value)
    session.add(recipe)
    session.flush()
    _replace_ingredients(session, recipe.id, data.ingredients)
    session.flush()
    return recipe


def list_recipes(
    session: Session,
    *,
    principal: Principal,
    kitchen_id: uuid.UUID | None,
    search: str | None,
    page: PageParams,
) -> tuple[list[RecipePublic], str | None]:
    """Recipes the caller may read; with `kitchen_id`, only that kitchen's own (404 when
    the kitchen is outside the caller's scope)."""
    stmt = select(Recipe).where(recipe_visibility(principal))
    if kitchen_id is not None:
        visible_kitchen(session, principal, kitchen_id)
        stmt = stmt.where(Recipe.kitchen_id == kitchen_id)
    if search:
        stmt = stmt.where(col(Recipe.name).icontains(search, autoescape=True))
    rows, cursor = paginate(session, stmt, Recipe, page)
    return to_public_many(session, rows), cursor


def _menu_use(session: Session, recipe_id: uuid.UUID, *, approved_only: bool) -> bool:
    stmt = (
        select(MenuItem.id)
        .join(Menu, col(Menu.id) == col(MenuItem.menu_id))
        .where(MenuItem.recipe_id == recipe_id)
    )
    if approved_only:
        stmt = stmt.where(Menu.status == "approved")
    return session.exec(stmt.limit(1)).first() is not None


def update_recipe(session: Session, *, recipe: Recipe, data: RecipeUpdate) -> Recipe:
    """Apply the fields sent; 409 `recipe_in_use` once an approved menu uses the recipe."""
    changes = data.model_dump(exclude_unset=True, exclude={"ingredients", "kitchen_id"})
    if "kitchen_id" in data.model_fields_set and data.kitchen_id != recipe.kitchen_id:
        raise Invalid(
            "A recipe cannot move to another kitchen; create a new one there",
            loc=["body", "kitchen_id"],
            code="recipe_kitchen_fixed",
        )
    if _menu_use(session, recipe.id, approved_only=True):
        raise Conflict(
            "An approved menu uses this recipe; copy it under a new name to change it",
            code="recipe_in_use",
        )
    for name, value in changes.items():
        if value is not None:
            setattr(recipe, name, str(value))
    if data.ingredients is not None:
        _ensure_foods_exist(session, data.ingredients)
        _replace_ingredients(session, recipe.id, data.ingredients)
        # Ingredients live in their own table; touch the recipe so updated_at moves.
        recipe.updated_at = utcnow()
    session.add(recipe)
    session.flush()
    return recipe


def delete_recipe(session: Session, *, recipe: Recipe) -> None:
    """Delete a recipe no menu uses; 409 `recipe_in_use` otherwise (menus keep history)."""
    if _menu_use(session, recipe.id, approved_only=False):
        raise Conflict(
            "A menu uses this recipe; remove it from the menu first", code="recipe_in_use"
        )
    session.delete(recipe)
    session.flush()
