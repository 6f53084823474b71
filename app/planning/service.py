"""A kitchen's menu plan: its data gathered, the solver run off the event loop, the answer
checked as the menus check themselves, and, on request, the plan written as draft menus.

The solver (`plan_menus`, app/planning/solver.py) is pure and CPU-bound. This module reads
everything it needs in a fixed number of statements (recipes, nutrients, halal status,
purchases, each day's prices and portions, enrolment, targets, rules), runs it in a worker
thread under a process-wide limit of concurrent plans and a time limit, and builds each
planned day's nutrition check with the menus' own arithmetic (`check_of`).

Prices are those of each day's own date: when a price changes within the range, the days
before and after the change are costed apart, and the solver plans them together (the
repeat limit spans the range). Portions per day are those ingredient demand counts.
"""

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import anyio
import anyio.to_thread
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.akg import GROUP_ORDER
from app.core.errors import DomainError, Invalid
from app.core.types import utcnow
from app.kitchens.access import touch_kitchen
from app.kitchens.models import Kitchen, budget_for
from app.kitchens.oversight import ensure_active
from app.menus import service as menus
from app.menus.models import Menu, MenuCreate, MenuItemIn, NutritionCheck, PriceUsed
from app.menus.service import MenuExists, MenuSpend, RecipeNotAvailable
from app.nutrition.models import NUTRIENTS, MealShare, NutritionTarget, TargetGroup
from app.nutrition.service import rules_by_meal_type, targets_by_code
from app.planning import queries
from app.planning.model import (
    CandidateRecipe,
    DayTerms,
    GroupNeed,
    MealRule,
    PlannedDay,
    PlanProblem,
    PlanResult,
    PlanStatus,
)
from app.planning.plates import PlanTooLarge
from app.planning.schemas import (
    MAX_RANGE_DAYS,
    MenuPlanPublic,
    MenuPlanRequest,
    PlannedCheck,
    PlannedDayPublic,
    PlannedItemPublic,
    SolverFigures,
)
from app.planning.solver import plan_menus
from app.recipes.service import RecipeNutrition, cost_of, nutrition_of_recipes, unavailable_recipes

# The solver stops here and answers `feasible` with the best plan found (or `infeasible`
# saying that nothing was proven). Four weeks of a typical kitchen take well under 5 s.
PLAN_TIME_LIMIT = 10.0
# Plans solved at once in this process (each takes a core), and how long a request waits
# for its turn before it is answered 503 `planner_busy`.
MAX_CONCURRENT_PLANS = 1
QUEUE_WAIT = 30.0
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_PLANS)
_POLL = 0.05
# A planned day not written as a menu has no menu id; the check is built with this one and
# answered with null.
_UNSAVED = uuid.UUID(int=0)


class PlanTooLargeError(Invalid):
    code = "plan_too_large"
    description = (
        "The recipes make more combinations than the planner considers at once; name fewer "
        "recipes (`recipe_ids`) or plan fewer days"
    )


class PlannerBusy(DomainError):
    status, code = 503, "planner_busy"
    description = "Other menu plans are being computed; retry after Retry-After"

    def __init__(self) -> None:
        super().__init__(
            "Other menu plans are being computed; try again shortly",
            headers={"Retry-After": "10"},
        )


# ---- the request's days ----------------------------------------------------------------------


def school_days(data: MenuPlanRequest) -> list[date]:
    """Monday to Saturday from `from` to `to`; 422 for a range backwards, too long or empty."""
    if data.date_to < data.date_from:
        raise Invalid("`to` is before `from`", loc=["body", "to"])
    span = (data.date_to - data.date_from).days + 1
    if span > MAX_RANGE_DAYS:
        raise Invalid(
            f"A plan covers at most {MAX_RANGE_DAYS} days; this range has {span}",
            loc=["body", "to"],
        )
    days = [data.date_from + timedelta(days=i) for i in range(span)]
    school = [d for d in days if d.weekday() < 6]
    if not school:
        raise Invalid("The range holds no school day (Monday to Saturday)", loc=["body", "from"])
    return school


# ---- what the solver is given ----------------------------------------------------------------


@dataclass
class _Recipe:
    name: str
    category: str


@dataclass
class Gathered:
    """The kitchen's data for the plan: the solver's problem and what the checks read."""

    problem: PlanProblem
    recipes: dict[uuid.UUID, _Recipe]
    nutrition: dict[uuid.UUID, RecipeNutrition]
    # Per recipe: (purchased food, grams bought for one standard portion).
    purchases: dict[uuid.UUID, list[tuple[uuid.UUID, float]]]
    # Per day and food: the price that applies.
    prices: dict[date, dict[uuid.UUID, PriceUsed]]
    portions: dict[date, dict[str, int]]
    enrolled: set[str]
    targets: dict[str, NutritionTarget]
    rule: MealShare
    notes: list[str] = field(default_factory=list)


