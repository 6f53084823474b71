"""Menus, their nutrition check (docs/menus.md) and their approval."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal
from app.core.conditional import version_tag
from app.core.errors import Conflict, Invalid
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.core.versions import reference_version
from app.foods.models import HalalStatus
from app.kitchens.models import Kitchen, budget_for
from app.kitchens.oversight import ensure_active
from app.menus import queries
from app.menus.models import (
    CheckStatus,
    CostStatus,
    GroupCheck,
    GroupCost,
    Menu,
    MenuApprove,
    MenuCreate,
    MenuItem,
    MenuItemIn,
    MenuItemPublic,
    MenuPortionFactor,
    MenuPublic,
    MenuStatus,
    MenuUpdate,
    NutrientCheck,
    NutrientStatus,
    NutritionCheck,
    PriceUsed,
)
from app.nutrition.models import NUTRIENTS, MealShare, MealType, NutritionTarget, TargetGroup
from app.nutrition.service import rules_by_meal_type, targets_by_code
from app.recipes.models import Recipe
from app.recipes.queries import ingredient_foods
from app.recipes.service import (
    RecipeCost,
    RecipeNutrition,
    cost_of,
    lock_recipes,
    mark_in_approved_menu,
    nutrition_of_recipes,
    unavailable_recipes,
)
from app.schools.models import School, SchoolEnrolment

# Shares are shown, and judged, at this precision: a share equal to a bound is within it.
SHARE_DECIMALS = 4
VALUE_DECIMALS = 2
_GROUP_ORDER = {g.value: i for i, g in enumerate(TargetGroup)}


class MenuExists(Conflict):
    code = "menu_exists"
    description = (
        "The kitchen already has a menu of this meal type on this date (`menu_id` names it)"
    )


class MenuLocked(Conflict):
    code = "menu_locked"
    description = "The menu is approved and can no longer change"


class NutritionCheckFailed(Conflict):
    code = "nutrition_check_failed"
    description = (
        "The nutrition check fails (`failing_groups` names the groups); approve with an "
        "override_reason to serve it anyway"
    )


class RecipeNotAvailable(Invalid):
    code = "recipe_not_available"
    description = "A recipe is neither national nor the kitchen's own"


class NotHalal(Conflict):
    code = "not_halal"
    description = (
        "The kitchen requires halal food and the menu would contain a food that is not "
        "halal (`foods` names them)"
    )


class OverBudget(Conflict):
    code = "over_budget"
    description = (
        "A portion costs more than the kitchen's budget for a group (`over_budget_groups` "
        "names them); approve with an override_reason to serve it anyway"
    )


async def menu_tag(session: AsyncSession, menu: Menu, kitchen: Kitchen | None = None) -> str:
    """A menu's ETag: its version, its kitchen's data version (recipe names, enrolment) and
    the reference data's (national recipes, foods, targets and rules)."""
    if kitchen is None:
        # Loaded with the menu by its loader: the session's identity map holds it.
        kitchen = await session.get(Kitchen, menu.kitchen_id)
    data_version = kitchen.data_version if kitchen is not None else None
    return version_tag(
        "menus", menu.id, menu.version, data_version, await reference_version(session)
    )


# ---- reading -------------------------------------------------------------------------------


# Built once (construction costs more than execution): read on every menu and day view.
# Columns, not objects.
_ITEM_ROWS = (
    select(MenuItem.menu_id, MenuItem.recipe_id, MenuItem.servings, Recipe.name)
    .join(Recipe, col(Recipe.id) == col(MenuItem.recipe_id))
    .where(col(MenuItem.menu_id).in_(bindparam("menu_ids", expanding=True)))
    .order_by(col(MenuItem.menu_id), col(MenuItem.position))
)
_FACTOR_ROWS = select(
    MenuPortionFactor.menu_id, MenuPortionFactor.target_group, MenuPortionFactor.factor
).where(col(MenuPortionFactor.menu_id).in_(bindparam("menu_ids", expanding=True)))


@dataclass
class MenuFoods:
    """What a menu's representation says of its foods: the union of their allergens, the
    foods not assessed for allergens, and the foods of unknown halal status."""

    allergens: set[str] = field(default_factory=set)
    unassessed: set[uuid.UUID] = field(default_factory=set)
    halal_unknown: set[uuid.UUID] = field(default_factory=set)


