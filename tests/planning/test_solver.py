"""The planner against brute force, its own rules recomputed, and its reasons for "no plan".

Small instances are enumerated here without the planner's code: every plate, each group's
cheapest passing factor found by trying the candidate factors a 1-D linear programme can
end on (0.5 and the energy and protein floors), then every multiset of plates for the days
(the order of days changes neither cost nor rules). The cheapest multiset respecting the
repeat limit must cost what the planner answers.
"""

import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import combinations_with_replacement, pairwise, product

import pytest

from app.planning.model import (
    CandidateRecipe,
    GroupNeed,
    MealRule,
    PlannedDay,
    PlanProblem,
    PlanResult,
    PlanStatus,
)
from app.planning.plates import PlanTooLarge
from app.planning.solver import plan_menus
from tests.planning import mccormick
from tests.planning.reference import akg, candidates

AKG = akg()
LUNCH = MealRule(0.30, 0.35)
# Nutrient, protein and cost ranges per category for random small instances.
RANGES = {
    "staple": ((150, 320), (2, 9), (800, 2500)),
    "animal_protein": ((40, 170), (4, 9), (1500, 3500)),
    "plant_protein": ((80, 180), (5, 12), (500, 1500)),
    "vegetable": ((20, 100), (1, 7), (800, 2000)),
    "fruit": ((40, 75), (0.2, 1.2), (500, 1800)),
}


def school_days(n: int, start: date = date(2026, 1, 5)) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < n:
        if day.weekday() < 6:  # Monday to Saturday
            days.append(day)
        day += timedelta(days=1)
    return days


def recipe(
    name: str, category: str, energy: float, protein: float, cost: float | None, **kw: bool
) -> CandidateRecipe:
    return CandidateRecipe(
        id=name,
        name=name,
        category=category,
        nutrients={"energy_kcal": energy, "protein_g": protein},
        cost=cost,
        **kw,
    )


def group(code: str, portions: int, budget: float, **targets: float | None) -> GroupNeed:
    return GroupNeed(code, portions, {**AKG[code], **targets}, budget)


def random_problem(seed: int) -> PlanProblem:
    rng = random.Random(seed)
    sizes = {
        "staple": rng.choice([2, 3]),
        "animal_protein": rng.choice([2, 3]),
        "plant_protein": rng.choice([0, 1, 2]),
        "vegetable": 2,
        "fruit": 2,
    }
    recipes = [
        recipe(
            f"{category}-{i}",
            category,
            round(rng.uniform(*RANGES[category][0]), 1),
            round(rng.uniform(*RANGES[category][1]), 2),
            round(rng.uniform(*RANGES[category][2]), 2),
        )
        for category, n in sizes.items()
        for i in range(n)
    ]
    groups = [
        group("7-9", rng.randint(50, 300), rng.choice([7000, 8000])),
        group("10-12-m", rng.randint(50, 300), rng.choice([9000, 10000])),
    ]
    return PlanProblem(
        days=school_days(3), rule=LUNCH, groups=groups, recipes=recipes, max_repeats=2
    )


# ---- an independent brute force -----------------------------------------------------------


def group_passes(
    plate: Sequence[CandidateRecipe], factor: float, need: GroupNeed, rule: MealRule
) -> bool:
    """The contract's check for one group: energy within the shares, protein not low, budget."""
    energy = factor * sum(r.nutrients["energy_kcal"] for r in plate)
    protein = factor * sum(r.nutrients["protein_g"] for r in plate)
    cost = factor * sum(r.cost or 0.0 for r in plate)
    target_e, target_p = need.targets["energy_kcal"], need.targets["protein_g"]
    assert target_e
    tolerance = 1e-9
    return (
        0.5 - tolerance <= factor <= 2.0 + tolerance
        and rule.min_share - tolerance <= energy / target_e <= rule.max_share + tolerance
        and (not target_p or protein / target_p >= rule.min_share - tolerance)
        and cost <= need.budget * (1 + tolerance)
    )