async def _candidates(
    session: AsyncSession, kitchen: Kitchen, recipe_ids: Sequence[uuid.UUID] | None
) -> dict[uuid.UUID, _Recipe]:
    """The recipes to plan with: the kitchen's usable ones, or those asked for (422
    `recipe_not_available` naming any the kitchen may not use)."""
    if recipe_ids is not None:
        bad = set(await unavailable_recipes(session, kitchen_id=kitchen.id, recipe_ids=recipe_ids))
        if bad:
            raise RecipeNotAvailable(
                "A recipe is neither national nor this kitchen's own",
                errors=[
                    {"loc": ["body", "recipe_ids", i], "msg": "recipe not available here"}
                    for i, rid in enumerate(recipe_ids)
                    if rid in bad
                ],
            )
    stmt = queries.usable_recipes(kitchen.id)
    rows = await session.execute(stmt)
    wanted = set(recipe_ids) if recipe_ids is not None else None
    return {
        rid: _Recipe(name, category)
        for rid, name, category in rows
        if wanted is None or rid in wanted
    }


async def gather(
    session: AsyncSession, *, kitchen: Kitchen, data: MenuPlanRequest, days: Sequence[date]
) -> Gathered:
    """Everything the solver and the checks need, in a fixed number of statements."""
    recipes = await _candidates(session, kitchen, data.recipe_ids)
    ids = list(recipes)
    nutrition = await nutrition_of_recipes(session, recipe_ids=ids)
    forbidden: set[uuid.UUID] = set()
    if kitchen.halal_required and ids:
        forbidden = set((await session.execute(queries.not_halal_recipes(ids))).scalars())
    bought: dict[uuid.UUID, list[tuple[uuid.UUID, float]]] = defaultdict(list)
    prices: dict[date, dict[uuid.UUID, PriceUsed]] = defaultdict(dict)
    if ids:
        for rid, food_id, grams in await session.execute(queries.recipe_purchases(ids)):
            bought[rid].append((food_id, float(grams)))
        rows = await session.execute(queries.day_prices(kitchen.id, days, ids))
        for day, food_id, price, source, valid_from in rows:
            prices[_as_date(day)][food_id] = PriceUsed(
                food_id=food_id, price_per_kg=price, source=source, valid_from=valid_from
            )
    enrolment = {
        group: int(n or 0) for _, group, n in await session.execute(queries.enrolment(kitchen.id))
    }
    portions: dict[date, dict[str, int]] = {d: {} for d in days}
    for _, day, group, n in await session.execute(queries.day_portions(kitchen.id, days)):
        portions[_as_date(day)][group] = int(n or 0)
    targets = await targets_by_code(session)
    rule = (await rules_by_meal_type(session))[data.meal_type.value]

    enrolled = {g for g, n in enrolment.items() if n > 0}
    served = {g for by_group in portions.values() for g, n in by_group.items() if n > 0}
    groups = []
    for code in sorted(enrolled | served, key=lambda g: (GROUP_ORDER.get(g, len(GROUP_ORDER)), g)):
        target = targets.get(code)
        groups.append(
            GroupNeed(
                code=code,
                portions=enrolment.get(code, 0) or max(p.get(code, 0) for p in portions.values()),
                targets={n: getattr(target, n) for n in NUTRIENTS} if target else {},
                budget=float(budget_for(kitchen.budget_per_portion or {}, code)),
            )
        )
    terms = [
        DayTerms(
            days=[day],
            costs={rid: _standard_cost(bought.get(rid, []), prices.get(day, {})) for rid in ids},
            portions={g.code: portions[day].get(g.code, 0) for g in groups},
        )
        for day in days
    ]
    candidates = [
        CandidateRecipe(
            id=rid,
            name=r.name,
            category=r.category,
            nutrients=nutrition[rid].nutrients,
            cost=terms[0].costs[rid],
            allowed=rid not in forbidden,
        )
        for rid, r in recipes.items()
    ]
    problem = PlanProblem(
        days=list(days),
        rule=MealRule(rule.min_share, rule.max_share),
        groups=groups,
        recipes=candidates,
        max_repeats=data.max_repeats,
        terms=terms,
    )
    notes = []
    stretches = len({tuple(sorted(t.costs.items(), key=lambda i: str(i[0]))) for t in terms})
    if stretches > 1:
        notes.append(
            f"Prices change within the range: each day is costed at its own date's prices "
            f"({stretches} different sets of prices)."
        )
    return Gathered(
        problem=problem,
        recipes=recipes,
        nutrition=nutrition,
        purchases=dict(bought),
        prices=dict(prices),
        portions=portions,
        enrolled=enrolled,
        targets=targets,
        rule=rule,
        notes=notes,
    )


