"""POST /kitchens/{id}/menu-plans, end to end through the API on a real database.

Each instance is set up through the API: a kitchen, a school (its enrolment), one food per
recipe (nutrients per 100 g, a kitchen price per kg) and the kitchen's own recipes of 100 g
of that food, so a recipe's standard portion costs price ÷ 10 and gives the food's values.
The test knows these numbers itself and hands them to the independent brute force of
tests/planning/test_solver.py; the plan must cost what it finds. The built-in national
recipes are present but have no price in these databases, so the plan leaves them out.
"""

import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.planning import plates, service
from app.planning.model import (
    CandidateRecipe,
    DayTerms,
    GroupNeed,
    MealRule,
    PlanProblem,
    RecipeId,
)
from tests.builders import assert_problem, make_kitchen, make_manager, make_school
from tests.builders.deliveries import suspend
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, nutrition_check, put_counts
from tests.planning.reference import akg
from tests.planning.test_day_terms import brute_force_by_day
from tests.planning.test_solver import brute_force

AKG = akg()
LUNCH = MealRule(0.30, 0.35)
# Monday 2 to Wednesday 4 March 2026; Sunday 8 March is no school day.
MON, TUE, WED, SUN = "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-08"
DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
ENROLMENT = {"7-9": 120, "10-12-m": 45}
DEFAULT_BUDGET = {"7-9": 8000, "10-12-m": 10000}
# Energy (kcal), protein (g) per 100 g, and price per kg, ranges per category.
RANGES = {
    "staple": ((150, 320), (2, 9), (8_000, 25_000)),
    "animal_protein": ((40, 170), (4, 9), (15_000, 35_000)),
    "plant_protein": ((80, 180), (5, 12), (5_000, 15_000)),
    "vegetable": ((20, 100), (1, 7), (8_000, 20_000)),
    "fruit": ((40, 75), (0.2, 1.2), (5_000, 18_000)),
}
PLATE = ("staple", "animal_protein", "vegetable", "fruit")


def url(kitchen: dict[str, Any]) -> str:
    return f"/api/v1/kitchens/{kitchen['id']}/menu-plans"


def set_price(
    client: TestClient, admin: dict[str, str], food_id: str, per_kg: int, since: str, **scope: Any
) -> None:
    body = {"food_id": food_id, "price_per_kg": per_kg, "valid_from": since, **scope}
    resp = client.post("/api/v1/food-prices", json=body, headers=admin)
    assert resp.status_code == 201, resp.text


@dataclass
class Instance:
    kitchen: dict[str, Any]
    manager: dict[str, str]
    recipes: list[CandidateRecipe]
    foods: dict[str, str]  # recipe id -> food id
    budgets: dict[str, int]

    def problem(self, max_repeats: int = 2, days: list[date] = DAYS) -> PlanProblem:
        """The test's own statement of the instance, for the brute force."""
        return PlanProblem(
            days=days,
            rule=LUNCH,
            groups=[
                GroupNeed(g, n, AKG[g], self.budgets.get(g, DEFAULT_BUDGET[g]))
                for g, n in ENROLMENT.items()
            ],
            recipes=self.recipes,
            max_repeats=max_repeats,
        )

    def of(self, category: str) -> list[CandidateRecipe]:
        return [r for r in self.recipes if r.category == category]


def add_recipe(
    client: TestClient,
    admin: dict[str, str],
    inst: Instance,
    category: str,
    energy: float,
    protein: float,
    per_kg: int,
    *,
    halal: str = "halal",
    name: str | None = None,
) -> CandidateRecipe:
    food = make_food(client, admin, {"energy_kcal": energy, "protein_g": protein}, halal=halal)
    set_price(client, admin, food["id"], per_kg, "2026-01-01", kitchen_id=inst.kitchen["id"])
    body: dict[str, Any] = {"category": category}
    if name:
        body["name"] = name
    made = make_recipe(client, admin, [(food["id"], 100)], kitchen_id=inst.kitchen["id"], **body)
    recipe = CandidateRecipe(
        id=made["id"],
        name=made["name"],
        category=category,
        nutrients={"energy_kcal": energy, "protein_g": protein},
        cost=per_kg / 10,
        allowed=halal != "not_halal",
    )
    inst.recipes.append(recipe)
    inst.foods[made["id"]] = food["id"]
    return recipe