async def _foods_of(session: AsyncSession, menu_ids: list[uuid.UUID]) -> dict[uuid.UUID, MenuFoods]:
    foods: dict[uuid.UUID, MenuFoods] = defaultdict(MenuFoods)
    for menu_id, food_id, halal, allergens in await session.execute(
        queries.MENU_FOODS, {"menu_ids": menu_ids}
    ):
        menu = foods[menu_id]
        if allergens is None:
            menu.unassessed.add(food_id)
        else:
            menu.allergens.update(allergens)
        if halal == HalalStatus.unknown:
            menu.halal_unknown.add(food_id)
    return foods


def _ids(found: set[uuid.UUID]) -> list[uuid.UUID]:
    return sorted(found, key=str)


async def to_public_many(session: AsyncSession, menus: Sequence[Menu]) -> list[MenuPublic]:
    """The API shape of many menus: three queries, whatever their number."""
    ids = {"menu_ids": [m.id for m in menus]}
    items: dict[uuid.UUID, list[MenuItemPublic]] = defaultdict(list)
    factors: dict[uuid.UUID, dict[str, float]] = defaultdict(dict)
    foods: dict[uuid.UUID, MenuFoods] = {}
    if menus:
        for menu_id, recipe_id, servings, name in await session.execute(_ITEM_ROWS, ids):
            items[menu_id].append(
                MenuItemPublic(recipe_id=recipe_id, recipe_name=name, servings=servings)
            )
        for menu_id, group, factor in await session.execute(_FACTOR_ROWS, ids):
            factors[menu_id][group] = factor
        foods = await _foods_of(session, ids["menu_ids"])
    none = MenuFoods()
    return [
        MenuPublic(
            id=m.id,
            kitchen_id=m.kitchen_id,
            service_date=m.service_date,
            meal_type=MealType(m.meal_type),
            status=MenuStatus(m.status),
            items=items.get(m.id, []),
            portion_factors=dict(sorted(factors.get(m.id, {}).items(), key=_group_key)),
            allergens=sorted(foods.get(m.id, none).allergens),
            allergens_unassessed_foods=_ids(foods.get(m.id, none).unassessed),
            halal_unknown_foods=_ids(foods.get(m.id, none).halal_unknown),
            approved_by=m.approved_by,
            approved_by_name=m.approved_by_name,
            approved_at=m.approved_at,
            override_reason=m.override_reason,
            nutrition_check=(
                NutritionCheck.model_validate(m.approval_check) if m.approval_check else None
            ),
            created_at=m.created_at,
            updated_at=m.updated_at,
        )
        for m in menus
    ]


async def to_public(session: AsyncSession, menu: Menu) -> MenuPublic:
    """The API shape of one menu."""
    return (await to_public_many(session, [menu]))[0]