def cheapest_factor(
    plate: Sequence[CandidateRecipe], need: GroupNeed, rule: MealRule
) -> float | None:
    """Cost grows with the factor: the least passing candidate vertex of the 1-D LP."""
    energy = sum(r.nutrients["energy_kcal"] for r in plate)
    protein = sum(r.nutrients["protein_g"] for r in plate)
    target_e, target_p = need.targets["energy_kcal"] or 0.0, need.targets["protein_g"]
    candidates = [0.5, rule.min_share * target_e / energy]
    if target_p and protein > 0:
        candidates.append(rule.min_share * target_p / protein)
    passing = [f for f in candidates if group_passes(plate, f, need, rule)]
    return min(passing) if passing else None


def brute_force(problem: PlanProblem) -> float | None:
    """The least total cost over every multiset of passing plates, or None."""
    usable = [r for r in problem.recipes if r.allowed and r.cost is not None]

    def of(category: str) -> list[CandidateRecipe]:
        return [r for r in usable if r.category == category]

    plates: list[tuple[list[CandidateRecipe], float]] = []
    plant_options: list[CandidateRecipe | None] = [None, *of("plant_protein")]
    for s, a, v, f, p in product(
        of("staple"), of("animal_protein"), of("vegetable"), of("fruit"), plant_options
    ):
        plate = [s, a, v, f] + ([p] if p else [])
        cost = 0.0
        for need in problem.groups:
            factor = cheapest_factor(plate, need, problem.rule)
            if factor is None:
                break
            cost += need.portions * factor * sum(r.cost or 0.0 for r in plate)
        else:
            plates.append((plate, cost))
    best: float | None = None
    for combo in combinations_with_replacement(range(len(plates)), len(problem.days)):
        uses = Counter(r.id for i in combo for r in plates[i][0])
        if max(uses.values()) > problem.max_repeats:
            continue
        total = sum(plates[i][1] for i in combo)
        best = total if best is None or total < best else best
    return best


def assert_rules_hold(problem: PlanProblem, result: PlanResult) -> None:
    """Every planned day re-checked from the recipes, and the repeat limit over the plan."""
    by_id = {r.id: r for r in problem.recipes}
    assert [d.service_date for d in result.days] == sorted(problem.days)
    uses: Counter[object] = Counter()
    total = 0.0
    for day in result.days:
        plate = [by_id[item.recipe_id] for item in day.items]
        assert all(item.servings == 1 for item in day.items)
        categories = Counter(r.category for r in plate)
        for required in ("staple", "animal_protein", "vegetable", "fruit"):
            assert categories[required] == 1, (day.service_date, categories)
        assert categories["plant_protein"] <= 1
        assert set(categories) <= {
            "staple",
            "animal_protein",
            "vegetable",
            "fruit",
            "plant_protein",
        }
        assert all(r.allowed and r.cost is not None for r in plate)
        total += assert_day_holds(
            problem, day, plate, [(need, need.portions) for need in problem.groups]
        )
        uses.update(r.id for r in plate)
    assert max(uses.values()) <= problem.max_repeats
    assert result.total_cost == pytest.approx(total, abs=0.05)


def assert_day_holds(
    problem: PlanProblem,
    day: PlannedDay,
    plate: Sequence[CandidateRecipe],
    groups: Sequence[tuple[GroupNeed, int]],
) -> float:
    """One planned day: each group's plate passes at its factor and costs what the answer
    says, for the given (need, portions served) of each group; returns the day's cost."""
    day_cost = 0.0
    for need, portions in groups:
        factor = day.portion_factors[need.code]
        assert group_passes(plate, factor, need, problem.rule), (day.service_date, need.code)
        per_portion = factor * sum(r.cost or 0.0 for r in plate)
        assert day.cost_per_portion[need.code] == pytest.approx(per_portion, abs=0.01)
        day_cost += portions * per_portion
    assert day.cost_per_day == pytest.approx(day_cost, abs=0.01)
    return day_cost