def make_instance(
    client: TestClient,
    admin: dict[str, str],
    seed: int,
    *,
    budgets: dict[str, int] | None = None,
    sizes: dict[str, int] | None = None,
    **kitchen: Any,
) -> Instance:
    rng = random.Random(seed)
    budgets = budgets or {}
    k = make_kitchen(client, admin, budget_per_portion=budgets, **kitchen)
    make_school(client, admin, k["id"], enrolment=ENROLMENT)
    inst = Instance(k, make_manager(client, admin, k["id"]), [], {}, budgets)
    sizes = sizes or {
        "staple": rng.choice([2, 3]),
        "animal_protein": rng.choice([2, 3]),
        "plant_protein": rng.choice([0, 1, 2]),
        "vegetable": 2,
        "fruit": 2,
    }
    for category, n in sizes.items():
        (e_lo, e_hi), (q_lo, q_hi), (p_lo, p_hi) = RANGES[category]
        for _ in range(n):
            add_recipe(
                client,
                admin,
                inst,
                category,
                round(rng.uniform(e_lo, e_hi), 1),
                round(rng.uniform(q_lo, q_hi), 2),
                rng.randrange(p_lo, p_hi, 100),
            )
    return inst


def plan(client: TestClient, headers: dict[str, str], kitchen: dict[str, Any], **body: Any) -> Any:
    payload = {"from": MON, "to": WED, "meal_type": "lunch", **body}
    return client.post(url(kitchen), json=payload, headers=headers)


def planned(
    client: TestClient, headers: dict[str, str], kitchen: dict[str, Any], **body: Any
) -> dict[str, Any]:
    resp = plan(client, headers, kitchen, **body)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def assert_days_pass(inst: Instance, answer: dict[str, Any], max_repeats: int = 2) -> None:
    """Every day: the plate, its own check passing for every enrolled group within budget,
    its cost as the check computes it; no recipe beyond the repeat limit."""
    by_id = {str(r.id): r for r in inst.recipes}
    uses: Counter[str] = Counter()
    total = 0.0
    for day in answer["days"]:
        categories = Counter(by_id[i["recipe_id"]].category for i in day["items"])
        assert all(categories[c] == 1 for c in PLATE), categories
        assert categories["plant_protein"] <= 1
        check = day["check"]
        assert check["overall"] == "pass", check
        assert {g["target_group"] for g in check["groups"]} == set(ENROLMENT)
        for group in check["groups"]:
            assert 0.5 <= group["factor"] <= 2.0
            assert group["factor"] == pytest.approx(day["portion_factors"][group["target_group"]])
            assert group["cost"]["status"] == "ok", group
            assert group["cost"]["cost_per_portion"] == pytest.approx(
                day["cost_per_portion"][group["target_group"]], abs=0.01
            )
        assert check["cost_per_day"] == pytest.approx(day["cost_per_day"], abs=0.01)
        total += day["cost_per_day"]
        uses.update(i["recipe_id"] for i in day["items"])
    assert max(uses.values()) <= max_repeats
    assert answer["total_cost"] == pytest.approx(total, abs=0.05)


# ---- least cost, proven against brute force ---------------------------------------------------


@pytest.mark.parametrize("seed", [3, 7, 11, 19])
def test_the_plan_costs_what_brute_force_finds(
    client: TestClient, admin: dict[str, str], seed: int
) -> None:
    inst = make_instance(client, admin, seed)
    expected = brute_force(inst.problem())
    answer = planned(client, inst.manager, inst.kitchen)
    assert answer["applied"] is False
    if expected is None:
        assert answer["status"] == "infeasible"
        assert answer["reasons"] and answer["days"] == []
        return
    assert answer["status"] == "optimal", answer["reasons"]
    assert answer["total_cost"] == pytest.approx(expected, abs=0.01)
    assert [d["service_date"] for d in answer["days"]] == [MON, TUE, WED]
    assert all(d["menu_id"] is None and d["check"]["menu_id"] is None for d in answer["days"])
    assert_days_pass(inst, answer)
    # The built-in national recipes have no price here: left out, and said so.
    assert any("lack of a price" in note for note in answer["notes"])


