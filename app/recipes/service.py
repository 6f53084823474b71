"""Recipes, their ownership, and the nutrients of a portion.

`nutrition_of_recipes` is the one place a recipe's nutrients are computed; menus and
reports call it rather than summing ingredients themselves. Recipes know nothing of menus:
a recipe a menu uses cannot be deleted because the menu's items reference it (the foreign
key refuses), and one an approved menu uses cannot change because the menus domain marks
it (`Recipe.in_approved_menu`) when it approves the menu.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, Uuid, case, func, literal, or_, true, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal, Role
from app.core.conditional import version_tag
from app.core.errors import Conflict, Invalid, NotFound, RoleForbidden
from app.core.localtime import NATIONAL_TIMEZONE, local_today
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.core.versions import reference_version
from app.foods.models import Food
from app.foods.service import UnknownFood
from app.kitchens.access import touch_kitchen, touch_reference, visible
from app.kitchens.models import Kitchen
from app.kitchens.service import scope_filter
from app.nutrition.models import NUTRIENTS
from app.prices.queries import resolved_prices
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
from app.recipes.queries import purchases

# Output precision; sums are computed at full precision first.
DECIMALS = 2


class RecipeInUse(Conflict):
    code = "recipe_in_use"
    description = (
        "A menu uses the recipe: it cannot be deleted, nor changed once a menu using it "
        "was approved"
    )


class RecipeKitchenFixed(Invalid):
    code = "recipe_kitchen_fixed"
    description = "A recipe cannot move to another kitchen"


class NationalRecipeForbidden(RoleForbidden):
    """Only admin writes national recipes (a kitchen manager reads them)."""

    def __init__(self) -> None:
        super().__init__("Only admin writes national recipes")


@dataclass(frozen=True)
class RecipeNutrition:
    """Nutrients of one standard portion of a recipe, at full precision.

    `nutrients` has every key of NUTRIENTS: sum of grams/100 * the food's value per 100 g,
    a food's unknown (null) value counted as 0. `incomplete_nutrients` names, sorted, the
    nutrients for which at least one ingredient's food has no value, so the sum
    is a lower bound. `allergens` is the sorted union of the ingredients' allergens;
    `allergens_unassessed_foods` names the ingredients' foods whose allergens nobody has
    assessed (so `allergens` lists what is known, not a guarantee of the rest).
    """

    nutrients: dict[str, float]
    incomplete_nutrients: list[str] = field(default_factory=list)
    allergens: list[str] = field(default_factory=list)
    allergens_unassessed_foods: list[uuid.UUID] = field(default_factory=list)


def _empty_nutrition() -> RecipeNutrition:
    return RecipeNutrition(nutrients=dict.fromkeys(NUTRIENTS, 0.0))


async def nutrition_of_recipes(
    session: AsyncSession, *, recipe_ids: Collection[uuid.UUID]
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
    unassessed: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    allergen_rows = await session.exec(
        select(RecipeIngredient.recipe_id, Food.id, Food.allergens)
        .join(Food, col(Food.id) == col(RecipeIngredient.food_id))
        .where(col(RecipeIngredient.recipe_id).in_(ids))
    )
    for recipe_id, food_id, food_allergens in allergen_rows:
        if food_allergens is None:
            unassessed[recipe_id].add(food_id)
        else:
            allergens[recipe_id].update(food_allergens)
    result = {rid: _empty_nutrition() for rid in ids}
    for row in await session.exec(stmt):
        recipe_id, values = row[0], row[1:]
        totals = {n: float(values[2 * i] or 0.0) for i, n in enumerate(NUTRIENTS)}
        incomplete = sorted(n for i, n in enumerate(NUTRIENTS) if values[2 * i + 1])
        result[recipe_id] = RecipeNutrition(
            nutrients=totals,
            incomplete_nutrients=incomplete,
            allergens=sorted(allergens.get(recipe_id, ())),
            allergens_unassessed_foods=sorted(unassessed.get(recipe_id, ()), key=str),
        )
    return result


@dataclass(frozen=True)
class Pricing:
    """Whose prices, on which day, cost a recipe: a kitchen's (its own, its region's, else
    national), or national prices only (`kitchen` None)."""

    kitchen: Kitchen | None
    day: date

    @classmethod
    def national_today(cls) -> "Pricing":
        """National prices on today's date in WIB."""
        return cls(kitchen=None, day=local_today(NATIONAL_TIMEZONE))

    @property
    def kitchen_id(self) -> uuid.UUID | None:
        return self.kitchen.id if self.kitchen is not None else None