# ---- least cost ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(24))
def test_the_planner_finds_the_brute_force_least_cost(seed: int) -> None:
    problem = random_problem(seed)
    expected = brute_force(problem)
    result = plan_menus(problem)
    if expected is None:
        assert result.status is PlanStatus.infeasible
        assert result.reasons and not result.days
        return
    assert result.status is PlanStatus.optimal, result.reasons
    assert result.total_cost == pytest.approx(expected, rel=1e-9, abs=0.01)
    assert_rules_hold(problem, result)


def test_the_random_instances_are_mostly_plannable() -> None:
    """The brute-force comparison above must mostly compare plans, not two refusals."""
    plannable = sum(brute_force(random_problem(seed)) is not None for seed in range(24))
    assert 16 <= plannable < 24


@pytest.mark.parametrize("seed", [1, 5, 11])
def test_the_mccormick_formulation_agrees_with_both(seed: int) -> None:
    problem = random_problem(seed)
    expected = brute_force(problem)
    assert expected is not None
    assert mccormick.least_cost(problem) == pytest.approx(expected, rel=1e-6)
    assert plan_menus(problem).total_cost == pytest.approx(expected, rel=1e-9, abs=0.01)


def test_repeats_force_a_dearer_plate_on_the_third_day() -> None:
    """The cheapest plate may serve only max_repeats days; the rest take the next cheapest."""
    recipes = [
        recipe("Nasi", "staple", 270, 4.5, 1000),
        recipe("Nasi merah", "staple", 270, 4.5, 1600),
        recipe("Telur", "animal_protein", 130, 7, 2000),
        recipe("Ayam", "animal_protein", 130, 7, 3000),
        recipe("Bayam", "vegetable", 40, 2, 1200),
        recipe("Kangkung", "vegetable", 40, 2, 1500),
        recipe("Pisang", "fruit", 55, 0.5, 800),
        recipe("Pepaya", "fruit", 55, 0.5, 900),
    ]
    problem = PlanProblem(
        days=school_days(3),
        rule=LUNCH,
        groups=[group("7-9", 100, 8000)],
        recipes=recipes,
        max_repeats=2,
    )
    result = plan_menus(problem)
    assert result.status is PlanStatus.optimal
    assert result.total_cost == pytest.approx(brute_force(problem), abs=0.01)
    uses = Counter(item.recipe_id for day in result.days for item in day.items)
    assert uses["Nasi"] == 2 and uses["Nasi merah"] == 1
    assert_rules_hold(problem, result)


def test_the_least_factor_is_served_and_a_plant_protein_only_when_it_pays() -> None:
    """Energy binds at 30 %: the factor is exactly 0.3 × 1650 / plate energy."""
    recipes = [
        recipe("Nasi", "staple", 300, 5, 1000),
        recipe("Telur", "animal_protein", 120, 7, 2000),
        recipe("Bayam", "vegetable", 40, 2, 1200),
        recipe("Pisang", "fruit", 55, 0.5, 800),
        recipe("Tempe", "plant_protein", 140, 10, 5000),
    ]
    problem = PlanProblem(
        days=school_days(1),
        rule=LUNCH,
        groups=[group("7-9", 10, 8000)],
        recipes=recipes,
        max_repeats=2,
    )
    result = plan_menus(problem)
    assert result.status is PlanStatus.optimal
    (day,) = result.days
    assert [i.recipe_id for i in day.items] == ["Nasi", "Telur", "Bayam", "Pisang"]
    assert day.portion_factors["7-9"] == pytest.approx(0.30 * 1650 / 515)


# ---- determinism --------------------------------------------------------------------------


def _plan_of(result: PlanResult) -> list[tuple[date, list[object], dict[str, float]]]:
    return [
        (d.service_date, [i.recipe_id for i in d.items], d.portion_factors) for d in result.days
    ]


def test_the_answer_does_not_depend_on_the_order_of_the_input() -> None:
    problem = random_problem(3)
    first = plan_menus(problem)
    assert first.status is PlanStatus.optimal
    for seed in range(3):
        shuffled = list(problem.recipes)
        random.Random(seed).shuffle(shuffled)
        groups = list(reversed(problem.groups))
        again = plan_menus(
            PlanProblem(
                days=list(reversed(problem.days)),
                rule=problem.rule,
                groups=groups,
                recipes=shuffled,
                max_repeats=problem.max_repeats,
            )
        )
        assert _plan_of(again) == _plan_of(first)