async def list_menus(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    date_from: date | None,
    date_to: date | None,
    status: MenuStatus | None,
    page: PageParams,
) -> tuple[list[MenuPublic], str | None]:
    """A page of the kitchen's menus, optionally within service dates and of one status."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("`from` is after `to`", loc=["query", "from"])
    stmt = select(Menu).where(Menu.kitchen_id == kitchen.id)
    if date_from:
        stmt = stmt.where(Menu.service_date >= date_from)
    if date_to:
        stmt = stmt.where(Menu.service_date <= date_to)
    if status:
        stmt = stmt.where(Menu.status == status.value)
    rows, cursor = await paginate(session, stmt, Menu, page)
    return await to_public_many(session, rows), cursor


# ---- the nutrition check -------------------------------------------------------------------


def _group_order(group: str) -> int:
    return _GROUP_ORDER.get(group, len(_GROUP_ORDER))


def _group_key(item: tuple[str, float]) -> int:
    return _group_order(item[0])


async def _enrolled_groups(
    session: AsyncSession, kitchen_ids: set[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    """Per kitchen, the groups with enrolment > 0 in any of its schools (one query)."""
    result: dict[uuid.UUID, set[str]] = defaultdict(set)
    rows = await session.exec(
        select(School.kitchen_id, SchoolEnrolment.target_group)
        .join(School, col(School.id) == col(SchoolEnrolment.school_id))
        .where(col(School.kitchen_id).in_(kitchen_ids), col(SchoolEnrolment.count) > 0)
        .distinct()
    )
    for kitchen_id, group in rows:
        result[kitchen_id].add(group)
    return result


def _nutrient_status(nutrient: str, share: float | None, low: float, high: float) -> NutrientStatus:
    """§6: energy low/high/ok; sodium only high; the rest only low. Bounds themselves are ok."""
    if share is None:
        return NutrientStatus.unknown
    if nutrient != "sodium_mg" and share < low:
        return NutrientStatus.low
    if nutrient in ("energy_kcal", "sodium_mg") and share > high:
        return NutrientStatus.high
    return NutrientStatus.ok


def group_check(
    group: str,
    factor: float,
    per_portion: dict[str, float],
    target: NutritionTarget | None,
    low: float,
    high: float,
) -> GroupCheck:
    """One target group's check (pure arithmetic): a standard portion's nutrients scaled by
    the group's factor, against its daily target and the meal type's share bounds."""
    nutrients: dict[str, NutrientCheck] = {}
    for n in NUTRIENTS:
        value = per_portion[n] * factor
        daily: float | None = getattr(target, n) if target is not None else None
        share = round(value / daily, SHARE_DECIMALS) if daily else None
        nutrients[n] = NutrientCheck(
            value=round(value, VALUE_DECIMALS),
            target=daily,
            share=share,
            status=_nutrient_status(n, share, low, high),
        )
    passed = (
        nutrients["energy_kcal"].status is NutrientStatus.ok
        and nutrients["protein_g"].status is not NutrientStatus.low
    )
    return GroupCheck(
        target_group=group,
        factor=factor,
        status=CheckStatus.passed if passed else CheckStatus.failed,
        nutrients=nutrients,
    )


async def compute_checks(
    session: AsyncSession, *, menus: Sequence[Menu], costs: bool = True
) -> dict[uuid.UUID, NutritionCheck]:
    """The live check of many menus from current recipes, foods, targets and, with `costs`,
    prices, budgets and portions: a fixed number of queries, whatever the number of menus,
    items and ingredients."""
    if not menus:
        return {}
    ids = [m.id for m in menus]
    items = (await session.exec(select(MenuItem).where(col(MenuItem.menu_id).in_(ids)))).all()
    factors: dict[uuid.UUID, dict[str, float]] = defaultdict(dict)
    factor_rows = await session.exec(
        select(MenuPortionFactor).where(col(MenuPortionFactor.menu_id).in_(ids))
    )
    for f in factor_rows:
        factors[f.menu_id][f.target_group] = f.factor
    nutrition = await nutrition_of_recipes(session, recipe_ids={i.recipe_id for i in items})
    targets = await targets_by_code(session)
    rules = await rules_by_meal_type(session)
    spend: dict[uuid.UUID, MenuSpend] = {}
    if costs:
        # The statement that reads the days' portions reads the enrolled groups too.
        spend, enrolled = await _menu_costs(session, menus)
    else:
        enrolled = await _enrolled_groups(session, {m.kitchen_id for m in menus})

    servings: dict[uuid.UUID, list[tuple[uuid.UUID, float]]] = defaultdict(list)
    for item in items:
        servings[item.menu_id].append((item.recipe_id, item.servings))
    now = utcnow()
    return {
        m.id: check_of(
            menu_id=m.id,
            meal_type=m.meal_type,
            items=servings.get(m.id, []),
            factors=factors.get(m.id, {}),
            enrolled=enrolled.get(m.kitchen_id, set()),
            nutrition=nutrition,
            targets=targets,
            rule=rules[m.meal_type],
            spend=spend.get(m.id),
            computed_at=now,
        )
        for m in menus
    }


def check_of(
    *,
    menu_id: uuid.UUID,
    meal_type: str,
    items: Sequence[tuple[uuid.UUID, float]],
    factors: dict[str, float],
    enrolled: set[str],
    nutrition: Mapping[uuid.UUID, RecipeNutrition],
    targets: Mapping[str, NutritionTarget],
    rule: MealShare,
    spend: "MenuSpend | None",
    computed_at: datetime,
) -> NutritionCheck:
    """One menu's check from what it is made of (pure arithmetic): its (recipe, servings)
    items, its factors, the kitchen's enrolled groups, the recipes' nutrition, the targets,
    the meal rule and, with `spend`, its costs. `compute_checks` reads these for stored
    menus; the menu planner (app/planning) calls it for menus it has not written."""
    per_portion = dict.fromkeys(NUTRIENTS, 0.0)
    incomplete: set[str] = set()
    for recipe_id, count in items:
        recipe = nutrition[recipe_id]
        for n in NUTRIENTS:
            per_portion[n] += count * recipe.nutrients[n]
        incomplete.update(recipe.incomplete_nutrients)
    groups = sorted(enrolled | factors.keys(), key=_group_order)
    group_checks = [
        group_check(
            g, factors.get(g, 1.0), per_portion, targets.get(g), rule.min_share, rule.max_share
        )
        for g in groups
    ]
    passed = bool(group_checks) and all(g.status is CheckStatus.passed for g in group_checks)
    check = NutritionCheck(
        menu_id=menu_id,
        meal_type=MealType(meal_type),
        min_share=rule.min_share,
        max_share=rule.max_share,
        overall=CheckStatus.passed if passed else CheckStatus.failed,
        groups=group_checks,
        incomplete_nutrients=[n for n in NUTRIENTS if n in incomplete],
        computed_at=computed_at,
    )
    if spend is not None:
        spend.apply(check, factors)
    return check


@dataclass
class MenuSpend:
    """What a menu costs to buy: one standard portion at the prices that apply to its
    kitchen and date, the kitchen's budgets and the day's portions per group."""

    standard: RecipeCost
    prices: list[PriceUsed]
    budget_per_portion: dict[str, int]
    portions: dict[str, int]

    def apply(self, check: NutritionCheck, factors: dict[str, float]) -> None:
        """Fill in each group's cost against its budget, and the cost of the day (§13)."""
        standard = self.standard.cost_per_portion
        for group in check.groups:
            cost = None if standard is None else round(group.factor * standard, VALUE_DECIMALS)
            budget = budget_for(self.budget_per_portion, group.target_group)
            if cost is None:
                status = CostStatus.unknown
            else:
                status = CostStatus.over_budget if cost > budget else CostStatus.ok
            group.cost = GroupCost.model_construct(
                cost_per_portion=cost,
                budget=budget,
                status=status,
                portions=self.portions.get(group.target_group, 0),
            )
        if standard is not None:
            # Every group with portions on the day, each at its own factor, as ingredient
            # demand counts them.
            day = sum(n * factors.get(g, 1.0) * standard for g, n in self.portions.items())
            check.cost_per_day = round(day, VALUE_DECIMALS)
        check.missing_prices = self.standard.missing_prices
        check.prices = self.prices


