"""Prices (and portions) that change within the range: each day costs at its own prices.

The brute force here plans day by day: every day has its own list of passing plates with
their cost at that day's prices and portions, and every assignment of plates to days that
keeps the repeat limit is tried. The planner must find the same least cost.
"""

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from itertools import product

import pytest

from app.planning.model import (
    DayTerms,
    GroupNeed,
    PlanProblem,
    PlanResult,
    PlanStatus,
    RecipeId,
)
from app.planning.solver import plan_menus
from tests.planning.test_solver import (
    LUNCH,
    assert_day_holds,
    cheapest_factor,
    group,
    random_problem,
    recipe,
    school_days,
)


def _day_costs(problem: PlanProblem, day: date) -> tuple[Mapping[RecipeId, float | None], DayTerms]:
    terms = next(t for t in problem.terms if day in t.days)
    return terms.costs, terms


def _needs_on(problem: PlanProblem, terms: DayTerms) -> list[GroupNeed]:
    return [replace(g, portions=terms.portions.get(g.code, g.portions)) for g in problem.groups]


def brute_force_by_day(problem: PlanProblem) -> float | None:
    """The least total cost over every assignment of passing plates to days, or None."""
    per_day: list[list[tuple[list[object], float]]] = []
    for day in sorted(problem.days):
        costs, terms = _day_costs(problem, day)
        usable = [
            replace(r, cost=costs.get(r.id))
            for r in problem.recipes
            if r.allowed and costs.get(r.id) is not None
        ]

        def of(category: str, usable: list = usable) -> list:  # type: ignore[type-arg]
            return [r for r in usable if r.category == category]

        plates: list[tuple[list[object], float]] = []
        for s, a, v, f, p in product(
            of("staple"),
            of("animal_protein"),
            of("vegetable"),
            of("fruit"),
            [None, *of("plant_protein")],
        ):
            plate = [s, a, v, f] + ([p] if p else [])
            cost = 0.0
            for need, served in zip(problem.groups, _needs_on(problem, terms), strict=True):
                factor = cheapest_factor(plate, need, problem.rule)
                if factor is None:
                    break
                cost += served.portions * factor * sum(r.cost or 0.0 for r in plate)
            else:
                plates.append(([r.id for r in plate], cost))
        per_day.append(plates)
    best: float | None = None
    for choice in product(*per_day):
        uses = Counter(rid for ids, _ in choice for rid in ids)
        if max(uses.values()) > problem.max_repeats:
            continue
        total = sum(cost for _, cost in choice)
        best = total if best is None or total < best else best
    return best


def with_price_change(seed: int) -> PlanProblem:
    """A random small problem whose last day has other prices (and portions)."""
    base = random_problem(seed)
    rng = random.Random(1000 + seed)
    days = sorted(base.days)
    before = {r.id: r.cost for r in base.recipes}
    after = {r.id: round((r.cost or 0.0) * rng.uniform(0.7, 1.4), 2) for r in base.recipes}
    portions = {g.code: rng.randint(20, 300) for g in base.groups}
    return replace(
        base,
        terms=[
            DayTerms(days=days[:-1], costs=before),
            DayTerms(days=days[-1:], costs=after, portions=portions),
        ],
    )


def assert_days_hold(problem: PlanProblem, result: PlanResult) -> None:
    """Each day's rules and cost at that day's own prices and portions."""
    by_id = {r.id: r for r in problem.recipes}
    uses: Counter[object] = Counter()
    total = 0.0
    for day in result.days:
        costs, terms = _day_costs(problem, day.service_date)
        plate = [replace(by_id[i.recipe_id], cost=costs[i.recipe_id]) for i in day.items]
        served = zip(problem.groups, _needs_on(problem, terms), strict=True)
        total += assert_day_holds(
            problem, day, plate, [(need, on_day.portions) for need, on_day in served]
        )
        uses.update(r.id for r in plate)
    assert max(uses.values()) <= problem.max_repeats
    assert result.total_cost == pytest.approx(total, abs=0.05)