def test_applied_plans_are_drafts_whose_own_check_passes(
    client: TestClient, admin: dict[str, str]
) -> None:
    inst = make_instance(
        client,
        admin,
        5,
        sizes={"staple": 2, "animal_protein": 3, "plant_protein": 1, "vegetable": 2, "fruit": 2},
    )
    proposal = planned(client, inst.manager, inst.kitchen)
    assert proposal["status"] == "optimal", proposal["reasons"]
    applied = planned(client, inst.manager, inst.kitchen, apply=True)
    assert applied["applied"] is True
    assert applied["status"] == "optimal"
    assert applied["total_cost"] == pytest.approx(proposal["total_cost"], abs=0.01)
    assert_days_pass(inst, applied)
    for before, day in zip(proposal["days"], applied["days"], strict=True):
        assert day["items"] == before["items"]
        assert day["portion_factors"] == before["portion_factors"]
        menu_id = day["menu_id"]
        assert menu_id is not None and day["check"]["menu_id"] == menu_id
        menu = client.get(f"/api/v1/menus/{menu_id}", headers=inst.manager).json()
        assert menu["status"] == "draft"
        assert menu["service_date"] == day["service_date"]
        assert [i["recipe_id"] for i in menu["items"]] == [i["recipe_id"] for i in day["items"]]
        assert menu["portion_factors"] == pytest.approx(day["portion_factors"])
        # The check GET answers is the one the plan answered, and the proposal's too.
        check = nutrition_check(client, inst.manager, menu_id)
        assert check["overall"] == "pass"
        assert all(g["cost"]["status"] == "ok" for g in check["groups"])
        for answer in (day["check"], before["check"]):
            mine = {k: v for k, v in answer.items() if k not in ("menu_id", "computed_at")}
            got = {k: v for k, v in check.items() if k not in ("menu_id", "computed_at")}
            assert mine == got
        # Approving needs no override: the check passes and no group is over budget.
        approve = client.post(f"/api/v1/menus/{menu_id}/approve", json={}, headers=inst.manager)
        assert approve.status_code == 200, approve.text


# ---- when no plan exists ----------------------------------------------------------------------


def test_a_budget_too_low_is_infeasible_and_says_why(
    client: TestClient, admin: dict[str, str]
) -> None:
    inst = make_instance(client, admin, 3, budgets={"7-9": 1500})
    assert brute_force(inst.problem()) is None
    answer = planned(client, inst.manager, inst.kitchen)
    assert answer["status"] == "infeasible"
    assert answer["days"] == [] and answer["total_cost"] is None
    assert any("Budget too low for 7-9" in r and "Rp 1,500" in r for r in answer["reasons"])


def test_without_a_fruit_recipe_no_plan_exists(client: TestClient, admin: dict[str, str]) -> None:
    inst = make_instance(
        client,
        admin,
        4,
        sizes={"staple": 2, "animal_protein": 2, "plant_protein": 0, "vegetable": 2, "fruit": 0},
    )
    answer = planned(client, inst.manager, inst.kitchen)
    assert answer["status"] == "infeasible"
    assert answer["reasons"][0].startswith("No fruit recipe available")


def test_max_repeats_limits_each_recipe_and_can_make_a_plan_impossible(
    client: TestClient, admin: dict[str, str]
) -> None:
    sizes = {"staple": 3, "animal_protein": 3, "plant_protein": 0, "vegetable": 3, "fruit": 3}
    inst = make_instance(client, admin, 8, sizes=sizes)
    once = planned(client, inst.manager, inst.kitchen, max_repeats=1)
    expected = brute_force(inst.problem(max_repeats=1))
    assert expected is not None
    assert once["status"] == "optimal" and once["max_repeats"] == 1
    assert once["total_cost"] == pytest.approx(expected, abs=0.01)
    assert_days_pass(inst, once, max_repeats=1)
    three = planned(client, inst.manager, inst.kitchen, max_repeats=3)
    assert three["total_cost"] == pytest.approx(brute_force(inst.problem(3)), abs=0.01)
    assert three["total_cost"] <= once["total_cost"] + 0.01
    # Two fruits and one serving each cannot fill three days.
    fewer = [str(r.id) for r in inst.recipes if r.id != inst.of("fruit")[0].id]
    short = planned(client, inst.manager, inst.kitchen, max_repeats=1, recipe_ids=fewer)
    assert short["status"] == "infeasible"
    assert "max_repeats 1 × 2 fruit recipes covers 2 of 3 days." in short["reasons"]