def test_equal_cost_ties_go_to_the_plan_with_more_protein() -> None:
    """Two fruits cost the same per day at their least factors; the richer in protein wins."""
    base = [
        recipe("Nasi", "staple", 300, 5, 1000),
        recipe("Telur", "animal_protein", 120, 7, 2000),
        recipe("Bayam", "vegetable", 40, 2, 1200),
    ]
    fruits = [
        recipe("Apel", "fruit", 55, 0.2, 800),
        recipe("Jambu", "fruit", 55, 0.9, 800),
    ]
    problem = PlanProblem(
        days=school_days(1),
        rule=LUNCH,
        groups=[group("7-9", 10, 8000)],
        recipes=base + fruits,
    )
    for order in (fruits, list(reversed(fruits))):
        result = plan_menus(PlanProblem(problem.days, LUNCH, problem.groups, base + order))
        assert [i.recipe_id for i in result.days[0].items][-1] == "Jambu"


def test_repeated_menus_are_spread_apart() -> None:
    """Which plates are served is the optimiser's; their order spreads each recipe's days."""
    problem = realistic_problem(12)
    result = plan_menus(problem)
    assert result.status is PlanStatus.optimal
    served: dict[object, list[int]] = {}
    for i, day in enumerate(result.days):
        for item in day.items:
            served.setdefault(item.recipe_id, []).append(i)
    gaps = [b - a for days in served.values() for a, b in pairwise(days)]
    assert gaps and min(gaps) >= 2


# ---- no plan: the reasons -----------------------------------------------------------------


def plate(budget_7_9: float = 8000, **extra: list[CandidateRecipe]) -> PlanProblem:
    recipes = [
        recipe("Nasi", "staple", 270, 4.5, 1000),
        recipe("Nasi merah", "staple", 250, 4.5, 1300),
        recipe("Telur", "animal_protein", 130, 7, 2000),
        recipe("Ayam", "animal_protein", 160, 8, 3000),
        recipe("Bayam", "vegetable", 40, 2, 1200),
        recipe("Kangkung", "vegetable", 55, 3, 1500),
        *extra.get("fruit", [recipe("Pisang", "fruit", 55, 0.5, 800)]),
    ]
    return PlanProblem(
        days=school_days(2),
        rule=LUNCH,
        groups=[group("7-9", 100, budget_7_9)],
        recipes=recipes,
        max_repeats=2,
    )


def test_no_fruit_recipe() -> None:
    result = plan_menus(plate(fruit=[]))
    assert result.status is PlanStatus.infeasible
    assert result.reasons == ["No fruit recipe available."]


def test_fruit_recipes_without_a_price_or_not_halal_are_named() -> None:
    fruit = [
        recipe("Pisang", "fruit", 55, 0.5, None),
        recipe("Anggur", "fruit", 55, 0.5, 900, allowed=False),
    ]
    result = plan_menus(plate(fruit=fruit))
    assert result.reasons == [
        "No fruit recipe available (1 not allowed by the halal rule; 1 without a price)."
    ]
    assert "Left out for lack of a price: Pisang." in result.notes


def test_too_few_recipes_for_the_days() -> None:
    fruit = [recipe(n, "fruit", 55, 0.5, 800) for n in ("Pisang", "Pepaya", "Melon")]
    problem = plate(fruit=fruit)
    problem = PlanProblem(school_days(24), LUNCH, problem.groups, problem.recipes, 2)
    result = plan_menus(problem)
    assert "max_repeats 2 × 3 fruit recipes covers 6 of 24 days." in result.reasons