@dataclass(frozen=True)
class RecipeCost:
    """What one standard portion of a recipe costs to buy, at full precision: None when a
    purchased food has no price (`missing_prices` names them, sorted)."""

    cost_per_portion: float | None
    missing_prices: list[uuid.UUID] = field(default_factory=list)


def cost_of(lines: Sequence[tuple[uuid.UUID, float, int | None]]) -> RecipeCost:
    """The cost of (purchased food, grams bought, price per kg or None) lines: Σ grams ÷
    1000 × price, or unknown with the foods lacking a price."""
    missing = sorted({food for food, _, price in lines if price is None}, key=str)
    if missing:
        return RecipeCost(cost_per_portion=None, missing_prices=missing)
    return RecipeCost(cost_per_portion=sum(g / 1000 * (p or 0) for _, g, p in lines))


async def costs_of_recipes(
    session: AsyncSession, *, recipe_ids: Collection[uuid.UUID], pricing: Pricing
) -> dict[uuid.UUID, RecipeCost]:
    """Cost per standard portion of many recipes at one kitchen's prices on one day, in one
    statement (§13: purchase grams through the cooked yield and the purchased food's edible
    portion, times its price). Every id asked for gets an entry."""
    ids = list(set(recipe_ids))
    if not ids:
        return {}
    bought = purchases()
    lines = bought.where(bought.selected_columns.recipe_id.in_(ids)).cte("recipe_purchases")
    needs = (
        select(
            literal(pricing.kitchen_id, type_=Uuid()).label("kitchen_id"),
            literal(pricing.day, type_=Date()).label("service_date"),
            lines.c.food_id,
        )
        .distinct()
        .subquery("needs")
    )
    prices = resolved_prices(needs).subquery("prices")
    rows = await session.execute(
        select(lines.c.recipe_id, lines.c.food_id, lines.c.purchase_g, prices.c.price_per_kg)
        .select_from(lines)
        .outerjoin(prices, prices.c.food_id == lines.c.food_id)
    )
    by_recipe: dict[uuid.UUID, list[tuple[uuid.UUID, float, int | None]]] = defaultdict(list)
    for recipe_id, food_id, grams, price in rows:
        by_recipe[recipe_id].append((food_id, float(grams), price))
    return {rid: cost_of(by_recipe.get(rid, [])) for rid in ids}


def recipe_visibility(principal: Principal) -> ColumnElement[bool]:
    """SQL restricting recipes to those the caller may read: national ones and those of
    kitchens in the caller's scope."""
    if principal.role is Role.admin:
        return true()
    kitchens_in_scope = select(Kitchen.id).where(scope_filter(principal))
    return or_(col(Recipe.kitchen_id).is_(None), col(Recipe.kitchen_id).in_(kitchens_in_scope))


async def recipe_tag(
    session: AsyncSession, recipe: Recipe, _: Any = None, *, pricing: Pricing | None = None
) -> str:
    """A recipe's ETag: its version, the reference data's (its foods' nutrients, national
    and regional prices), and what its cost is priced at: the day, and the kitchen's data
    version for a kitchen's own prices. Without `pricing`: national prices today."""
    pricing = pricing or Pricing.national_today()
    kitchen = pricing.kitchen
    return version_tag(
        "recipes",
        recipe.id,
        recipe.version,
        await reference_version(session),
        pricing.day,
        kitchen.id if kitchen is not None else None,
        kitchen.data_version if kitchen is not None else None,
    )


# ---- what menus ask of recipes ---------------------------------------------------------------