def test_recipe_ids_restrict_the_plan_to_the_kitchen_s_usable_recipes(
    client: TestClient, admin: dict[str, str]
) -> None:
    sizes = {"staple": 2, "animal_protein": 3, "plant_protein": 1, "vegetable": 2, "fruit": 2}
    inst = make_instance(client, admin, 12, sizes=sizes)
    # Leave out the animal protein the full plan uses most.
    full = planned(client, inst.manager, inst.kitchen)
    assert full["status"] == "optimal", full["reasons"]
    used = Counter(i["recipe_id"] for d in full["days"] for i in d["items"])
    proteins = [str(r.id) for r in inst.of("animal_protein")]
    dropped = max(proteins, key=lambda r: used[r])
    chosen = [str(r.id) for r in inst.recipes if str(r.id) != dropped]
    narrowed = planned(client, inst.manager, inst.kitchen, recipe_ids=chosen)
    sub = replace(inst.problem(), recipes=[r for r in inst.recipes if str(r.id) in chosen])
    assert narrowed["status"] == "optimal"
    assert narrowed["total_cost"] == pytest.approx(brute_force(sub), abs=0.01)
    assert all(i["recipe_id"] in chosen for d in narrowed["days"] for i in d["items"])
    assert narrowed["total_cost"] >= full["total_cost"] - 0.01
    # Only the chosen ones were considered: no note about the unpriced national recipes.
    assert not any("lack of a price" in note for note in narrowed["notes"])

    # Another kitchen's recipe, or one that does not exist: 422, nothing planned.
    other = make_kitchen(client, admin)
    theirs = make_recipe(
        client, admin, [(inst.foods[chosen[0]], 100)], kitchen_id=other["id"], category="fruit"
    )
    missing = "00000000-0000-4000-8000-000000000000"
    resp = plan(client, inst.manager, inst.kitchen, recipe_ids=[chosen[0], theirs["id"], missing])
    problem = assert_problem(resp, 422, "recipe_not_available")
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "recipe_ids", 1],
        ["body", "recipe_ids", 2],
    ]
    assert theirs["name"] not in resp.text  # nothing of another kitchen's recipe


def test_the_halal_rule_keeps_not_halal_recipes_off_the_plan(
    client: TestClient, admin: dict[str, str]
) -> None:
    sizes = {"staple": 2, "animal_protein": 2, "plant_protein": 0, "vegetable": 2, "fruit": 2}
    for required in (True, False):
        inst = make_instance(client, admin, 22, sizes=sizes, halal_required=required)
        # The cheapest protein by far, and pork.
        pork = add_recipe(
            client, admin, inst, "animal_protein", 120, 8, 6_000, halal="not_halal", name="Babi"
        )
        answer = planned(client, inst.manager, inst.kitchen)
        assert answer["status"] == "optimal", answer["reasons"]
        uses = sum(i["recipe_id"] == pork.id for d in answer["days"] for i in d["items"])
        if required:
            assert uses == 0
            assert any("halal rule: Babi" in note for note in answer["notes"])
            assert answer["total_cost"] == pytest.approx(brute_force(inst.problem()), abs=0.01)
        else:
            assert uses >= 1
            everything = replace(
                inst.problem(), recipes=[replace(r, allowed=True) for r in inst.recipes]
            )
            assert answer["total_cost"] == pytest.approx(brute_force(everything), abs=0.01)


# ---- prices and portions that change within the range ------------------------------------------


def test_each_day_is_costed_at_its_own_prices_and_portions(
    client: TestClient, admin: dict[str, str]
) -> None:
    sizes = {"staple": 2, "animal_protein": 3, "plant_protein": 0, "vegetable": 2, "fruit": 2}
    inst = make_instance(client, admin, 30, sizes=sizes)
    # From Wednesday the cheapest protein costs twice as much; on Tuesday the school
    # reports planned counts below its enrolment.
    cheapest = min(inst.of("animal_protein"), key=lambda r: r.cost or 0)
    dear = int((cheapest.cost or 0) * 10 * 2)
    set_price(client, admin, inst.foods[str(cheapest.id)], dear, WED, kitchen_id=inst.kitchen["id"])
    school = client.get(f"/api/v1/kitchens/{inst.kitchen['id']}/schools", headers=admin).json()[
        "items"
    ][0]
    counts = [{"school_id": school["id"], "target_group": "7-9", "planned": 90}]
    put_counts(client, admin, inst.kitchen["id"], TUE, counts)

    answer = planned(client, inst.manager, inst.kitchen)
    assert answer["status"] == "optimal", answer["reasons"]
    assert any("each day is costed at its own date's prices" in n for n in answer["notes"])
    base = inst.problem()
    costs: dict[RecipeId, float | None] = {r.id: r.cost for r in inst.recipes}
    wednesday = {**costs, cheapest.id: dear / 10}
    terms = [
        DayTerms([DAYS[0]], costs),
        DayTerms([DAYS[1]], costs, {"7-9": 90, "10-12-m": ENROLMENT["10-12-m"]}),
        DayTerms([DAYS[2]], wednesday),
    ]
    assert answer["total_cost"] == pytest.approx(
        brute_force_by_day(replace(base, terms=terms)), abs=0.01
    )
    assert_days_pass(inst, answer)
    tuesday = answer["days"][1]
    portions = {g["target_group"]: g["cost"]["portions"] for g in tuesday["check"]["groups"]}
    assert portions == {"7-9": 90, "10-12-m": ENROLMENT["10-12-m"]}


