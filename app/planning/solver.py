"""Least-cost menu plans that meet the plate, the AKG shares, the budgets and the repeat limit.

`plan_menus` is pure: it receives everything resolved (recipes with nutrients and costs,
groups with targets and budgets) and never touches the database. It lists every plate
that passes for every group with its exact least cost (`plates`), lets HiGHS choose how
many days to serve each plate (`master`), then re-checks every planned day with its own
arithmetic before answering. docs/planning.md explains the model to a nutritionist.
"""

import time
from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from app.planning.diagnose import (
    category_reasons,
    days_label,
    explain_infeasible,
    fitting_reasons,
)
from app.planning.master import solve_plates
from app.planning.model import (
    FACTOR_MAX,
    FACTOR_MIN,
    OPTIONAL_CATEGORIES,
    REQUIRED_CATEGORIES,
    PlannedDay,
    PlannedItem,
    PlanProblem,
    PlanResult,
    PlanStatus,
    SolverStats,
)
from app.planning.plates import (
    NONE,
    Plates,
    Prepared,
    passing_plates,
    plate_factors,
    prepare,
)

DEFAULT_TIME_LIMIT = 20.0
# Relative slack for float rounding when a planned day is re-checked.
_ROUNDING = 1e-9


def plan_menus(problem: PlanProblem, *, time_limit: float = DEFAULT_TIME_LIMIT) -> PlanResult:
    """A least-cost plan for the days: `optimal` when HiGHS proves it within the time limit."""
    started = time.perf_counter()
    _validate(problem)
    prep = prepare(problem)
    if prep.reasons:
        return PlanResult(PlanStatus.infeasible, [], None, prep.reasons, prep.notes)
    if not problem.days:
        return PlanResult(PlanStatus.optimal, [], 0.0, [], prep.notes)
    reasons = category_reasons(prep)
    if reasons:
        return PlanResult(PlanStatus.infeasible, [], None, reasons, prep.notes)
    plates = passing_plates(prep)
    segments = range(len(prep.segments))
    if any(plates.count_in(k) == 0 for k in segments):
        reasons = explain_infeasible(prep, time_limit=_left(time_limit, started))
        empty = SolverStats(0.0, time.perf_counter() - started, 0, 0, None, False)
        return PlanResult(PlanStatus.infeasible, [], None, reasons, prep.notes, empty)
    # Recipes on no passing plate cannot be served: too few left in a category is decided
    # here, for the whole range and for each stretch of days priced alike.
    reasons = fitting_reasons(prep, _recipes_of(plates, plates.segment >= 0))
    if not reasons and len(prep.segments) > 1:
        for k in segments:
            found = fitting_reasons(prep.at(k), _recipes_of(plates, plates.segment == k))
            if found:
                reasons = [f"{days_label(prep.segments[k].days)}: {r}" for r in found]
                break
    if reasons:
        return PlanResult(PlanStatus.infeasible, [], None, reasons, prep.notes)

    result = solve_plates(
        plates,
        n_recipes=len(prep.recipes),
        days=[len(segment.days) for segment in prep.segments],
        max_repeats=problem.max_repeats,
        time_limit=_left(time_limit, started),
    )
    proven = result.status == "optimal"

    def stats() -> SolverStats:
        return SolverStats(
            solver_seconds=result.solver_seconds,
            total_seconds=time.perf_counter() - started,
            plates=len(plates.cost),
            plates_in_mip=result.plates_in_mip,
            bound=result.bound,
            time_limit_reached=not proven,
        )

    if result.unplanned != 0:
        if proven:
            reasons = explain_infeasible(
                prep, plates=plates, master=result, time_limit=_left(time_limit, started)
            )
        else:
            reasons = [
                f"No full plan was found within the time limit of {time_limit:g} s; this does "
                "not prove that none exists. Try a longer limit, fewer days or fewer recipes."
            ]
        return PlanResult(PlanStatus.infeasible, [], None, reasons, prep.notes, stats())

    menus = [
        (int(plates.segment[p]), tuple(int(r) for r in plates.recipes[:, p] if r != NONE))
        for p, n in sorted(result.counts.items())
        for _ in range(n)
    ]
    day_segment = {d: k for k in segments for d in prep.segments[k].days}
    days_in_order = sorted(problem.days)
    ordered = order_days(menus, [day_segment[d] for d in days_in_order], prep)
    views = [prep.at(k) for k in segments]
    planned = [
        _planned_day(views[day_segment[service_date]], service_date, menu)
        for service_date, menu in zip(days_in_order, ordered, strict=True)
    ]
    days = [day for day, _ in planned]
    total = round(sum(exact for _, exact in planned), 2)
    if proven:
        return PlanResult(PlanStatus.optimal, days, total, [], prep.notes, stats())
    reason = (
        f"The time limit of {time_limit:g} s stopped the solver before it proved this plan "
        "the cheapest"
    )
    if result.bound is not None and total > 0:
        reason += (
            f": no plan can cost less than Rp {result.bound:,.0f}, "
            f"{100 * (total - result.bound) / total:.2f} % below this one"
        )
    return PlanResult(PlanStatus.feasible, days, total, [reason + "."], prep.notes, stats())