def _usable_by(kitchen_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(col(Recipe.kitchen_id).is_(None), col(Recipe.kitchen_id) == kitchen_id)


async def unavailable_recipes(
    session: AsyncSession, *, kitchen_id: uuid.UUID, recipe_ids: Collection[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids a menu of `kitchen_id` may not use: unknown, or another kitchen's recipe.

    The usable ones stay share-locked until the transaction ends, so none of them can be
    deleted between this check and the menu's items being written.
    """
    wanted = set(recipe_ids)
    if not wanted:
        return []
    stmt = (
        select(Recipe.id)
        .where(col(Recipe.id).in_(wanted), _usable_by(kitchen_id))
        .order_by(col(Recipe.id))
        .with_for_update(read=True)
    )
    usable = (await session.exec(stmt)).all()
    return sorted(wanted - set(usable), key=str)


async def lock_recipes(session: AsyncSession, recipe_ids: Collection[uuid.UUID]) -> None:
    """Lock recipes for the transaction, in id order: their ingredients cannot change
    until it ends (a menu's approval records the nutrients they give now)."""
    if recipe_ids:
        stmt = (
            select(Recipe.id)
            .where(col(Recipe.id).in_(set(recipe_ids)))
            .order_by(col(Recipe.id))
            .with_for_update()
        )
        await session.exec(stmt)


async def mark_in_approved_menu(session: AsyncSession, recipe_ids: Collection[uuid.UUID]) -> None:
    """Record that an approved menu uses these recipes: from now on they may not change.

    Not a change of what the recipes say, so their versions (and ETags) stay.
    """
    if recipe_ids:
        await session.execute(
            update(Recipe)
            .where(col(Recipe.id).in_(set(recipe_ids)), col(Recipe.in_approved_menu).is_(False))
            .values(in_approved_menu=True)
            .execution_options(synchronize_session=False)
        )


# ---- reading -------------------------------------------------------------------------------


async def _ingredients_of(
    session: AsyncSession, recipe_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[IngredientPublic]]:
    result: dict[uuid.UUID, list[IngredientPublic]] = defaultdict(list)
    if not recipe_ids:
        return result
    rows = await session.exec(
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


async def to_public_many(
    session: AsyncSession, recipes: Sequence[Recipe], *, pricing: Pricing | None = None
) -> list[RecipePublic]:
    """The API shape of many recipes, costed at `pricing` (default: national prices today):
    four queries, whatever their number."""
    ids = [r.id for r in recipes]
    pricing = pricing or Pricing.national_today()
    nutrition = await nutrition_of_recipes(session, recipe_ids=ids)
    ingredients = await _ingredients_of(session, ids)
    costs = await costs_of_recipes(session, recipe_ids=ids, pricing=pricing)
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
            allergens_unassessed_foods=nutrition[r.id].allergens_unassessed_foods,
            cost_per_portion=_rupiah(costs[r.id].cost_per_portion),
            missing_prices=costs[r.id].missing_prices,
            priced_on=pricing.day,
            priced_for_kitchen_id=pricing.kitchen_id,
        )
        for r in recipes
    ]


def _rupiah(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


async def to_public(
    session: AsyncSession, recipe: Recipe, *, pricing: Pricing | None = None
) -> RecipePublic:
    """The API shape of one recipe."""
    return (await to_public_many(session, [recipe], pricing=pricing))[0]


async def pricing_for(
    session: AsyncSession, *, principal: Principal, kitchen_id: uuid.UUID | None, day: date | None
) -> Pricing:
    """The pricing a reader asks for: a kitchen's prices (404 outside the caller's scope) on
    `day` (default: the kitchen's today), or national prices (default: today in WIB)."""
    if kitchen_id is None:
        return Pricing(kitchen=None, day=day or local_today(NATIONAL_TIMEZONE))
    kitchen = await _visible_kitchen(session, principal, kitchen_id)
    return Pricing(kitchen=kitchen, day=day or local_today(kitchen.timezone))


async def _visible_kitchen(
    session: AsyncSession, principal: Principal, kitchen_id: uuid.UUID
) -> Kitchen:
    kitchen = await session.get(Kitchen, kitchen_id)
    if kitchen is None or not visible(principal, kitchen):
        raise NotFound("Kitchen")
    return kitchen


async def list_recipes(
    session: AsyncSession,
    *,
    principal: Principal,
    kitchen_id: uuid.UUID | None,
    day: date | None,
    search: str | None,
    page: PageParams,
) -> tuple[list[RecipePublic], str | None]:
    """Recipes the caller may read; with `kitchen_id`, only that kitchen's own (404 when
    the kitchen is outside the caller's scope), costed at its prices on `day`."""
    stmt = select(Recipe).where(recipe_visibility(principal))
    pricing = await pricing_for(session, principal=principal, kitchen_id=kitchen_id, day=day)
    if kitchen_id is not None:
        stmt = stmt.where(Recipe.kitchen_id == kitchen_id)
    if search:
        stmt = stmt.where(col(Recipe.name).icontains(search, autoescape=True))
    rows, cursor = await paginate(session, stmt, Recipe, page)
    return await to_public_many(session, rows, pricing=pricing), cursor


# ---- writing -------------------------------------------------------------------------------


async def _ensure_foods_exist(session: AsyncSession, ingredients: Sequence[IngredientIn]) -> None:
    wanted = {i.food_id for i in ingredients}
    found = set((await session.exec(select(Food.id).where(col(Food.id).in_(wanted)))).all())
    for index, ingredient in enumerate(ingredients):
        if ingredient.food_id not in found:
            raise UnknownFood(
                f"Food {ingredient.food_id} does not exist",
                loc=["body", "ingredients", index, "food_id"],
            )


async def _replace_ingredients(
    session: AsyncSession, recipe_id: uuid.UUID, ingredients: Sequence[IngredientIn]
) -> None:
    await session.exec(delete(RecipeIngredient).where(col(RecipeIngredient.recipe_id) == recipe_id))
    for position, ingredient in enumerate(ingredients):
        session.add(
            RecipeIngredient(
                recipe_id=recipe_id,
                food_id=ingredient.food_id,
                grams=ingredient.grams,
                position=position,
            )
        )


async def create_recipe(
    session: AsyncSession, *, principal: Principal, data: RecipeCreate
) -> Recipe:
    """A new recipe: national (admin only) or of a kitchen in the caller's care."""
    if data.kitchen_id is None:
        if principal.role is not Role.admin:
            raise NationalRecipeForbidden()
    else:
        kitchen = await _visible_kitchen(session, principal, data.kitchen_id)
        await touch_kitchen(session, kitchen)
    await _ensure_foods_exist(session, data.ingredients)
    recipe = Recipe(kitchen_id=data.kitchen_id, name=data.name, category=data.category.value)
    session.add(recipe)
    await session.flush()
    await _replace_ingredients(session, recipe.id, data.ingredients)
    await session.flush()
    if recipe.kitchen_id is None:
        # Last, after the foods' rows were key-locked by the ingredients: the same order
        # as a food's own edit (food, then the reference version), so the two never deadlock.
        await touch_reference(session)
    return recipe


async def update_recipe(session: AsyncSession, *, recipe: Recipe, data: RecipeUpdate) -> Recipe:
    """Apply the fields sent; 409 `recipe_in_use` once an approved menu uses the recipe.

    The recipe's row is locked by the route's loader, so an approval that is marking it
    has either finished (and this sees the mark) or waits for this edit to end.
    """
    changes = data.model_dump(exclude_unset=True, exclude={"ingredients", "kitchen_id"})
    if "kitchen_id" in data.model_fields_set and data.kitchen_id != recipe.kitchen_id:
        raise RecipeKitchenFixed(
            "A recipe cannot move to another kitchen; create a new one there",
            loc=["body", "kitchen_id"],
        )
    if recipe.in_approved_menu:
        raise RecipeInUse(
            "An approved menu uses this recipe; copy it under a new name to change it"
        )
    for name, value in changes.items():
        setattr(recipe, name, str(value))
    if data.ingredients is not None:
        await _ensure_foods_exist(session, data.ingredients)
        await _replace_ingredients(session, recipe.id, data.ingredients)
        # Ingredients live in their own table; touch the recipe so its version moves.
        recipe.updated_at = utcnow()
    session.add(recipe)
    await session.flush()
    if recipe.kitchen_id is None:
        await touch_reference(session)
    return recipe


async def delete_recipe(session: AsyncSession, *, recipe: Recipe) -> None:
    """Delete a recipe no menu uses; 409 `recipe_in_use` otherwise (menus keep history)."""
    national = recipe.kitchen_id is None
    await session.delete(recipe)
    try:
        await session.flush()
    except IntegrityError as exc:  # a menu's item references it
        raise RecipeInUse("A menu uses this recipe; remove it from the menu first") from exc
    if national:
        await touch_reference(session)