def test_budget_too_low_names_the_cheapest_plate_that_meets_the_shares() -> None:
    problem = plate(budget_7_9=4000)
    staples, animals, vegetables = (problem.recipes[i : i + 2] for i in (0, 2, 4))
    fruit = problem.recipes[-1]

    def cheapest(need: GroupNeed) -> float:
        costs = []
        for s, a, v in product(staples, animals, vegetables):
            factor = cheapest_factor([s, a, v, fruit], need, LUNCH)
            if factor is not None:
                costs.append(factor * sum(r.cost or 0 for r in (s, a, v, fruit)))
        return min(costs)

    energy_only = cheapest(group("7-9", 100, 1e9, protein_g=None))
    # Protein alone: the factor only has to lift protein to 30 % of 40 g (and stay ≥ 0.5).
    protein_only = min(
        max(0.5, 12 / sum(r.nutrients["protein_g"] for r in p)) * sum(r.cost or 0 for r in p)
        for p in ([s, a, v, fruit] for s, a, v in product(staples, animals, vegetables))
    )
    result = plan_menus(problem)
    assert result.status is PlanStatus.infeasible
    assert len(result.reasons) == 2
    assert result.reasons[0].startswith(
        "Budget too low for 7-9: the cheapest plate that gives energy ≥ 30 % (495 kcal) costs "
        f"Rp {energy_only:,.0f} per portion against Rp 4,000 ("
    )
    assert result.reasons[1].startswith(
        "Budget too low for 7-9: the cheapest plate that gives protein ≥ 30 % (12.0 g) costs "
        f"Rp {protein_only:,.0f} per portion against Rp 4,000 ("
    )


def test_a_budget_below_even_half_portions() -> None:
    result = plan_menus(plate(budget_7_9=1000))
    (reason,) = result.reasons
    assert reason.startswith(
        "Budget too low for 7-9: the cheapest plate even at the smallest portion (factor 0.5) "
        "costs Rp 2,500 per portion against Rp 1,000 (Nasi + Telur + Bayam + Pisang"
    )


def test_protein_out_of_reach() -> None:
    problem = plate()
    problem = PlanProblem(
        problem.days, LUNCH, [group("7-9", 100, 8000, protein_g=400)], problem.recipes
    )
    result = plan_menus(problem)
    assert result.reasons[0] == (
        "No plate gives 7-9 protein ≥ 30 % (120.0 g), even at the largest portion (factor 2)."
    )


def test_groups_no_single_plate_can_suit() -> None:
    """7-9 needs the protein-rich staple; 10-12-m's budget only fits the cheap one."""
    recipes = [
        recipe("Nasi", "staple", 300, 3, 1000),
        recipe("Jagung", "staple", 300, 12, 3000),
        recipe("Telur", "animal_protein", 100, 5, 1000),
        recipe("Bayam", "vegetable", 50, 1, 1000),
        recipe("Pisang", "fruit", 50, 0.5, 1000),
    ]
    groups = [
        group("7-9", 50, 20000),
        group("10-12-m", 50, 5000, protein_g=None),
    ]
    result = plan_menus(PlanProblem(school_days(1), LUNCH, groups, recipes))
    assert result.status is PlanStatus.infeasible
    (reason,) = result.reasons
    assert reason.startswith(
        "No single plate suits 7-9 and 10-12-m (the same recipes, each group at its own "
        "portion factor 0.5–2); relaxing "
    )
    assert "protein ≥ 30 %" in reason and "the budget per portion" in reason


def test_too_few_different_plates_for_the_days() -> None:
    """Every recipe fits some plate, but only the cheap staple pairs with the dear fruits."""
    fixed = [
        *(recipe(f"Lauk {i}", "animal_protein", 50, 10, 1000) for i in range(3)),
        *(recipe(f"Sayur {i}", "vegetable", 50, 2, 1000) for i in range(3)),
    ]
    recipes = [
        recipe("Nasi", "staple", 150, 3, 1000),
        recipe("Jagung", "staple", 150, 3, 2000),
        recipe("Ubi", "staple", 150, 3, 2000),
        recipe("Pisang", "fruit", 50, 1, 1000),
        recipe("Melon", "fruit", 50, 1, 1500),
        recipe("Apel", "fruit", 50, 1, 1500),
        *fixed,
    ]
    need = group("7-9", 100, 5000.5, energy_kcal=1000, protein_g=None)
    problem = PlanProblem(school_days(3), LUNCH, [need], recipes, max_repeats=1)
    result = plan_menus(problem)
    assert result.reasons == [
        "Only 2 of 3 days can be planned with max_repeats 1: too few different plates fit "
        "every group's needs and budget; max_repeats 2 would allow a plan."
    ]
    assert brute_force(problem) is None
    wider = PlanProblem(school_days(3), LUNCH, [need], recipes, max_repeats=2)
    assert plan_menus(wider).total_cost == pytest.approx(brute_force(wider), abs=0.01)