def _recipes_of(plates: Plates, columns: npt.NDArray[np.bool_]) -> set[int]:
    """The recipes on the chosen columns."""
    return {int(r) for r in np.unique(plates.recipes[:, columns])} - {NONE}


def _left(time_limit: float, started: float) -> float:
    """What remains of the time limit (at least half a second, so a step can finish)."""
    return max(time_limit - (time.perf_counter() - started), 0.5)


def _validate(problem: PlanProblem) -> None:
    if problem.max_repeats < 1:
        raise ValueError("max_repeats must be at least 1")
    if not 0 < problem.rule.min_share <= problem.rule.max_share:
        raise ValueError("the meal rule needs 0 < min_share <= max_share")
    codes = [g.code for g in problem.groups]
    if len(set(codes)) != len(codes):
        raise ValueError("a target group is named twice")
    if len(set(problem.days)) != len(problem.days):
        raise ValueError("a day is named twice")
    ids = [r.id for r in problem.recipes]
    if len(set(ids)) != len(ids):
        raise ValueError("a recipe is named twice")


# ---- a planned day, re-checked -------------------------------------------------------------


def _planned_day(
    view: Prepared, service_date: date, menu: tuple[int, ...]
) -> tuple[PlannedDay, float]:
    """The day as answered (`view`: the problem on the day's segment), and its cost per day
    before rounding."""
    factors: dict[str, float] = {}
    costs: dict[str, float] = {}
    per_day = 0.0
    least = plate_factors(view, menu)
    for group in view.groups:
        factor, cost = least[group.code]
        _recheck(view, menu, group.code, factor)
        factors[group.code] = factor
        costs[group.code] = round(cost, 2)
        per_day += group.portions * cost
    day = PlannedDay(
        service_date=service_date,
        items=[PlannedItem(view.recipes[r].id) for r in menu],
        portion_factors=factors,
        cost_per_portion=costs,
        cost_per_day=round(per_day, 2),
    )
    return day, per_day


def _recheck(view: Prepared, menu: tuple[int, ...], code: str, factor: float) -> None:
    """The day's rules for one group, recomputed from the recipes as the nutrition check does."""
    group = next(g for g in view.groups if g.code == code)
    recipes = [view.recipes[r] for r in menu]
    energy = factor * sum(r.nutrients.get("energy_kcal", 0.0) for r in recipes) / group.energy
    protein = factor * sum(r.nutrients.get("protein_g", 0.0) for r in recipes)
    cost = factor * sum(float(view.cost[r]) for r in menu)
    ok = (
        FACTOR_MIN - _ROUNDING <= factor <= FACTOR_MAX + _ROUNDING
        and view.min_share - _ROUNDING <= energy <= view.max_share + _ROUNDING
        and (not group.protein or protein / group.protein >= view.min_share - _ROUNDING)
        and cost <= group.budget * (1 + _ROUNDING)
    )
    categories = [r.category for r in recipes]
    plate_ok = all(categories.count(c) == 1 for c in REQUIRED_CATEGORIES) and all(
        categories.count(c) <= 1 for c in OPTIONAL_CATEGORIES
    )
    if not ok or not plate_ok:
        raise RuntimeError(f"a planned day fails its own rules for {code}")


# ---- serving order ------------------------------------------------------------------------


def order_days(
    menus: Sequence[tuple[int, tuple[int, ...]]], day_segments: Sequence[int], prep: Prepared
) -> list[tuple[int, ...]]:
    """Put the plan's menus, each with its segment, in serving order, spreading each
    recipe's days apart; `day_segments` gives the segment of each day in date order.

    Which menus the plan contains decides its cost and its rules; their order within a
    segment changes neither (its days share rules and prices). Day by day, the menu of the
    day's segment whose recipes were served longest ago is taken next; ties go to the menu
    whose recipe names sort first.
    """

    def key(item: tuple[int, tuple[int, ...]]) -> tuple[tuple[str, str], ...]:
        return tuple((prep.recipes[r].name.casefold(), str(prep.recipes[r].id)) for r in item[1])

    remaining = sorted(menus, key=key)
    last_served: dict[int, int] = {}
    ordered: list[tuple[int, ...]] = []
    for day, segment in enumerate(day_segments):
        pool = [i for i, (k, _) in enumerate(remaining) if k == segment]
        scores = {
            i: sum(1.0 / (day - last_served[r]) for r in remaining[i][1] if r in last_served)
            for i in pool
        }
        best = min(pool, key=lambda i: (round(scores[i], 12), i))
        _, menu = remaining.pop(best)
        for r in menu:
            last_served[r] = day
        ordered.append(menu)
    return ordered