def _as_date(value: date | str) -> date:
    """A date column read through a union (SQLite hands it back as text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _standard_cost(
    lines: Sequence[tuple[uuid.UUID, float]], prices: dict[uuid.UUID, PriceUsed]
) -> float | None:
    """Rupiah for one standard portion at these prices; None when a food has no price."""
    priced = [(f, g, p.price_per_kg if (p := prices.get(f)) else None) for f, g in lines]
    return cost_of(priced).cost_per_portion


# ---- running the solver ----------------------------------------------------------------------


async def _take_slot() -> None:
    """Wait for a free planning slot, or 503 after QUEUE_WAIT."""
    deadline = time.monotonic() + QUEUE_WAIT
    while not _SLOTS.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise PlannerBusy()
        await anyio.sleep(_POLL)


async def solve(problem: PlanProblem, *, time_limit: float | None = None) -> PlanResult:
    """The solver's answer, computed in a worker thread under the process-wide limit of
    concurrent plans and the time limit (PLAN_TIME_LIMIT unless given); 422
    `plan_too_large` for too many recipe combinations."""
    time_limit = PLAN_TIME_LIMIT if time_limit is None else time_limit
    await _take_slot()
    try:
        # Not cancellable: the thread runs to its end (the time limit bounds it) and the
        # slot is given back only then.
        return await anyio.to_thread.run_sync(partial(plan_menus, problem, time_limit=time_limit))
    except PlanTooLarge as exc:
        raise PlanTooLargeError(str(exc), loc=["body", "recipe_ids"]) from exc
    finally:
        _SLOTS.release()


# ---- the answer --------------------------------------------------------------------------------


def planned_spend(kitchen: Kitchen, gathered: Gathered, day: PlannedDay) -> MenuSpend:
    """What a planned day's menu costs to buy, as the menu's check reads it (per food
    bought, at the day's prices and portions)."""
    grams: dict[uuid.UUID, float] = defaultdict(float)
    for item in day.items:
        for food_id, g in gathered.purchases.get(uuid.UUID(str(item.recipe_id)), []):
            grams[food_id] += item.servings * g
    on_day = gathered.prices.get(day.service_date, {})
    lines = [(f, g, p.price_per_kg if (p := on_day.get(f)) else None) for f, g in grams.items()]
    return MenuSpend(
        standard=cost_of(lines),
        prices=sorted((on_day[f] for f in grams if f in on_day), key=lambda p: str(p.food_id)),
        budget_per_portion=kitchen.budget_per_portion or {},
        portions=gathered.portions.get(day.service_date, {}),
    )


def _unsaved_checks(
    kitchen: Kitchen, data: MenuPlanRequest, gathered: Gathered, days: Sequence[PlannedDay]
) -> list[NutritionCheck]:
    """Each planned day's nutrition check, computed as the menu's own check would be."""
    now = utcnow()
    return [
        menus.check_of(
            menu_id=_UNSAVED,
            meal_type=data.meal_type.value,
            items=[(_uuid(i.recipe_id), float(i.servings)) for i in day.items],
            factors=dict(day.portion_factors),
            enrolled=gathered.enrolled,
            nutrition=gathered.nutrition,
            targets=gathered.targets,
            rule=gathered.rule,
            spend=planned_spend(kitchen, gathered, day),
            computed_at=now,
        )
        for day in days
    ]


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


# ---- writing the plan ------------------------------------------------------------------------


async def _existing_menus(
    session: AsyncSession, kitchen: Kitchen, data: MenuPlanRequest, days: Sequence[date]
) -> None:
    """409 `menu_exists` (naming the first such menu) when a day already has one."""
    found = (
        await session.execute(queries.menus_on(kitchen.id, data.meal_type.value, days))
    ).first()
    if found is not None:
        menu_id, day = found
        raise MenuExists(
            f"The kitchen already has a {data.meal_type.value} menu on "
            f"{_as_date(day).isoformat()}; nothing was created",
            extra={"menu_id": str(menu_id)},
        )


async def _lock_kitchen(session: AsyncSession, kitchen: Kitchen) -> Kitchen:
    """The kitchen's row, locked for the rest of the transaction and read afresh, with the
    write counted in its data version: menus are written under this lock, as everywhere."""
    locked: Kitchen = (
        await session.execute(
            select(Kitchen)
            .where(col(Kitchen.id) == kitchen.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    await touch_kitchen(session, locked)
    return locked


async def _apply(
    session: AsyncSession, kitchen: Kitchen, data: MenuPlanRequest, days: Sequence[PlannedDay]
) -> dict[date, uuid.UUID]:
    """Write every planned day as a draft menu, each through the menus' own rules (recipes
    the kitchen may use, halal, one menu per slot, not suspended); any refusal leaves
    nothing written (the request's transaction rolls back)."""
    created: dict[date, uuid.UUID] = {}
    for day in days:
        menu = await menus.create_menu(
            session,
            kitchen=kitchen,
            data=MenuCreate(
                service_date=day.service_date,
                meal_type=data.meal_type,
                items=[
                    MenuItemIn(recipe_id=_uuid(i.recipe_id), servings=i.servings) for i in day.items
                ],
                portion_factors={TargetGroup(g): f for g, f in day.portion_factors.items()},
            ),
        )
        created[day.service_date] = menu.id
    return created


async def _stored_checks(
    session: AsyncSession, created: dict[date, uuid.UUID]
) -> dict[date, NutritionCheck]:
    """The applied menus' checks, as GET /menus/{id}/nutrition-check computes them."""
    rows = (
        (await session.execute(select(Menu).where(col(Menu.id).in_(list(created.values())))))
        .scalars()
        .all()
    )
    checks = await menus.compute_checks(session, menus=rows)
    return {m.service_date: checks[m.id] for m in rows}


# ---- the route's work ----------------------------------------------------------------------------


async def plan_kitchen_menus(
    session: AsyncSession, *, kitchen: Kitchen, data: MenuPlanRequest
) -> MenuPlanPublic:
    """A least-cost plan of the kitchen's menus for the range, optionally written as drafts.

    Refusals come before any solving: a bad range (422), recipes the kitchen may not use
    (422), and with `apply` a suspended kitchen or a day that has a menu already (409).
    """
    days = school_days(data)
    if data.apply:
        ensure_active(kitchen)
        await _existing_menus(session, kitchen, data, days)
    gathered = await gather(session, kitchen=kitchen, data=data, days=days)
    result = await solve(gathered.problem)
    planned = result.days if result.status is not PlanStatus.infeasible else []
    created: dict[date, uuid.UUID] = {}
    if data.apply and planned:
        kitchen = await _lock_kitchen(session, kitchen)
        created = await _apply(session, kitchen, data, planned)
        stored = await _stored_checks(session, created)
        checks = [stored[day.service_date] for day in planned]
    else:
        checks = _unsaved_checks(kitchen, data, gathered, planned)
    return MenuPlanPublic(
        status=result.status,
        kitchen_id=kitchen.id,
        meal_type=data.meal_type,
        date_from=data.date_from,
        date_to=data.date_to,
        max_repeats=data.max_repeats,
        applied=bool(created),
        days=[
            _day_public(gathered, day, check, created.get(day.service_date))
            for day, check in zip(planned, checks, strict=True)
        ],
        total_cost=result.total_cost,
        reasons=result.reasons,
        notes=gathered.notes + result.notes,
        solver=_figures(result),
    )


def _day_public(
    gathered: Gathered, day: PlannedDay, check: NutritionCheck, menu_id: uuid.UUID | None
) -> PlannedDayPublic:
    items = []
    for item in day.items:
        rid = _uuid(item.recipe_id)
        recipe = gathered.recipes[rid]
        items.append(
            PlannedItemPublic(
                recipe_id=rid,
                recipe_name=recipe.name,
                category=recipe.category,
                servings=float(item.servings),
            )
        )
    return PlannedDayPublic(
        service_date=day.service_date,
        menu_id=menu_id,
        items=items,
        portion_factors=day.portion_factors,
        cost_per_portion=day.cost_per_portion,
        cost_per_day=day.cost_per_day,
        check=PlannedCheck.model_validate({**check.model_dump(), "menu_id": menu_id}),
    )


def _figures(result: PlanResult) -> SolverFigures | None:
    stats = result.stats
    if stats is None:
        return None
    return SolverFigures(
        solver_seconds=round(stats.solver_seconds, 3),
        total_seconds=round(stats.total_seconds, 3),
        time_limit_seconds=PLAN_TIME_LIMIT,
        plates=stats.plates,
        plates_in_final_programme=stats.plates_in_mip,
        lower_bound=round(stats.bound, 2) if stats.bound is not None else None,
    )