async def _menu_costs(
    session: AsyncSession, menus: Sequence[Menu]
) -> tuple[dict[uuid.UUID, MenuSpend], dict[uuid.UUID, set[str]]]:
    """Standard-portion cost, prices, budgets and portions of many menus, and per kitchen
    the groups with enrolment > 0 (as `_enrolled_groups` finds them): two queries."""
    params = {"menu_ids": [m.id for m in menus]}
    lines: dict[uuid.UUID, list[tuple[uuid.UUID, float, int | None]]] = defaultdict(list)
    used: dict[uuid.UUID, list[PriceUsed]] = defaultdict(list)
    for menu_id, food_id, grams, price, source, valid_from in await session.execute(
        queries.PRICED_PURCHASES, params
    ):
        lines[menu_id].append((food_id, float(grams), price))
        if price is not None:
            used[menu_id].append(
                PriceUsed.model_construct(
                    food_id=food_id, price_per_kg=price, source=source, valid_from=valid_from
                )
            )
    budgets: dict[uuid.UUID, dict[str, int]] = {}
    portions: dict[tuple[uuid.UUID, date], dict[str, int]] = defaultdict(dict)
    enrolled: dict[uuid.UUID, set[str]] = defaultdict(set)
    for kitchen_id, day, budget, group, count, pupils in await session.execute(
        queries.MENU_DAYS, params
    ):
        budgets[kitchen_id] = budget or {}
        if group is not None:
            portions[(kitchen_id, day)][group] = int(count or 0)
            if pupils:
                enrolled[kitchen_id].add(group)
    spend = {
        m.id: MenuSpend(
            standard=cost_of(lines.get(m.id, [])),
            prices=sorted(used.get(m.id, []), key=lambda p: p.food_id),
            budget_per_portion=budgets.get(m.kitchen_id, {}),
            portions=portions.get((m.kitchen_id, m.service_date), {}),
        )
        for m in menus
    }
    return spend, enrolled


async def nutrition_check(session: AsyncSession, *, menu: Menu) -> NutritionCheck:
    """An approved menu's check as approved; a draft's computed afresh."""
    if menu.status == MenuStatus.approved and menu.approval_check:
        return NutritionCheck.model_validate(menu.approval_check)
    return (await compute_checks(session, menus=[menu]))[menu.id]


