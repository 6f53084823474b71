"""Cost per portion, budgets, over-budget approvals and the value of demand (docs/costs.md).

Every number is worked out by hand below from these foods and prices (national, per kg):

- rice, raw (BDD 100 %): Rp 12,000; cooked rice ("nasi") is made from it, yield 2.5;
- chicken (BDD 50 %): Rp 40,000; oil (BDD 100 %): Rp 20,000.

Recipes per standard portion: nasi = 250 g cooked rice (100 g raw rice bought: Rp 1,200);
ayam = 60 g chicken (120 g bought: Rp 4,800) + 5 g oil (Rp 100), Rp 4,900. A lunch of one
of each costs Rp 6,100 and gives 600 kcal and 22.5 g protein. Kitchen K enrols 100 pupils
of 7-9 and 40 of 10-12-m; the lunch serves them factors 0.9 and 1.1 (both pass the check):
Rp 5,490 and Rp 6,710 a portion, Rp 549,000 + Rp 268,400 = Rp 817,400 a day.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_api_key, make_kitchen, make_manager, make_school
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, nutrition_check, put_counts
from tests.builders.reports import DEMAND, get_rows

DAY = "2026-03-02"
FACTORS = {"7-9": 0.9, "10-12-m": 1.1}
OVERRIDE = {"override_reason": "Harga ayam naik minggu ini, disetujui dinas"}


def price(
    client: TestClient, headers: dict[str, str], food: str, value: int, since: str, **scope: Any
) -> None:
    body = {"food_id": food, "price_per_kg": value, "valid_from": since, **scope}
    resp = client.post("/api/v1/food-prices", json=body, headers=headers)
    assert resp.status_code == 201, resp.text


@pytest.fixture
def w(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    k = make_kitchen(client, admin, region_code="32.73.01")
    school = make_school(client, admin, k["id"], enrolment={"7-9": 100, "10-12-m": 40})
    rice = make_food(client, admin, {"energy_kcal": 360, "protein_g": 7}, commodity="beras")
    nasi = make_food(
        client,
        admin,
        {"energy_kcal": 160, "protein_g": 3},
        commodity="beras",
        raw_food_id=rice["id"],
        cooked_yield=2.5,
    )
    chicken = make_food(
        client,
        admin,
        {"energy_kcal": 300, "protein_g": 25},
        commodity="daging ayam",
        edible_portion_pct=50,
    )
    oil = make_food(client, admin, {"energy_kcal": 400}, commodity="minyak goreng")
    unpriced = make_food(client, admin, {"energy_kcal": 100}, commodity="sayuran lain")
    for food, value in ((rice, 12_000), (chicken, 40_000), (oil, 20_000)):
        price(client, admin, food["id"], value, "2026-01-01")
    return {
        "k": k,
        "school": school,
        "rice": rice,
        "nasi_food": nasi,
        "chicken": chicken,
        "oil": oil,
        "unpriced": unpriced,
        "nasi": make_recipe(client, admin, [(nasi["id"], 250)]),
        "ayam": make_recipe(client, admin, [(chicken["id"], 60), (oil["id"], 5)]),
        "sayur": make_recipe(client, admin, [(unpriced["id"], 50), (oil["id"], 5)]),
        "manager": make_manager(client, admin, k["id"]),
    }


def lunch(
    client: TestClient, headers: dict[str, str], w: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    items = [(w["nasi"]["id"], 1), (w["ayam"]["id"], 1)]
    return make_menu(
        client, headers, w["k"]["id"], items, service_date=DAY, portion_factors=FACTORS, **fields
    )


def costs(check: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        g["target_group"]: (
            g["cost"]["cost_per_portion"],
            g["cost"]["budget"],
            g["cost"]["status"],
            g["cost"]["portions"],
        )
        for g in check["groups"]
    }


def test_recipe_cost_per_portion(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    nasi = client.get(
        f"/api/v1/recipes/{w['nasi']['id']}", params={"date": DAY}, headers=admin
    ).json()
    # 250 g cooked rice / 2.5 = 100 g raw rice x Rp 12,000 / kg: the raw food is what is bought.
    assert (nasi["cost_per_portion"], nasi["missing_prices"]) == (1200.0, [])
    assert (nasi["priced_on"], nasi["priced_for_kitchen_id"]) == (DAY, None)
    ayam = client.get(
        f"/api/v1/recipes/{w['ayam']['id']}", params={"date": DAY}, headers=admin
    ).json()
    assert ayam["cost_per_portion"] == 4900.0  # 60 g at 50 % edible = 120 g bought
    sayur = client.get(f"/api/v1/recipes/{w['sayur']['id']}", headers=admin).json()
    assert (sayur["cost_per_portion"], sayur["missing_prices"]) == (None, [w["unpriced"]["id"]])
    # A cooked food without a price of its own is fine: its raw food is what is priced.
    assert w["nasi_food"]["id"] not in nasi["missing_prices"]
    # Before any price was valid, nothing is known.
    early = client.get(
        f"/api/v1/recipes/{w['nasi']['id']}", params={"date": "2025-12-31"}, headers=admin
    )
    assert early.json()["missing_prices"] == [w["rice"]["id"]]


def test_recipe_cost_at_a_kitchens_prices(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    k = w["k"]
    price(client, w["manager"], w["rice"]["id"], 10_000, "2026-03-01", kitchen_id=k["id"])
    price(client, admin, w["chicken"]["id"], 45_000, "2026-02-01", region_code="32.73")
    url = f"/api/v1/recipes/{w['ayam']['id']}"
    at_k = client.get(url, params={"kitchen_id": k["id"], "date": DAY}, headers=w["manager"]).json()
    assert at_k["cost_per_portion"] == 5500.0  # 120 g x 45,000 + 100 for the oil
    assert at_k["priced_for_kitchen_id"] == k["id"]
    national = client.get(url, params={"date": DAY}, headers=w["manager"]).json()
    assert national["cost_per_portion"] == 4900.0
    nasi = client.get(
        f"/api/v1/recipes/{w['nasi']['id']}",
        params={"kitchen_id": k["id"], "date": DAY},
        headers=admin,
    )
    assert nasi.json()["cost_per_portion"] == 1000.0
    before = client.get(
        f"/api/v1/recipes/{w['nasi']['id']}",
        params={"kitchen_id": k["id"], "date": "2026-02-28"},
        headers=admin,
    )
    assert before.json()["cost_per_portion"] == 1200.0
    # The list costs a kitchen's own recipes at its prices.
    own = make_recipe(client, admin, [(w["nasi_food"]["id"], 500)], kitchen_id=k["id"])
    listed = client.get(
        "/api/v1/recipes", params={"kitchen_id": k["id"], "date": DAY}, headers=admin
    ).json()
    assert [(r["id"], r["cost_per_portion"]) for r in listed["items"]] == [(own["id"], 2000.0)]
    # Another kitchen's prices are not the caller's to read.
    other = make_kitchen(client, admin, region_code="35.78.02")
    outside = client.get(url, params={"kitchen_id": other["id"]}, headers=w["manager"])
    assert_problem(outside, 404, "not_found")


def test_check_costs_each_group_and_the_day(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    menu = lunch(client, admin, w)
    check = nutrition_check(client, admin, menu["id"])
    assert check["overall"] == "pass"
    assert costs(check) == {
        "7-9": (5490.0, 8000, "ok", 100),
        "10-12-m": (6710.0, 10000, "ok", 40),
    }
    assert check["cost_per_day"] == 817_400.0
    assert check["missing_prices"] == []
    assert sorted(
        (p["food_id"], p["price_per_kg"], p["source"]) for p in check["prices"]
    ) == sorted(
        [
            (w["rice"]["id"], 12_000, "national"),
            (w["chicken"]["id"], 40_000, "national"),
            (w["oil"]["id"], 20_000, "national"),
        ]
    )
    # Portions as demand counts them: prepared where known, else planned, else enrolment.
    put_counts(
        client,
        admin,
        w["k"]["id"],
        DAY,
        [{"school_id": w["school"]["id"], "target_group": "7-9", "planned": 95, "prepared": 90}],
    )
    counted = nutrition_check(client, admin, menu["id"])
    assert costs(counted)["7-9"][3] == 90 and costs(counted)["10-12-m"][3] == 40
    assert counted["cost_per_day"] == 90 * 5490 + 40 * 6710


def test_unknown_cost_when_a_price_is_missing(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    items = [(w["nasi"]["id"], 1), (w["sayur"]["id"], 2)]
    menu = make_menu(client, admin, w["k"]["id"], items, service_date=DAY)
    check = nutrition_check(client, admin, menu["id"])
    assert {g["cost"]["status"] for g in check["groups"]} == {"unknown"}
    assert {g["cost"]["cost_per_portion"] for g in check["groups"]} == {None}
    assert check["cost_per_day"] is None
    assert check["missing_prices"] == [w["unpriced"]["id"]]


def test_budgets_default_and_per_kitchen(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    k = w["k"]
    assert (k["halal_required"], k["budget_per_portion"]) == (True, {})
    menu = lunch(client, admin, w)
    patched = client.patch(
        f"/api/v1/kitchens/{k['id']}",
        json={"budget_per_portion": {"10-12-m": 6500, "7-9": 5000}},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["budget_per_portion"] == {"7-9": 5000, "10-12-m": 6500}
    check = nutrition_check(client, admin, menu["id"])
    assert costs(check) == {
        "7-9": (5490.0, 5000, "over_budget", 100),
        "10-12-m": (6710.0, 6500, "over_budget", 40),
    }
    # `{}` returns every group to the programme default.
    reset = client.patch(
        f"/api/v1/kitchens/{k['id']}", json={"budget_per_portion": {}}, headers=admin
    )
    assert reset.json()["budget_per_portion"] == {}
    assert {g["cost"]["budget"] for g in nutrition_check(client, admin, menu["id"])["groups"]} == {
        8000,
        10000,
    }
    # A portion exactly at the budget is within it.
    exact = client.patch(
        f"/api/v1/kitchens/{k['id']}", json={"budget_per_portion": {"7-9": 5490}}, headers=admin
    )
    assert exact.status_code == 200
    assert costs(nutrition_check(client, admin, menu["id"]))["7-9"][2] == "ok"


@pytest.mark.parametrize(
    "budget",
    [
        {"7-8": 8000},
        {"7-9": 0},
        {"7-9": -1},
        {"7-9": 8000.5},
        {"7-9": "8000"},
        {"7-9": None},
        {"7-9": 2_147_483_648},
        None,
        [8000],
    ],
)
def test_bad_budgets_are_422(client: TestClient, admin: dict[str, str], budget: Any) -> None:
    body = {
        "code": "K-BUDGET",
        "name": "SPPG",
        "region_code": "32.73.01",
        "budget_per_portion": budget,
    }
    assert_problem(client.post("/api/v1/kitchens", json=body, headers=admin), 422)
    k = make_kitchen(client, admin)
    resp = client.patch(
        f"/api/v1/kitchens/{k['id']}", json={"budget_per_portion": budget}, headers=admin
    )
    assert_problem(resp, 422)
    assert client.get(f"/api/v1/kitchens/{k['id']}", headers=admin).json() == k


def test_over_budget_approval_needs_an_override(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    k = w["k"]
    client.patch(
        f"/api/v1/kitchens/{k['id']}", json={"budget_per_portion": {"10-12-m": 6500}}, headers=admin
    )
    menu = lunch(client, w["manager"], w)
    url = f"/api/v1/menus/{menu['id']}/approve"
    refused = assert_problem(client.post(url, headers=w["manager"]), 409, "over_budget")
    assert refused["over_budget_groups"] == ["10-12-m"]
    assert client.get(f"/api/v1/menus/{menu['id']}", headers=admin).json()["status"] == "draft"
    blank = client.post(url, json={"override_reason": "\u200b" * 12}, headers=w["manager"])
    assert_problem(blank, 422)
    approved = client.post(url, json=OVERRIDE, headers=w["manager"])
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["override_reason"] == OVERRIDE["override_reason"]
    assert costs(body["nutrition_check"])["10-12-m"] == (6710.0, 6500, "over_budget", 40)


def test_within_budget_and_unknown_costs_need_no_override(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    menu = lunch(client, admin, w)
    ok = client.post(f"/api/v1/menus/{menu['id']}/approve", headers=admin)
    assert ok.status_code == 200, ok.text
    assert ok.json()["override_reason"] is None


def test_an_approved_menu_keeps_its_prices(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    menu = lunch(client, admin, w)
    approved = client.post(f"/api/v1/menus/{menu['id']}/approve", headers=admin).json()
    kept = approved["nutrition_check"]
    assert kept["cost_per_day"] == 817_400.0
    # Rice doubles from the first of the month, which holds the menu's day.
    price(client, admin, w["rice"]["id"], 24_000, "2026-03-01")
    again = nutrition_check(client, admin, menu["id"])
    assert again == kept
    assert (
        client.get(f"/api/v1/menus/{menu['id']}", headers=admin).json()["nutrition_check"] == kept
    )
    # A draft of the same day reads the new price: 100 g more rice at +Rp 12,000 / kg.
    items = [(w["nasi"]["id"], 1), (w["ayam"]["id"], 1)]
    draft = make_menu(
        client,
        admin,
        w["k"]["id"],
        items,
        service_date=DAY,
        meal_type="breakfast",
        portion_factors=FACTORS,
    )
    live = nutrition_check(client, admin, draft["id"])
    assert costs(live)["7-9"][0] == round(0.9 * 7300, 2)
    assert live["cost_per_day"] == 100 * 0.9 * 7300 + 40 * 1.1 * 7300


def test_demand_counts_cooked_food_as_raw_and_values_it(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    menu = lunch(client, admin, w)
    office = make_api_key(client, admin, "agriculture_office", "32")[1]
    rows = get_rows(client, DEMAND, office, period="day", by="food", **{"from": DAY, "to": DAY})
    by_code = {r["food_code"]: r for r in rows}
    # Weighted portions 100 x 0.9 + 40 x 1.1 = 134: 134 x 100 g raw rice, never cooked rice.
    assert w["nasi_food"]["code"] not in by_code
    rice = by_code[w["rice"]["code"]]
    assert (rice["commodity"], rice["edible_kg"], rice["purchase_kg"], rice["value_idr"]) == (
        "beras",
        13.4,
        13.4,
        160_800,
    )
    chicken = by_code[w["chicken"]["code"]]
    assert (chicken["edible_kg"], chicken["purchase_kg"], chicken["value_idr"]) == (
        8.04,
        16.08,
        643_200,
    )
    assert by_code[w["oil"]["code"]]["value_idr"] == 13_400
    # The value of the day's demand is the menu's cost of the day.
    check = nutrition_check(client, admin, menu["id"])
    assert sum(r["value_idr"] for r in rows) == check["cost_per_day"]
    # The kitchen's own rice price is what its purchases are worth.
    price(client, admin, w["rice"]["id"], 10_000, "2026-03-01", kitchen_id=w["k"]["id"])
    rows = get_rows(client, DEMAND, office, period="day", **{"from": DAY, "to": DAY})
    assert {r["commodity"]: r["value_idr"] for r in rows}["beras"] == 134_000


def test_demand_value_is_null_when_a_price_is_missing(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    make_menu(client, admin, w["k"]["id"], [(w["sayur"]["id"], 1)], service_date=DAY)
    office = make_api_key(client, admin, "agriculture_office", "32")[1]
    rows = get_rows(client, DEMAND, office, period="week", **{"from": DAY, "to": DAY})
    values = {r["commodity"]: r["value_idr"] for r in rows}
    # Oil has a price (140 x 5 g = 0.7 kg: Rp 14,000); the unpriced vegetable has none.
    assert values == {"minyak goreng": 14_000, "sayuran lain": None}


def test_groups_of_the_check_with_costs(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    """The groups are those the check always had: enrolled (> 0 pupils) or named in the
    factors; one named only in the factors eats no portions that day."""
    make_school(client, admin, w["k"]["id"], enrolment={"13-15-f": 0, "7-9": 20})
    items = [(w["nasi"]["id"], 1), (w["ayam"]["id"], 1)]
    factors = {**FACTORS, "16-18-m": 1.2}
    menu = make_menu(client, admin, w["k"]["id"], items, service_date=DAY, portion_factors=factors)
    check = nutrition_check(client, admin, menu["id"])
    assert costs(check) == {
        "7-9": (5490.0, 8000, "ok", 120),
        "10-12-m": (6710.0, 10000, "ok", 40),
        "16-18-m": (7320.0, 10000, "ok", 0),
    }
    assert check["cost_per_day"] == 120 * 5490 + 40 * 6710
