"""Ingredient demand: every number computed by hand from the menus, counts and enrolment.

The programme (tests.builders.reports): A1 and A2 in 32.73.01, B in 32.04.05, C in
35.78.02. Enrolment: A1 has SA1 (7-9: 100, 10-12-m: 40) and SA2 (7-9: 60); A2 has SA3
(7-9: 20); B has SB (7-9: 50, 13-15-f: 30); C has SC (7-9: 10).

Foods: rice (beras, BDD 100 %), brown rice (beras, 100 %), egg (telur ayam, 80 %), spinach
(bayam, 50 %). Recipes: nasi = 100 g rice; telur bayam = 50 g egg + 20 g spinach;
nasi merah = 50 g brown rice.

Dates: D0 Fri 2030-12-27 is in ISO week 2030-W52; D1 Mon 2030-12-30, D2 Tue 2030-12-31 and
D3 Thu 2031-01-02 are all in ISO week 2031-W01 (the ISO year, not the calendar year).
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_kitchen, make_school
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, put_counts
from tests.builders.reports import (
    DEMAND,
    Programme,
    count,
    csv_text,
    get_csv,
    get_rows,
    make_programme,
)

D0, D1, D2, D3, D4 = "2030-12-27", "2030-12-30", "2030-12-31", "2031-01-02", "2031-01-06"
RANGE = {"from": D0, "to": "2031-01-05"}


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> Programme:
    w = make_programme(client, admin)
    rice = make_food(client, admin, {}, code="T-BERAS-PUTIH", commodity="beras")
    brown = make_food(client, admin, {}, code="T-BERAS-MERAH", commodity="beras")
    egg = make_food(client, admin, {}, commodity="telur ayam", edible_portion_pct=80)
    spinach = make_food(client, admin, {}, commodity="bayam", edible_portion_pct=50)
    nasi = make_recipe(client, admin, [(rice["id"], 100)])["id"]
    telur_bayam = make_recipe(client, admin, [(egg["id"], 50), (spinach["id"], 20)])["id"]
    nasi_merah = make_recipe(client, admin, [(brown["id"], 50)])["id"]

    def menu(kitchen: dict[str, Any], day: str, items: list[tuple[str, float]], **f: Any) -> Any:
        return make_menu(client, admin, kitchen["id"], items, service_date=day, **f)

    # D0: B: no counts, enrolment 50 + 30 = 80 portions x 2 servings x 100 g = 16 kg rice.
    menu(w.b, D0, [(nasi, 2)])
    menu(w.c, D0, [(nasi, 1)])  # East Java: 10 x 100 g = 1 kg
    # D1, a day with prepared counts. A1: SA1 7-9 prepared 90 (planned 100 ignored); SA1
    # 10-12-m has a count row with only planned 40; SA2 has no row, so its enrolment 60.
    # Weighted portions 90 + 60 + 40 x 1.5 = 210 (190 unweighted); a portion holds
    # 100 g rice, 2 x 50 = 100 g egg, 2 x 20 = 40 g spinach: rice 21 kg, egg 21 kg
    # (buy 21 / 0.8 = 26.25), spinach 8.4 kg (buy 16.8).
    a1_d1 = menu(w.a1, D1, [(nasi, 1), (telur_bayam, 2)], portion_factors={"10-12-m": 1.5})
    put_counts(
        client,
        admin,
        w.a1["id"],
        D1,
        [count(w.sa1, "7-9", 100, 90), count(w.sa1, "10-12-m", 40)],
    )
    approve = client.post(
        f"/api/v1/menus/{a1_d1['id']}/approve",
        json={"override_reason": "Approved ahead for the demand test"},
        headers=admin,
    )
    assert approve.status_code == 200, approve.text  # approved menus count as drafts do
    # A2: SA3's 7-9 has no count row (enrolment 20); its 10-12-f, where nobody is
    # enrolled, is planned at 10: 30 portions, 3 kg rice.
    menu(w.a2, D1, [(nasi, 1)])
    put_counts(client, admin, w.a2["id"], D1, [count(w.sa3, "10-12-f", 10)])
    menu(w.b, D1, [(nasi, 1)])  # enrolment 80: 8 kg rice
    # D2, a day with only planned counts: SA1 7-9 80, SA1 10-12-m planned by default = its
    # enrolment 40, SA2 7-9 50: 170 portions. Lunch: rice 17 kg. Snack with factor 0.6
    # for 7-9: (80 + 50) x 0.6 + 40 = 118 weighted: egg 5.9 kg (buy 7.375), spinach
    # 2.36 kg (buy 4.72).
    put_counts(
        client,
        admin,
        w.a1["id"],
        D2,
        [count(w.sa1, "7-9", 80), count(w.sa1, "10-12-m"), count(w.sa2, "7-9", 50)],
    )
    menu(w.a1, D2, [(nasi, 1)])
    menu(w.a1, D2, [(telur_bayam, 1)], meal_type="snack", portion_factors={"7-9": 0.6})
    # D3, a future day with enrolment only. A1: 100 + 40 + 60 = 200: rice 20 kg. B: 80
    # portions: rice 8 kg, brown rice 4 kg (beras 12 kg), egg 4 kg (buy 5), spinach 1.6
    # kg (buy 3.2).
    menu(w.a1, D3, [(nasi, 1)])
    menu(w.b, D3, [(nasi, 1), (telur_bayam, 1), (nasi_merah, 1)])
    menu(w.a1, D4, [(nasi, 1)])  # after `to`: not counted
    return w


def demand(
    period: str,
    region: str,
    commodity: str,
    edible: float,
    purchase: float,
    portions: int,
    kitchens: int,
    value: int | None = None,
) -> dict[str, Any]:
    """A demand row; `value_idr` is null here, where no food has a price (prices, raw forms
    and values: tests/prices/test_costs.py)."""
    return {
        "period": period,
        "region_code": region,
        "commodity": commodity,
        "edible_kg": edible,
        "purchase_kg": purchase,
        "portions": portions,
        "kitchens": kitchens,
        "value_idr": value,
    }


def test_weekly_demand_by_commodity_per_regency(client: TestClient, world: Programme) -> None:
    rows = get_rows(client, DEMAND, world.agri_32, period="week", **RANGE)
    assert rows == [
        demand("2030-W52", "32.04", "beras", 16, 16, 80, 1),
        demand("2031-W01", "32.04", "bayam", 1.6, 3.2, 80, 1),
        # B's D1 lunch (8 kg, 80 portions) and D3 lunch (rice 8 + brown 4; 80 portions:
        # a menu counts once in a commodity's row however many of its foods it uses).
        demand("2031-W01", "32.04", "beras", 20, 20, 160, 1),
        demand("2031-W01", "32.04", "telur ayam", 4, 5, 80, 1),
        # A1's D1 lunch (190 portions) and D2 snack (170).
        demand("2031-W01", "32.73", "bayam", 10.76, 21.52, 360, 1),
        # A1: 21 + 17 + 20, A2: 3; portions 190 + 170 + 200 + 30; two kitchens.
        demand("2031-W01", "32.73", "beras", 61, 61, 590, 2),
        demand("2031-W01", "32.73", "telur ayam", 26.9, 33.625, 360, 1),
    ]


def test_monthly_demand_splits_the_iso_week_at_the_month(
    client: TestClient, world: Programme
) -> None:
    rows = get_rows(client, DEMAND, world.agri_32, period="month", **RANGE)
    assert rows == [
        demand("2030-12", "32.04", "beras", 24, 24, 160, 1),
        demand("2030-12", "32.73", "bayam", 10.76, 21.52, 360, 1),
        demand("2030-12", "32.73", "beras", 41, 41, 390, 2),
        demand("2030-12", "32.73", "telur ayam", 26.9, 33.625, 360, 1),
        demand("2031-01", "32.04", "bayam", 1.6, 3.2, 80, 1),
        demand("2031-01", "32.04", "beras", 12, 12, 80, 1),
        demand("2031-01", "32.04", "telur ayam", 4, 5, 80, 1),
        demand("2031-01", "32.73", "beras", 20, 20, 200, 1),
    ]


def test_daily_demand_per_district(client: TestClient, world: Programme) -> None:
    rows = get_rows(client, DEMAND, world.agri_32, period="day", region_level="district", **RANGE)
    day_one = [r for r in rows if r["period"] == D1]
    assert day_one == [
        demand(D1, "32.04.05", "beras", 8, 8, 80, 1),
        demand(D1, "32.73.01", "bayam", 8.4, 16.8, 190, 1),
        demand(D1, "32.73.01", "beras", 24, 24, 220, 2),
        demand(D1, "32.73.01", "telur ayam", 21, 26.25, 190, 1),
    ]
    day_two = [r for r in rows if r["period"] == D2]
    assert day_two == [
        demand(D2, "32.73.01", "bayam", 2.36, 4.72, 170, 1),
        demand(D2, "32.73.01", "beras", 17, 17, 170, 1),
        demand(D2, "32.73.01", "telur ayam", 5.9, 7.375, 170, 1),
    ]
    assert {r["period"] for r in rows} == {D0, D1, D2, D3}


def test_demand_by_food_per_province(client: TestClient, world: Programme) -> None:
    rows = get_rows(
        client,
        DEMAND,
        world.agri_32,
        period="day",
        by="food",
        region_level="province",
        **{"from": D3, "to": D3},
    )
    assert [
        (r["commodity"], r["food_code"], r["edible_kg"], r["purchase_kg"], r["portions"])
        for r in rows
    ] == [
        ("bayam", rows[0]["food_code"], 1.6, 3.2, 80),
        ("beras", "T-BERAS-MERAH", 4, 4, 80),
        ("beras", "T-BERAS-PUTIH", 28, 28, 280),  # A1 20 kg + B 8 kg
        ("telur ayam", rows[3]["food_code"], 4, 5, 80),
    ]
    assert {r["region_code"] for r in rows} == {"32"}
    assert [r["kitchens"] for r in rows] == [1, 1, 2, 1]
    assert all(r["food_name"].startswith("Test food ") for r in rows)
    assert list(rows[0]) == [
        "period",
        "region_code",
        "commodity",
        "food_code",
        "food_name",
        "edible_kg",
        "purchase_kg",
        "portions",
        "kitchens",
        "value_idr",
    ]


def test_demand_region_scope(client: TestClient, world: Programme) -> None:
    national = get_rows(client, DEMAND, world.admin, period="week", **RANGE)
    assert demand("2030-W52", "35.78", "beras", 1, 1, 10, 1) in national
    own = get_rows(client, DEMAND, world.agri_3273, period="week", **RANGE)
    assert {r["region_code"] for r in own} == {"32.73"}
    assert len(own) == 3
    narrowed = get_rows(client, DEMAND, world.agri_32, period="week", region_code="32.04", **RANGE)
    assert {r["region_code"] for r in narrowed} == {"32.04"}
    outside = client.get(DEMAND, params={**RANGE, "region_code": "32"}, headers=world.agri_3273)
    assert_problem(outside, 403, "region_forbidden")


def test_demand_pages_and_csv_match(client: TestClient, world: Programme) -> None:
    params = {"period": "day", "by": "food", **RANGE}
    whole = get_rows(client, DEMAND, world.agri_32, **params)
    assert len(whole) == 13  # D0: 1, D1: 4, D2: 3, D3: 5 (food, region) pairs
    assert get_rows(client, DEMAND, world.agri_32, limit=3, **params) == whole
    lines = get_csv(client, DEMAND, world.agri_32, **params)
    assert lines[0] == list(whole[0])
    assert lines[1:] == [[csv_text(v) for v in r.values()] for r in whole]


def test_short_region_codes_stay_as_they_are(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin, region_code="32")
    make_school(client, admin, kitchen["id"], enrolment={"7-9": 3})
    food = make_food(client, admin, {}, commodity="jagung")
    recipe = make_recipe(client, admin, [(food["id"], 250)])
    make_menu(client, admin, kitchen["id"], [(recipe["id"], 1)], service_date="2030-01-07")
    rows = get_rows(
        client,
        DEMAND,
        admin,
        period="week",
        region_level="district",
        **{"from": "2030-01-01", "to": "2030-01-31"},
    )
    assert rows == [demand("2030-W02", "32", "jagung", 0.75, 0.75, 3, 1)]
