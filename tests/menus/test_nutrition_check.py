"""The nutrition check of docs/menus.md, every number computed here from the test's own foods."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import make_school
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import OpsWorld, make_menu, make_ops_world, nutrition_check

NUTRIENTS = (
    "energy_kcal",
    "protein_g",
    "fat_g",
    "carbohydrate_g",
    "fiber_g",
    "calcium_mg",
    "iron_mg",
    "vitamin_a_mcg",
    "vitamin_c_mg",
    "sodium_mg",
)
# Per 100 g. F1 has no vitamin A value: it counts as 0 and is reported incomplete.
F1 = dict(zip(NUTRIENTS, (240, 4, 2, 50, 2, 20, 2, None, 10, 200), strict=True))
F2 = dict(zip(NUTRIENTS, (168, 12, 10, 2, 0, 60, 1, 150, 0, 400), strict=True))
# AKG 2019 daily needs as shipped (Permenkes 28/2019).
AKG_7_9 = dict(zip(NUTRIENTS, (1650, 40, 55, 250, 23, 1000, 10, 500, 45, 1000), strict=True))
AKG_13_15_M = dict(zip(NUTRIENTS, (2400, 70, 80, 350, 34, 1200, 11, 600, 75, 1500), strict=True))


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    w = make_ops_world(client, admin)
    # Groups checked: those with enrolment > 0 here; the zero and kitchen B's do not count.
    make_school(client, admin, w.a["id"], enrolment={"7-9": 50, "13-15-m": 30, "10-12-f": 0})
    make_school(client, admin, w.b["id"], enrolment={"16-18-f": 20})
    return w


@pytest.fixture
def lunch(client: TestClient, world: OpsWorld) -> dict[str, Any]:
    """Rice-like R1 (150 g of F1, national) once, egg-like R2 (100 g of F2, kitchen A's) once."""
    f1 = make_food(client, world.admin, F1)
    f2 = make_food(client, world.admin, F2)
    r1 = make_recipe(client, world.admin, [(f1["id"], 150)])
    r2 = make_recipe(client, world.manager_a, [(f2["id"], 100)], kitchen_id=world.a["id"])
    menu = make_menu(client, world.manager_a, world.a["id"], [(r1["id"], 1), (r2["id"], 1)])
    return {"menu": menu, "f1": f1, "f2": f2, "r1": r1, "r2": r2}


def portion() -> dict[str, float]:
    """One portion of the lunch: 150 g of F1 plus 100 g of F2, F1's null as 0."""
    return {n: 150 / 100 * (F1[n] or 0) + 100 / 100 * (F2[n] or 0) for n in NUTRIENTS}


def test_check_passes_one_group_and_fails_another(
    client: TestClient, world: OpsWorld, lunch: dict[str, Any]
) -> None:
    check = nutrition_check(client, world.manager_a, lunch["menu"]["id"])
    assert check["menu_id"] == lunch["menu"]["id"]
    assert check["meal_type"] == "lunch"
    assert (check["min_share"], check["max_share"]) == (0.30, 0.35)
    assert [g["target_group"] for g in check["groups"]] == ["7-9", "13-15-m"]
    assert check["incomplete_nutrients"] == ["vitamin_a_mcg"]
    by_group = {g["target_group"]: g for g in check["groups"]}

    # 7-9: energy 528 kcal of 1650 is 0.32 of the day, protein 18 g of 40 is 0.45: pass.
    g79 = by_group["7-9"]
    assert g79["status"] == "pass"
    assert set(g79["nutrients"]) == set(NUTRIENTS)
    expected_status = {
        "energy_kcal": "ok",  # 528 / 1650 = 0.32
        "protein_g": "ok",  # 18 / 40 = 0.45
        "fat_g": "low",  # 13 / 55 = 0.2364
        "carbohydrate_g": "ok",  # 77 / 250 = 0.308
        "fiber_g": "low",  # 3 / 23 = 0.1304
        "calcium_mg": "low",  # 90 / 1000 = 0.09
        "iron_mg": "ok",  # 4 / 10 = 0.4
        "vitamin_a_mcg": "ok",  # 150 / 500 = 0.30, exactly min_share
        "vitamin_c_mg": "ok",  # 15 / 45 = 0.3333 (never high: only energy and sodium are)
        "sodium_mg": "high",  # 700 / 1000 = 0.7 (sodium is never low)
    }
    values = portion()
    assert values["energy_kcal"] == 528 and values["protein_g"] == 18
    for n in NUTRIENTS:
        got = g79["nutrients"][n]
        assert got["value"] == pytest.approx(values[n]), n
        assert got["target"] == AKG_7_9[n], n
        assert got["share"] == pytest.approx(values[n] / AKG_7_9[n], abs=5e-5), n
        assert got["status"] == expected_status[n], n

    # 13-15-m: 528 / 2400 = 0.22 energy, 18 / 70 = 0.2571 protein: fail.
    g13 = by_group["13-15-m"]
    assert g13["status"] == "fail"
    assert g13["nutrients"]["energy_kcal"]["share"] == pytest.approx(0.22)
    assert g13["nutrients"]["energy_kcal"]["status"] == "low"
    assert g13["nutrients"]["protein_g"]["share"] == pytest.approx(18 / 70, abs=5e-5)
    assert g13["nutrients"]["protein_g"]["status"] == "low"
    assert g13["nutrients"]["sodium_mg"]["share"] == pytest.approx(700 / 1500, abs=5e-5)
    assert g13["nutrients"]["sodium_mg"]["status"] == "high"
    assert check["overall"] == "fail"


def test_portion_factors_scale_a_group_and_add_named_groups(
    client: TestClient, world: OpsWorld, lunch: dict[str, Any]
) -> None:
    menu_id = lunch["menu"]["id"]
    resp = client.patch(
        f"/api/v1/menus/{menu_id}",
        json={"portion_factors": {"13-15-m": 1.4, "16-18-f": 1.3}},
        headers=world.manager_a,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["portion_factors"] == {"13-15-m": 1.4, "16-18-f": 1.3}
    check = nutrition_check(client, world.manager_a, menu_id)
    by_group = {g["target_group"]: g for g in check["groups"]}
    assert list(by_group) == ["7-9", "13-15-m", "16-18-f"]
    # 13-15-m at 1.4: 739.2 kcal of 2400 = 0.308, 25.2 g protein of 70 = 0.36: pass.
    g13 = by_group["13-15-m"]
    assert g13["factor"] == 1.4
    assert g13["nutrients"]["energy_kcal"]["value"] == pytest.approx(528 * 1.4)
    assert g13["nutrients"]["energy_kcal"]["share"] == pytest.approx(0.308)
    assert g13["nutrients"]["protein_g"]["share"] == pytest.approx(0.36)
    assert g13["status"] == "pass"
    # 16-18-f (no pupils, but named) at 1.3: 686.4 kcal of 2100 = 0.3269, 23.4 g of 65 = 0.36.
    g16 = by_group["16-18-f"]
    assert g16["nutrients"]["energy_kcal"]["share"] == pytest.approx(686.4 / 2100, abs=5e-5)
    assert g16["status"] == "pass"
    assert by_group["7-9"]["factor"] == 1.0
    assert check["overall"] == "pass"


def test_servings_multiply_recipe_nutrients(
    client: TestClient, world: OpsWorld, lunch: dict[str, Any]
) -> None:
    menu = lunch["menu"]
    resp = client.patch(
        f"/api/v1/menus/{menu['id']}",
        json={"items": [{"recipe_id": lunch["r1"]["id"], "servings": 1.5}]},
        headers=world.manager_a,
    )
    assert resp.status_code == 200, resp.text
    check = nutrition_check(client, world.manager_a, menu["id"])
    g79 = check["groups"][0]
    # 1.5 servings of R1: 1.5 * 150 g of F1 = 540 kcal, 9 g protein.
    assert g79["nutrients"]["energy_kcal"]["value"] == pytest.approx(1.5 * 150 / 100 * 240)
    assert g79["nutrients"]["protein_g"]["value"] == pytest.approx(9)
    assert g79["nutrients"]["protein_g"]["status"] == "low"  # 9 / 40 = 0.225
    assert g79["status"] == "fail"


@pytest.mark.parametrize(
    ("servings", "share", "status"),
    [
        (4.94, 0.2994, "low"),  # 494 kcal / 1650
        (4.95, 0.30, "ok"),  # 495 kcal: exactly min_share
        (5.775, 0.35, "ok"),  # 577.5 kcal: exactly max_share
        (5.78, 0.3503, "high"),  # 578 kcal
    ],
)
def test_energy_share_band_boundaries(
    client: TestClient,
    admin: dict[str, str],
    servings: float,
    share: float,
    status: str,
) -> None:
    world = make_ops_world(client, admin)
    make_school(client, admin, world.a["id"], enrolment={"7-9": 10})
    # 100 kcal and 10 g protein per 100 g; protein stays far above its minimum.
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    menu = make_menu(client, world.manager_a, world.a["id"], [(recipe["id"], servings)])
    energy = nutrition_check(client, admin, menu["id"])["groups"][0]["nutrients"]["energy_kcal"]
    assert energy["value"] == pytest.approx(100 * servings)
    assert energy["share"] == pytest.approx(share)
    assert energy["status"] == status
    overall = nutrition_check(client, admin, menu["id"])["overall"]
    assert overall == ("pass" if status == "ok" else "fail")


@pytest.mark.parametrize(
    ("protein_per_100g", "status", "group"),
    [(2.4, "ok", "pass"), (2.38, "low", "fail")],  # 5 servings: 12 g (= 0.30 of 40) or 11.9 g
)
def test_protein_boundary_decides_the_group(
    client: TestClient, admin: dict[str, str], protein_per_100g: float, status: str, group: str
) -> None:
    world = make_ops_world(client, admin)
    make_school(client, admin, world.a["id"], enrolment={"7-9": 10})
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": protein_per_100g})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    menu = make_menu(client, world.manager_a, world.a["id"], [(recipe["id"], 5)])
    g79 = nutrition_check(client, admin, menu["id"])["groups"][0]
    assert g79["nutrients"]["energy_kcal"]["status"] == "ok"  # 500 / 1650 = 0.303
    assert g79["nutrients"]["protein_g"]["status"] == status
    assert g79["status"] == group


def test_meal_type_uses_its_own_share_band(client: TestClient, admin: dict[str, str]) -> None:
    world = make_ops_world(client, admin)
    make_school(client, admin, world.a["id"], enrolment={"7-9": 10})
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    # 3.3 servings: 330 kcal = 0.20 of 1650: a breakfast's minimum, far below a lunch's.
    breakfast = make_menu(
        client, world.manager_a, world.a["id"], [(recipe["id"], 3.3)], meal_type="breakfast"
    )
    check = nutrition_check(client, admin, breakfast["id"])
    assert (check["min_share"], check["max_share"]) == (0.20, 0.25)
    assert check["groups"][0]["nutrients"]["energy_kcal"]["status"] == "ok"
    snack = make_menu(
        client, world.manager_a, world.a["id"], [(recipe["id"], 3.3)], meal_type="snack"
    )
    check = nutrition_check(client, admin, snack["id"])
    assert (check["min_share"], check["max_share"]) == (0.10, 0.15)
    assert check["groups"][0]["nutrients"]["energy_kcal"]["status"] == "high"


def test_no_group_to_check_fails(client: TestClient, admin: dict[str, str]) -> None:
    world = make_ops_world(client, admin)
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    menu = make_menu(client, world.manager_a, world.a["id"], [(recipe["id"], 5)])
    check = nutrition_check(client, admin, menu["id"])
    assert check["groups"] == [] and check["overall"] == "fail"


def test_draft_check_follows_foods_targets_and_rules(
    client: TestClient, world: OpsWorld, lunch: dict[str, Any]
) -> None:
    menu_id = lunch["menu"]["id"]
    # F2 loses 68 kcal per 100 g: 460 kcal = 0.2788 of 1650, now low for 7-9.
    resp = client.patch(
        f"/api/v1/foods/{lunch['f2']['id']}",
        json={"nutrients": {"energy_kcal": 100}},
        headers=world.admin,
    )
    assert resp.status_code == 200, resp.text
    g79 = nutrition_check(client, world.health_a, menu_id)["groups"][0]
    assert g79["nutrients"]["energy_kcal"]["value"] == pytest.approx(460)
    assert g79["status"] == "fail"
    # A lower daily target for 7-9 (1500): 460 / 1500 = 0.3067, ok again.
    resp = client.put(
        "/api/v1/nutrition-targets/7-9", json={"energy_kcal": 1500}, headers=world.admin
    )
    assert resp.status_code == 200, resp.text
    g79 = nutrition_check(client, world.health_a, menu_id)["groups"][0]
    assert g79["nutrients"]["energy_kcal"]["target"] == 1500
    assert g79["nutrients"]["energy_kcal"]["share"] == pytest.approx(460 / 1500, abs=5e-5)
    assert g79["status"] == "pass"
    # A new lunch rule (0.31-0.40): 0.3067 is low.
    resp = client.put(
        "/api/v1/nutrition-rules",
        json={"lunch": {"min_share": 0.31, "max_share": 0.40}},
        headers=world.admin,
    )
    assert resp.status_code == 200, resp.text
    check = nutrition_check(client, world.health_a, menu_id)
    assert (check["min_share"], check["max_share"]) == (0.31, 0.40)
    assert check["groups"][0]["status"] == "fail"
    # Giving F1 a vitamin A value completes the data.
    client.patch(
        f"/api/v1/foods/{lunch['f1']['id']}",
        json={"nutrients": {"vitamin_a_mcg": 0}},
        headers=world.admin,
    )
    assert nutrition_check(client, world.health_a, menu_id)["incomplete_nutrients"] == []