@pytest.mark.parametrize("seed", range(16))
def test_each_day_at_its_own_prices_finds_the_brute_force_least_cost(seed: int) -> None:
    problem = with_price_change(seed)
    expected = brute_force_by_day(problem)
    result = plan_menus(problem)
    if expected is None:
        assert result.status is PlanStatus.infeasible
        assert result.reasons and not result.days
        return
    assert result.status is PlanStatus.optimal, result.reasons
    assert result.total_cost == pytest.approx(expected, rel=1e-9, abs=0.01)
    assert_days_hold(problem, result)


def test_the_price_changes_compare_plans_not_refusals() -> None:
    plannable = sum(brute_force_by_day(with_price_change(s)) is not None for s in range(16))
    assert plannable >= 10


def test_terms_that_repeat_the_recipe_costs_change_nothing() -> None:
    base = random_problem(5)
    costs = {r.id: r.cost for r in base.recipes}
    split = replace(base, terms=[DayTerms(days=[d], costs=costs) for d in base.days])
    plain, by_day = plan_menus(base), plan_menus(split)
    assert plain.status is by_day.status is PlanStatus.optimal
    assert by_day.total_cost == pytest.approx(plain.total_cost, abs=0.01)
    assert [d.items for d in by_day.days] == [d.items for d in plain.days]


def _plate_problem(days: list[date], terms: list[DayTerms], max_repeats: int = 2) -> PlanProblem:
    recipes = [
        recipe("Nasi", "staple", 270, 4.5, None),
        recipe("Telur", "animal_protein", 130, 7, None),
        recipe("Ayam", "animal_protein", 130, 7, None),
        recipe("Bayam", "vegetable", 40, 2, None),
        recipe("Pisang", "fruit", 55, 0.5, None),
        recipe("Pepaya", "fruit", 55, 0.5, None),
    ]
    return PlanProblem(
        days=days,
        rule=LUNCH,
        groups=[group("7-9", 100, 8000)],
        recipes=recipes,
        max_repeats=max_repeats,
        terms=terms,
    )


def test_a_recipe_without_a_price_on_some_days_is_served_only_on_the_others() -> None:
    days = school_days(2)
    cheap: dict[RecipeId, float | None] = {
        "Nasi": 1000,
        "Telur": 1500,
        "Ayam": 3000,
        "Bayam": 1000,
        "Pisang": 800,
        "Pepaya": 900,
    }
    # Telur, the cheaper protein, has no price on the second day.
    problem = _plate_problem(
        days,
        [DayTerms([days[0]], cheap), DayTerms([days[1]], {**cheap, "Telur": None})],
        max_repeats=2,
    )
    result = plan_menus(problem)
    assert result.status is PlanStatus.optimal
    proteins = [
        next(i.recipe_id for i in d.items if i.recipe_id in ("Telur", "Ayam")) for d in result.days
    ]
    assert proteins == ["Telur", "Ayam"]
    assert any("without a price on some days" in n.lower() for n in result.notes)
    assert result.total_cost == pytest.approx(brute_force_by_day(problem), abs=0.01)


def test_a_price_rise_that_breaks_the_budget_names_its_days() -> None:
    days = school_days(4)
    cheap: dict[RecipeId, float | None] = {
        "Nasi": 1000,
        "Telur": 1500,
        "Ayam": 3000,
        "Bayam": 1000,
        "Pisang": 800,
        "Pepaya": 900,
    }
    dear: dict[RecipeId, float | None] = {n: (c or 0) * 3 for n, c in cheap.items()}
    problem = _plate_problem(
        days, [DayTerms(days[:2], cheap), DayTerms(days[2:], dear)], max_repeats=4
    )
    result = plan_menus(problem)
    assert result.status is PlanStatus.infeasible
    label = f"On the 2 days from {days[2].isoformat()} to {days[3].isoformat()}"
    assert all(reason.startswith(label) for reason in result.reasons), result.reasons
    assert any("Budget too low for 7-9" in reason for reason in result.reasons)