# ---- apply: all or nothing --------------------------------------------------------------------


def test_apply_with_a_menu_already_on_a_day_creates_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    sizes = {"staple": 2, "animal_protein": 2, "plant_protein": 0, "vegetable": 2, "fruit": 2}
    inst = make_instance(client, admin, 40, sizes=sizes)
    existing = make_menu(
        client, inst.manager, inst.kitchen["id"], [(str(inst.recipes[0].id), 1)], service_date=TUE
    )
    listed = f"/api/v1/kitchens/{inst.kitchen['id']}/menus"
    problem = assert_problem(
        plan(client, inst.manager, inst.kitchen, apply=True), 409, "menu_exists"
    )
    assert problem["menu_id"] == existing["id"]
    items = client.get(listed, headers=inst.manager).json()["items"]
    assert [m["id"] for m in items] == [existing["id"]]
    # A breakfast plan does not meet the lunch menu; a plan not applied writes nothing anyway.
    assert planned(client, inst.manager, inst.kitchen)["applied"] is False
    assert len(client.get(listed, headers=inst.manager).json()["items"]) == 1
    breakfast = plan(client, inst.manager, inst.kitchen, meal_type="breakfast", apply=True)
    assert breakfast.status_code == 200, breakfast.text


def test_a_suspended_kitchen_cannot_apply_a_plan(client: TestClient, admin: dict[str, str]) -> None:
    sizes = {"staple": 2, "animal_protein": 2, "plant_protein": 0, "vegetable": 2, "fruit": 2}
    inst = make_instance(client, admin, 41, sizes=sizes)
    suspend(client, admin, inst.kitchen["id"])
    assert_problem(plan(client, inst.manager, inst.kitchen, apply=True), 409, "kitchen_suspended")
    menus = client.get(f"/api/v1/kitchens/{inst.kitchen['id']}/menus", headers=admin).json()
    assert menus["items"] == []
    assert planned(client, inst.manager, inst.kitchen)["status"] == "optimal"


# ---- the request itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"from": MON, "to": "2026-04-02"},  # 32 days
        {"from": WED, "to": MON},
        {"from": SUN, "to": SUN},
        {"max_repeats": 0},
        {"max_repeats": "2"},
        {"apply": "yes"},
        {"meal_type": "dinner"},
        {"recipe_ids": []},
        {"recipe_ids": ["not-a-uuid"]},
        {"from": "2026-03-02T00:00:00+07:00"},
        {"colour": "blue"},
    ],
)
def test_a_malformed_request_is_422(
    client: TestClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    kitchen = make_kitchen(client, admin)
    assert_problem(plan(client, admin, kitchen, **body), 422)


def test_thirty_one_days_are_allowed(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin)
    make_school(client, admin, kitchen["id"], enrolment=ENROLMENT)
    answer = planned(client, admin, kitchen, **{"from": "2026-03-01", "to": "2026-03-31"})
    # No recipe has a price: nothing to plan with, and the answer says so.
    assert answer["status"] == "infeasible"
    assert answer["reasons"][0].startswith("No staple recipe available")


def test_too_many_combinations_are_refused(
    client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = make_instance(client, admin, 3)
    monkeypatch.setattr(plates, "MAX_COMBINATIONS", 4)
    problem = assert_problem(plan(client, inst.manager, inst.kitchen), 422, "plan_too_large")
    assert "recipe_ids" in problem["detail"]


def test_a_busy_planner_answers_503(
    client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = make_instance(client, admin, 3)
    monkeypatch.setattr(service, "QUEUE_WAIT", 0.2)
    assert service._SLOTS.acquire(blocking=False)
    try:
        resp = plan(client, inst.manager, inst.kitchen)
    finally:
        service._SLOTS.release()
    assert_problem(resp, 503, "planner_busy")
    assert resp.headers["retry-after"]
    assert plan(client, inst.manager, inst.kitchen).status_code == 200