# ---- writing -------------------------------------------------------------------------------
# Every write reaches the menu through a loader that has locked its kitchen's row (and, for
# an existing menu, the menu's row first), so writes to one kitchen's menus take turns.


async def _ensure_recipes_available(
    session: AsyncSession, kitchen_id: uuid.UUID, items: Sequence[MenuItemIn]
) -> None:
    """422 unless every recipe is national or the kitchen's own; the usable ones stay
    share-locked, so a concurrent delete either went first (and they are missing here) or
    waits and then meets the menu's items (409 `recipe_in_use`)."""
    bad = set(
        await unavailable_recipes(
            session, kitchen_id=kitchen_id, recipe_ids=[i.recipe_id for i in items]
        )
    )
    if bad:
        raise RecipeNotAvailable(
            "A recipe is neither national nor this kitchen's own",
            errors=[
                {"loc": ["body", "items", i, "recipe_id"], "msg": "recipe not available here"}
                for i, item in enumerate(items)
                if item.recipe_id in bad
            ],
        )


async def _ensure_halal(
    session: AsyncSession, kitchen: Kitchen, recipe_ids: Collection[uuid.UUID]
) -> None:
    """409 `not_halal` when the kitchen requires halal food and a recipe holds a food that
    is `not_halal` (or a cooked food whose raw food is). Foods of unknown status pass."""
    if not kitchen.halal_required or not recipe_ids:
        return
    foods = ingredient_foods().subquery("recipe_foods")
    found = (
        await session.execute(
            select(foods.c.food_id)
            .where(
                foods.c.recipe_id.in_(set(recipe_ids)),
                foods.c.halal == HalalStatus.not_halal.value,
            )
            .distinct()
        )
    ).scalars()
    bad = sorted({str(f) for f in found})
    if bad:
        raise NotHalal(
            f"Kitchen {kitchen.code} requires halal food; the menu would contain "
            f"{len(bad)} food(s) that are not halal",
            extra={"foods": bad},
        )


def _menu_exists(service_date: date, meal_type: str, menu_id: uuid.UUID | None) -> MenuExists:
    return MenuExists(
        f"The kitchen already has a {meal_type} menu on {service_date.isoformat()}",
        extra={"menu_id": str(menu_id)} if menu_id is not None else None,
    )


async def _ensure_slot_free(
    session: AsyncSession,
    kitchen_id: uuid.UUID,
    service_date: date,
    meal_type: str,
    *,
    exclude: uuid.UUID | None = None,
) -> None:
    stmt = select(Menu.id).where(
        Menu.kitchen_id == kitchen_id,
        Menu.service_date == service_date,
        Menu.meal_type == meal_type,
    )
    other = (await session.exec(stmt)).first()
    if other is not None and other != exclude:
        raise _menu_exists(service_date, meal_type, other)


async def _flush_menu(session: AsyncSession, menu: Menu) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        # The unique (kitchen, date, meal type): unreachable while the kitchen's row lock
        # orders the writes, kept so a writer that skips it still gets the right answer.
        raise _menu_exists(menu.service_date, menu.meal_type, None) from exc


async def _replace_items(
    session: AsyncSession, menu_id: uuid.UUID, items: Sequence[MenuItemIn]
) -> None:
    await session.exec(delete(MenuItem).where(col(MenuItem.menu_id) == menu_id))
    for position, item in enumerate(items):
        session.add(
            MenuItem(
                menu_id=menu_id, recipe_id=item.recipe_id, servings=item.servings, position=position
            )
        )


async def _replace_factors(
    session: AsyncSession, menu_id: uuid.UUID, factors: dict[TargetGroup, float]
) -> None:
    await session.exec(delete(MenuPortionFactor).where(col(MenuPortionFactor.menu_id) == menu_id))
    for group, factor in factors.items():
        session.add(MenuPortionFactor(menu_id=menu_id, target_group=group.value, factor=factor))


async def create_menu(session: AsyncSession, *, kitchen: Kitchen, data: MenuCreate) -> MenuPublic:
    """A draft menu for one kitchen, date and meal type, of recipes it may use; refused
    while the kitchen is suspended."""
    ensure_active(kitchen)
    await _ensure_recipes_available(session, kitchen.id, data.items)
    await _ensure_halal(session, kitchen, {i.recipe_id for i in data.items})
    await _ensure_slot_free(session, kitchen.id, data.service_date, data.meal_type.value)
    menu = Menu(
        kitchen_id=kitchen.id, service_date=data.service_date, meal_type=data.meal_type.value
    )
    session.add(menu)
    await _flush_menu(session, menu)
    await _replace_items(session, menu.id, data.items)
    await _replace_factors(session, menu.id, data.portion_factors)
    await session.flush()
    return await to_public(session, menu)