def test_no_enrolled_group() -> None:
    problem = plate()
    result = plan_menus(PlanProblem(problem.days, LUNCH, [], problem.recipes))
    assert result.status is PlanStatus.infeasible
    assert result.reasons == [
        "The kitchen enrols no target group, so no menu can pass the nutrition check."
    ]


# ---- the reference recipes over four school weeks ----------------------------------------


def realistic_problem(n_days: int) -> PlanProblem:
    return PlanProblem(
        days=school_days(n_days),
        rule=LUNCH,
        groups=[group("7-9", 320, 8000), group("10-12-m", 160, 10000)],
        recipes=candidates(),
        max_repeats=2,
    )


def test_four_weeks_of_reference_recipes_for_two_groups() -> None:
    problem = realistic_problem(24)
    started = time.perf_counter()
    result = plan_menus(problem)
    elapsed = time.perf_counter() - started
    assert result.stats is not None
    print(
        f"\n24 days, {len(problem.recipes)} recipes: {result.status}, "
        f"Rp {result.total_cost:,.0f}; wall {elapsed:.2f} s, HiGHS "
        f"{result.stats.solver_seconds:.2f} s, {result.stats.plates:,} plates, "
        f"{result.stats.plates_in_mip:,} in the final MIP"
    )
    assert result.status is PlanStatus.optimal
    assert len(result.days) == 24
    assert_rules_hold(problem, result)
    assert result.stats.bound is not None
    assert result.stats.bound <= result.total_cost + 0.01


def test_a_time_limit_never_passes_for_a_proof() -> None:
    """Whatever this machine manages in the limit, only a finished proof says `optimal`."""
    problem = PlanProblem(
        school_days(24),
        LUNCH,
        [group("7-9", 320, 7000), group("10-12-m", 160, 8500)],
        candidates(),
    )
    result = plan_menus(problem, time_limit=0.5)
    assert result.stats is not None
    if result.status is PlanStatus.optimal:
        assert not result.stats.time_limit_reached
        assert_rules_hold(problem, result)
    elif result.status is PlanStatus.feasible:
        assert result.stats.time_limit_reached
        assert result.reasons[0].startswith("The time limit of 0.5 s stopped the solver")
        assert_rules_hold(problem, result)
    else:
        assert result.reasons[0].startswith("No full plan was found within the time limit")


def test_too_many_recipe_combinations_are_refused_before_any_work() -> None:
    recipes = [
        recipe(f"{category} {i}", category, 100, 5, 1000)
        for category in ("staple", "animal_protein", "vegetable", "fruit", "plant_protein")
        for i in range(40)
    ]
    problem = PlanProblem(school_days(5), LUNCH, [group("7-9", 10, 8000)], recipes)
    with pytest.raises(PlanTooLarge, match="104,960,000 recipe combinations"):
        plan_menus(problem)


def test_milk_and_other_recipes_are_left_off_the_plate_and_said_so() -> None:
    problem = plate()
    extra = [recipe("Susu", "milk", 120, 6, 3000), recipe("Puding", "other", 90, 2, 900)]
    result = plan_menus(
        PlanProblem(problem.days, LUNCH, problem.groups, [*problem.recipes, *extra])
    )
    assert result.status is PlanStatus.optimal
    assert "2 recipe(s) outside the plate categories (milk, other) were not used." in result.notes
    assert_rules_hold(problem, result)
