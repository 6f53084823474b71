"""Recipes: nutrients per portion, allergens, validation, ownership and scope (docs/foods.md)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    assert_problem,
    list_all,
    make_api_key,
    make_kitchen,
    make_manager,
    recorded_statements,
)
from tests.builders.foods import NUTRIENTS, make_food, make_recipe
from tests.builders.menus import make_menu

MISSING = "9b2e4f7a-0000-4000-8000-000000000000"

RICE = {
    "energy_kcal": 357,
    "protein_g": 8.4,
    "fat_g": 1.7,
    "carbohydrate_g": 77.1,
    "fiber_g": 0.2,
    "calcium_mg": 147,
    "iron_mg": 1.8,
    "vitamin_a_mcg": 0,
    "vitamin_c_mg": 0,
    "sodium_mg": 27,
}
# An egg-like food missing sodium and fibre.
EGG = {
    "energy_kcal": 154,
    "protein_g": 12.4,
    "fat_g": 10.8,
    "carbohydrate_g": 0.7,
    "fiber_g": None,
    "calcium_mg": 86,
    "iron_mg": 3,
    "vitamin_a_mcg": 104,
    "vitamin_c_mg": 0,
    "sodium_mg": None,
}
# A tempe-like food missing vitamin A.
TEMPE = {**RICE, "energy_kcal": 201, "protein_g": 20.8, "vitamin_a_mcg": None, "sodium_mg": 9}


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    a = make_kitchen(client, admin, region_code="32.73.01")
    b = make_kitchen(client, admin, region_code="35.78.02")
    return {
        "a": a,
        "b": b,
        "manager_a": make_manager(client, admin, a["id"]),
        "manager_b": make_manager(client, admin, b["id"]),
        "health_a": make_api_key(client, admin, "health_office", "32.73")[1],
        "health_other": make_api_key(client, admin, "health_office", "35")[1],
        "agri_a": make_api_key(client, admin, "agriculture_office", "32")[1],
        "agri_other": make_api_key(client, admin, "agriculture_office", "35.78")[1],
        "rice": make_food(client, admin, RICE, food_group="cereal"),
        "egg": make_food(client, admin, EGG, food_group="egg", allergens=["egg"]),
        "tempe": make_food(client, admin, TEMPE, food_group="legume", allergens=["soy", "gluten"]),
    }


def expected_sum(parts: list[tuple[dict[str, float | None], float]]) -> dict[str, float]:
    """Sum of grams/100 * value, a null value counted as 0: computed here from the inputs."""
    return {n: sum(g / 100 * (food[n] or 0) for food, g in parts) for n in NUTRIENTS}


def test_nutrients_per_portion_are_the_sum_of_ingredients(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    recipe = make_recipe(
        client,
        admin,
        [(world["rice"]["id"], 150), (world["egg"]["id"], 55), (world["tempe"]["id"], 42)],
        category="staple",
    )
    expected = expected_sum([(RICE, 150), (EGG, 55), (TEMPE, 42)])
    got = recipe["nutrients_per_portion"]
    assert set(got) == set(NUTRIENTS)
    for n in NUTRIENTS:
        assert got[n] == pytest.approx(expected[n], abs=0.005), n
    # Spelled out once: 1.5 * 357 + 0.55 * 154 + 0.42 * 201 = 535.5 + 84.7 + 84.42
    assert got["energy_kcal"] == pytest.approx(704.62, abs=0.005)
    assert recipe["incomplete_nutrients"] == ["fiber_g", "sodium_mg", "vitamin_a_mcg"]
    assert recipe["allergens"] == ["egg", "gluten", "soy"]
    assert [(i["food_id"], i["grams"]) for i in recipe["ingredients"]] == [
        (world["rice"]["id"], 150),
        (world["egg"]["id"], 55),
        (world["tempe"]["id"], 42),
    ]
    assert recipe["ingredients"][0]["food_code"] == world["rice"]["code"]
    assert recipe["kitchen_id"] is None and recipe["category"] == "staple"
    assert recipe["created_at"] and recipe["updated_at"]
    again = client.get(f"/api/v1/recipes/{recipe['id']}", headers=admin).json()
    assert again == recipe


def test_complete_recipe_has_no_incomplete_nutrients(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    recipe = make_recipe(client, admin, [(world["rice"]["id"], 100)])
    assert recipe["incomplete_nutrients"] == [] and recipe["allergens"] == []
    assert recipe["nutrients_per_portion"] == {n: float(RICE[n]) for n in NUTRIENTS}


def test_food_edits_show_in_recipe_nutrients(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    recipe = make_recipe(client, admin, [(world["egg"]["id"], 50)])
    assert "sodium_mg" in recipe["incomplete_nutrients"]
    patched = client.patch(
        f"/api/v1/foods/{world['egg']['id']}", json={"nutrients": {"sodium_mg": 142}}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    after = client.get(f"/api/v1/recipes/{recipe['id']}", headers=admin).json()
    assert after["nutrients_per_portion"]["sodium_mg"] == pytest.approx(71.0)
    assert after["incomplete_nutrients"] == ["fiber_g"]


@pytest.mark.parametrize(
    ("grams", "status"), [(0, 422), (-5, 422), (2000.01, 422), (0.1, 201), (2000, 201)]
)
def test_grams_bounds(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], grams: float, status: int
) -> None:
    resp = client.post(
        "/api/v1/recipes",
        headers=admin,
        json={
            "name": "r",
            "category": "other",
            "ingredients": [{"food_id": world["rice"]["id"], "grams": grams}],
        },
    )
    assert resp.status_code == status, resp.text
    if status == 422:
        assert assert_problem(resp, 422)["errors"][0]["loc"][-1] == "grams"


@pytest.mark.parametrize(
    "patch",
    [
        {"ingredients": []},
        {"ingredients": None},
        {"category": "dessert"},
        {"name": ""},
        {"name": "\u200b\u200c\u200d"},
        {"name": None},
        {"ingredients": [{"food_id": "not-a-uuid", "grams": 10}]},
        {"ingredients": [{"grams": 10}]},
        {"surprise": 1},
    ],
)
def test_recipe_validation(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], patch: dict[str, Any]
) -> None:
    body = {
        "name": "Nasi",
        "category": "staple",
        "ingredients": [{"food_id": world["rice"]["id"], "grams": 100}],
        **patch,
    }
    assert_problem(client.post("/api/v1/recipes", json=body, headers=admin), 422)


def test_unknown_food_is_422(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    body = {
        "name": "Nasi",
        "category": "staple",
        "ingredients": [
            {"food_id": world["rice"]["id"], "grams": 100},
            {"food_id": MISSING, "grams": 5},
        ],
    }
    before = list_all(client, "/api/v1/recipes", admin)  # the built-in national recipes
    problem = assert_problem(client.post("/api/v1/recipes", json=body, headers=admin), 422)
    assert problem["code"] == "unknown_food"
    assert problem["errors"][0]["loc"] == ["body", "ingredients", 1, "food_id"]
    assert list_all(client, "/api/v1/recipes", admin) == before


def test_who_may_create_which_recipe(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    rice = world["rice"]["id"]
    a, b = world["a"]["id"], world["b"]["id"]

    def post(headers: dict[str, str], kitchen_id: str | None) -> Any:
        body: dict[str, Any] = {
            "name": "Nasi",
            "category": "staple",
            "ingredients": [{"food_id": rice, "grams": 100}],
        }
        if kitchen_id:
            body["kitchen_id"] = kitchen_id
        return client.post("/api/v1/recipes", json=body, headers=headers)

    assert post(admin, None).status_code == 201
    assert post(admin, a).status_code == 201
    assert post(world["manager_a"], a).status_code == 201
    assert_problem(post(world["manager_a"], None), 403)
    assert_problem(post(world["manager_a"], b), 404)
    assert_problem(post(world["manager_a"], MISSING), 404)
    assert_problem(post(admin, MISSING), 404)
    for office in ("health_a", "agri_a"):
        assert_problem(post(world[office], a), 403)
        assert_problem(post(world[office], None), 403)
    assert_problem(post({}, None), 401)


def test_who_reads_which_recipe(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    rice = world["rice"]["id"]
    national = make_recipe(client, admin, [(rice, 100)])
    of_a = make_recipe(client, world["manager_a"], [(rice, 80)], kitchen_id=world["a"]["id"])

    def status(who: str, recipe: dict[str, Any]) -> int:
        headers = admin if who == "admin" else world[who]
        return client.get(f"/api/v1/recipes/{recipe['id']}", headers=headers).status_code

    everyone = ("admin", "manager_a", "manager_b", "health_a", "health_other", "agri_a")
    assert all(status(who, national) == 200 for who in (*everyone, "agri_other"))
    for who in ("admin", "manager_a", "health_a", "agri_a"):
        assert status(who, of_a) == 200, who
    for who in ("manager_b", "health_other", "agri_other"):
        resp = client.get(f"/api/v1/recipes/{of_a['id']}", headers=world[who])
        assert_problem(resp, 404)
        assert of_a["name"] not in resp.text
    assert_problem(client.get(f"/api/v1/recipes/{MISSING}", headers=admin), 404)
    assert_problem(client.get(f"/api/v1/recipes/{national['id']}"), 401)


def test_recipe_list_is_scoped_and_filtered(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    rice = world["rice"]["id"]
    # The built-in national recipes (migration 0011) are everyone's; left out below.
    builtin = {r["id"] for r in list_all(client, "/api/v1/recipes", admin)}
    national = make_recipe(client, admin, [(rice, 100)], name="Nasi Uduk Nasional")
    of_a = make_recipe(client, admin, [(rice, 90)], kitchen_id=world["a"]["id"], name="Sayur A")
    of_b = make_recipe(client, admin, [(rice, 90)], kitchen_id=world["b"]["id"], name="Sayur B")

    def ids(headers: dict[str, str], **params: str) -> set[str]:
        resp = client.get("/api/v1/recipes", headers=headers, params={"limit": "1000", **params})
        assert resp.status_code == 200, resp.text
        return {r["id"] for r in resp.json()["items"]} - builtin

    assert ids(admin) == {national["id"], of_a["id"], of_b["id"]}
    assert ids(world["manager_a"]) == {national["id"], of_a["id"]}
    assert ids(world["manager_b"]) == {national["id"], of_b["id"]}
    assert ids(world["health_a"]) == {national["id"], of_a["id"]}
    assert ids(world["agri_other"]) == {national["id"], of_b["id"]}
    assert ids(admin, kitchen_id=world["a"]["id"]) == {of_a["id"]}
    assert ids(world["manager_a"], kitchen_id=world["a"]["id"]) == {of_a["id"]}
    assert_problem(
        client.get(
            "/api/v1/recipes", params={"kitchen_id": world["b"]["id"]}, headers=world["manager_a"]
        ),
        404,
    )
    assert ids(admin, search="nasi uduk") == {national["id"]}
    assert ids(admin, search="SAYUR") == {of_a["id"], of_b["id"]}
    assert ids(world["manager_a"], search="sayur") == {of_a["id"]}
    assert ids(admin, search="%") == set()
    paged = list_all(client, "/api/v1/recipes", admin, limit=7)
    assert len(paged) == len({r["id"] for r in paged}) == len(builtin) + 3
    mine = sorted(r["id"] for r in paged if r["id"] not in builtin)
    assert mine == sorted([national["id"], of_a["id"], of_b["id"]])
    assert_problem(client.get("/api/v1/recipes"), 401)


def test_patch_recipe_replaces_ingredients(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    a = world["a"]["id"]
    recipe = make_recipe(client, world["manager_a"], [(world["rice"]["id"], 100)], kitchen_id=a)
    resp = client.patch(
        f"/api/v1/recipes/{recipe['id']}",
        headers=world["manager_a"],
        json={
            "name": "Telur dadar",
            "kitchen_id": a,
            "ingredients": [{"food_id": world["egg"]["id"], "grams": 60}],
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "Telur dadar" and body["category"] == recipe["category"]
    assert [i["food_id"] for i in body["ingredients"]] == [world["egg"]["id"]]
    expected = expected_sum([(EGG, 60)])
    assert body["nutrients_per_portion"] == pytest.approx(expected, abs=0.005)
    assert body["allergens"] == ["egg"]
    assert body["updated_at"] > recipe["updated_at"]
    moved = client.patch(
        f"/api/v1/recipes/{recipe['id']}", headers=admin, json={"kitchen_id": world["b"]["id"]}
    )
    assert_problem(moved, 422, "recipe_kitchen_fixed")
    bad = client.patch(
        f"/api/v1/recipes/{recipe['id']}",
        headers=admin,
        json={"ingredients": [{"food_id": MISSING, "grams": 1}]},
    )
    assert_problem(bad, 422, "unknown_food")
    unchanged = client.get(f"/api/v1/recipes/{recipe['id']}", headers=admin).json()
    assert [i["food_id"] for i in unchanged["ingredients"]] == [world["egg"]["id"]]


def test_who_may_change_and_delete_recipes(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    rice = world["rice"]["id"]
    national = make_recipe(client, admin, [(rice, 100)])
    of_a = make_recipe(client, admin, [(rice, 100)], kitchen_id=world["a"]["id"])
    for recipe in (national, of_a):
        url = f"/api/v1/recipes/{recipe['id']}"
        for office in ("health_a", "agri_a"):
            assert_problem(client.patch(url, json={"name": "x"}, headers=world[office]), 403)
            assert_problem(client.delete(url, headers=world[office]), 403)
        assert_problem(client.patch(url, json={"name": "x"}), 401)
    national_url = f"/api/v1/recipes/{national['id']}"
    assert_problem(client.patch(national_url, json={"name": "x"}, headers=world["manager_a"]), 403)
    assert_problem(client.delete(national_url, headers=world["manager_a"]), 403)
    a_url = f"/api/v1/recipes/{of_a['id']}"
    assert_problem(client.patch(a_url, json={"name": "x"}, headers=world["manager_b"]), 404)
    assert_problem(client.delete(a_url, headers=world["manager_b"]), 404)
    assert_problem(client.delete(f"/api/v1/recipes/{MISSING}", headers=admin), 404)
    assert client.patch(national_url, json={"name": "Nasi"}, headers=admin).status_code == 200
    assert client.delete(a_url, headers=world["manager_a"]).status_code == 204
    assert_problem(client.get(a_url, headers=admin), 404)
    assert client.delete(national_url, headers=admin).status_code == 204


def test_recipe_in_use(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    a = world["a"]["id"]
    drafted = make_recipe(client, admin, [(world["rice"]["id"], 100)], kitchen_id=a)
    approved = make_recipe(client, admin, [(world["rice"]["id"], 100)], kitchen_id=a)
    make_menu(client, admin, a, [(drafted["id"], 1)], meal_type="snack")
    menu = make_menu(client, admin, a, [(approved["id"], 1)])
    approval = client.post(
        f"/api/v1/menus/{menu['id']}/approve",
        json={"override_reason": "Uji resep yang dipakai menu"},
        headers=admin,
    )
    assert approval.status_code == 200, approval.text

    approved_url = f"/api/v1/recipes/{approved['id']}"
    assert_problem(
        client.patch(approved_url, json={"name": "x"}, headers=admin), 409, "recipe_in_use"
    )
    assert_problem(client.delete(approved_url, headers=admin), 409, "recipe_in_use")
    assert client.get(approved_url, headers=admin).json()["name"] == approved["name"]

    drafted_url = f"/api/v1/recipes/{drafted['id']}"
    assert client.patch(drafted_url, json={"name": "Masih draf"}, headers=admin).status_code == 200
    assert_problem(client.delete(drafted_url, headers=admin), 409, "recipe_in_use")


def test_null_for_a_required_field_is_422_on_patch(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """Issue 15: null was silently ignored on PATCH; only `kitchen_id` may be null."""
    recipe = make_recipe(client, admin, [(world["rice"]["id"], 100)])
    url = f"/api/v1/recipes/{recipe['id']}"
    for body in ({"name": None}, {"category": None}, {"ingredients": None}):
        problem = assert_problem(client.patch(url, json=body, headers=admin), 422)
        assert problem["errors"][0]["loc"] == ["body", next(iter(body))]
    # A national recipe sent back whole names its (absent) kitchen as null.
    same = client.patch(url, json={"name": "Nasi", "kitchen_id": None}, headers=admin)
    assert same.status_code == 200 and same.json()["kitchen_id"] is None
    assert client.get(url, headers=admin).json()["ingredients"] == recipe["ingredients"]


def test_recipe_etag_follows_its_foods(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """A recipe's ETag moves with its own edits and with its foods' (reference data)."""
    recipe = make_recipe(
        client, world["manager_a"], [(world["egg"]["id"], 50)], kitchen_id=world["a"]["id"]
    )
    url = f"/api/v1/recipes/{recipe['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    assert client.get(url, headers={**admin, "If-None-Match": tag}).status_code == 304
    food = client.patch(
        f"/api/v1/foods/{world['egg']['id']}", json={"nutrients": {"sodium_mg": 142}}, headers=admin
    )
    assert food.status_code == 200, food.text
    after = client.get(url, headers={**admin, "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["nutrients_per_portion"]["sodium_mg"] == pytest.approx(71.0)
    stale = client.patch(url, json={"name": "Telur"}, headers={**admin, "If-Match": tag})
    assert_problem(stale, 412, "precondition_failed")
    current = after.headers["etag"]
    renamed = client.patch(url, json={"name": "Telur"}, headers={**admin, "If-Match": current})
    assert renamed.status_code == 200, renamed.text
    assert renamed.headers["etag"] not in (tag, current)
    assert client.get(url, headers=admin).headers["etag"] == renamed.headers["etag"]


def test_nutrients_take_the_same_queries_for_any_number_of_ingredients(
    client: TestClient, admin: dict[str, str], app: Any
) -> None:
    foods = [make_food(client, admin, {"energy_kcal": i}) for i in range(1, 31)]
    small = make_recipe(client, admin, [(foods[0]["id"], 100)])
    large = make_recipe(client, admin, [(f["id"], 10) for f in foods])
    assert large["nutrients_per_portion"]["energy_kcal"] == pytest.approx(
        sum(10 / 100 * i for i in range(1, 31))
    )
    with recorded_statements(app) as statements:
        client.get(f"/api/v1/recipes/{small['id']}", headers=admin)
        one = len(statements)
        statements.clear()
        client.get(f"/api/v1/recipes/{large['id']}", headers=admin)
        assert len(statements) == one
        statements.clear()
        client.get("/api/v1/recipes", headers=admin)
        listing = len(statements)
        make_recipe(client, admin, [(f["id"], 5) for f in foods[:7]])
        statements.clear()
        client.get("/api/v1/recipes", headers=admin)
        assert len(statements) == listing