def _ensure_draft(menu: Menu) -> None:
    """409 `menu_locked` once approved (the menu's row is locked by its loader, so an edit
    and an approval of one menu take turns)."""
    if menu.status == MenuStatus.approved:
        raise MenuLocked("The menu is approved and can no longer change")


async def update_menu(session: AsyncSession, *, menu: Menu, data: MenuUpdate) -> MenuPublic:
    """Change a draft; `items` and `portion_factors` replace what the menu had."""
    _ensure_draft(menu)
    if data.items is not None:
        await _ensure_recipes_available(session, menu.kitchen_id, data.items)
        await _ensure_halal(
            session, await _kitchen_of(session, menu), {i.recipe_id for i in data.items}
        )
    service_date = data.service_date or menu.service_date
    meal_type = data.meal_type.value if data.meal_type else menu.meal_type
    if (service_date, meal_type) != (menu.service_date, menu.meal_type):
        await _ensure_slot_free(session, menu.kitchen_id, service_date, meal_type, exclude=menu.id)
        menu.service_date, menu.meal_type = service_date, meal_type
    if data.items is not None:
        await _replace_items(session, menu.id, data.items)
    if data.portion_factors is not None:
        await _replace_factors(session, menu.id, data.portion_factors)
    # Items and factors live in their own tables; touch the menu so its version moves.
    menu.updated_at = utcnow()
    session.add(menu)
    await _flush_menu(session, menu)
    return await to_public(session, menu)


async def _kitchen_of(session: AsyncSession, menu: Menu) -> Kitchen:
    """The menu's kitchen (its loader read it with the menu: no query)."""
    kitchen = await session.get(Kitchen, menu.kitchen_id)
    assert kitchen is not None  # the foreign key keeps it
    return kitchen


async def delete_menu(session: AsyncSession, *, menu: Menu) -> None:
    """Delete a draft (its items and factors go with it)."""
    _ensure_draft(menu)
    await session.delete(menu)
    await session.flush()


async def approve_menu(
    session: AsyncSession, *, menu: Menu, principal: Principal, data: MenuApprove
) -> MenuPublic:
    """Approve a draft, recording who, when, the check as it stands (with its costs and
    the prices they use, which the approved menu keeps) and any override.

    The menu's recipes are locked before the check is computed and marked as used by an
    approved menu before the lock ends: an edit of their ingredients either went first
    (and the check sees it) or waits and is then refused (409 `recipe_in_use`).
    """
    kitchen = await session.get(Kitchen, menu.kitchen_id)  # locked with the menu by its loader
    if kitchen is not None:
        ensure_active(kitchen)
    _ensure_draft(menu)
    recipe_ids = set(
        (await session.exec(select(MenuItem.recipe_id).where(MenuItem.menu_id == menu.id))).all()
    )
    await lock_recipes(session, recipe_ids)
    await _ensure_halal(session, await _kitchen_of(session, menu), recipe_ids)
    check = (await compute_checks(session, menus=[menu]))[menu.id]
    if check.overall is CheckStatus.failed and data.override_reason is None:
        failing = [g.target_group for g in check.groups if g.status is CheckStatus.failed]
        why = f"groups {', '.join(failing)} fail" if failing else "no target group to check"
        raise NutritionCheckFailed(
            f"The nutrition check fails ({why}); approve with an override_reason of at least "
            "10 characters to serve it anyway",
            extra={"failing_groups": failing},
        )
    over = [
        g.target_group
        for g in check.groups
        if g.cost is not None and g.cost.status is CostStatus.over_budget
    ]
    if over and data.override_reason is None:
        raise OverBudget(
            f"A portion costs more than the budget for groups {', '.join(over)}; approve with "
            "an override_reason of at least 10 characters to serve it anyway",
            extra={"over_budget_groups": over},
        )
    menu.status = MenuStatus.approved.value
    menu.approved_by = principal.id
    menu.approved_by_name = principal.name
    menu.approved_at = check.computed_at
    menu.approval_check = check.model_dump(mode="json")
    menu.override_reason = data.override_reason
    session.add(menu)
    await mark_in_approved_menu(session, recipe_ids)
    await session.flush()
    return await to_public(session, menu)
