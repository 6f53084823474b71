"""A kitchen's halal rule, and the allergens and halal doubts a menu shows (docs/foods.md)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_kitchen, make_manager
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu

DAY = "2026-03-02"


@pytest.fixture
def w(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    k = make_kitchen(client, admin)
    pork = make_food(client, admin, {}, halal="not_halal", allergens=[])
    # A dish of unknown status whose raw food is pork: it is not halal either.
    roast = make_food(client, admin, {}, halal="unknown", raw_food_id=pork["id"], cooked_yield=0.7)
    sausage = make_food(client, admin, {}, halal="unknown", allergens=None)
    rice = make_food(client, admin, {}, halal="halal", allergens=[])
    tempe = make_food(client, admin, {}, halal="halal", allergens=["soy"])
    egg = make_food(client, admin, {}, halal="halal", allergens=["egg"])
    return {
        "k": k,
        "manager": make_manager(client, admin, k["id"]),
        "pork": pork,
        "sausage": sausage,
        "tempe": tempe,
        "egg": egg,
        "babi": make_recipe(client, admin, [(rice["id"], 100), (pork["id"], 50)]),
        "panggang": make_recipe(client, admin, [(roast["id"], 50)]),
        "sosis": make_recipe(client, admin, [(sausage["id"], 40), (egg["id"], 20)]),
        "tempe_goreng": make_recipe(client, admin, [(tempe["id"], 50), (rice["id"], 100)]),
    }


def _menu_body(*recipes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "service_date": DAY,
        "meal_type": "lunch",
        "items": [{"recipe_id": r["id"], "servings": 1} for r in recipes],
        **fields,
    }


def test_a_halal_kitchen_refuses_menus_with_foods_that_are_not(
    client: TestClient, w: dict[str, Any]
) -> None:
    url = f"/api/v1/kitchens/{w['k']['id']}/menus"
    manager = w["manager"]
    assert w["k"]["halal_required"] is True
    refused = assert_problem(
        client.post(url, json=_menu_body(w["tempe_goreng"], w["babi"]), headers=manager),
        409,
        "not_halal",
    )
    assert refused["foods"] == [w["pork"]["id"]]
    # A cooked food counts as not halal when its raw food is not.
    cooked = client.post(url, json=_menu_body(w["panggang"]), headers=manager)
    assert assert_problem(cooked, 409, "not_halal")["foods"]
    assert client.get(url, headers=manager).json()["items"] == []
    menu = make_menu(
        client, manager, w["k"]["id"], [(w["tempe_goreng"]["id"], 1)], service_date=DAY
    )
    changed = client.patch(
        f"/api/v1/menus/{menu['id']}",
        json={"items": [{"recipe_id": w["babi"]["id"]}]},
        headers=manager,
    )
    assert_problem(changed, 409, "not_halal")
    kept = client.get(f"/api/v1/menus/{menu['id']}", headers=manager).json()
    assert [i["recipe_id"] for i in kept["items"]] == [w["tempe_goreng"]["id"]]


def test_unknown_halal_status_is_allowed_and_listed(client: TestClient, w: dict[str, Any]) -> None:
    menu = make_menu(
        client,
        w["manager"],
        w["k"]["id"],
        [(w["sosis"]["id"], 1), (w["tempe_goreng"]["id"], 1)],
        service_date=DAY,
    )
    assert menu["halal_unknown_foods"] == [w["sausage"]["id"]]


def test_a_kitchen_without_the_rule_serves_what_it_chooses(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    k = make_kitchen(client, admin, halal_required=False)
    assert k["halal_required"] is False
    menu = make_menu(client, admin, k["id"], [(w["babi"]["id"], 1)], service_date=DAY)
    approved = client.post(
        f"/api/v1/menus/{menu['id']}/approve",
        json={"override_reason": "Dapur sekolah khusus, bukan program halal"},
        headers=admin,
    )
    assert approved.status_code == 200, approved.text


def test_approval_rechecks_the_rule(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    """A food found not halal after the menu was planned stops its approval."""
    k = w["k"]
    menu = make_menu(client, admin, k["id"], [(w["sosis"]["id"], 1)], service_date=DAY)
    marked = client.patch(
        f"/api/v1/foods/{w['sausage']['id']}", json={"halal": "not_halal"}, headers=admin
    )
    assert marked.status_code == 200
    reason = {"override_reason": "Disetujui walau gizi kurang lengkap"}
    url = f"/api/v1/menus/{menu['id']}/approve"
    refused = assert_problem(client.post(url, json=reason, headers=admin), 409, "not_halal")
    assert refused["foods"] == [w["sausage"]["id"]]
    # The kitchen's rule lifted, the same approval goes through.
    lifted = client.patch(
        f"/api/v1/kitchens/{k['id']}", json={"halal_required": False}, headers=admin
    )
    assert lifted.status_code == 200 and lifted.json()["halal_required"] is False
    assert client.post(url, json=reason, headers=admin).status_code == 200


@pytest.mark.parametrize("value", [None, "yes", 1, "true"])
def test_halal_required_is_a_boolean(
    client: TestClient, admin: dict[str, str], w: dict[str, Any], value: Any
) -> None:
    url = f"/api/v1/kitchens/{w['k']['id']}"
    assert_problem(client.patch(url, json={"halal_required": value}, headers=admin), 422)
    body = {"code": "K-HALAL", "name": "SPPG", "region_code": "32.73.01", "halal_required": value}
    assert_problem(client.post("/api/v1/kitchens", json=body, headers=admin), 422)


def test_menus_and_the_day_view_show_allergens(
    client: TestClient, admin: dict[str, str], w: dict[str, Any]
) -> None:
    k = w["k"]
    menu = make_menu(
        client,
        admin,
        k["id"],
        [(w["sosis"]["id"], 1), (w["tempe_goreng"]["id"], 1)],
        service_date=DAY,
    )
    # The union of what is known; the sausage was never assessed, so it is named apart.
    assert menu["allergens"] == ["egg", "soy"]
    assert menu["allergens_unassessed_foods"] == [w["sausage"]["id"]]
    plain = make_menu(
        client, admin, k["id"], [(w["tempe_goreng"]["id"], 1)], service_date=DAY, meal_type="snack"
    )
    assert (plain["allergens"], plain["allergens_unassessed_foods"]) == (["soy"], [])
    view = client.get(f"/api/v1/kitchens/{k['id']}/today", params={"date": DAY}, headers=admin)
    shown = {m["id"]: m for m in view.json()["menus"]}
    assert shown[menu["id"]]["allergens"] == ["egg", "soy"]
    assert shown[menu["id"]]["allergens_unassessed_foods"] == [w["sausage"]["id"]]
    assert shown[plain["id"]]["allergens"] == ["soy"]
    # Assessing the food moves what the menu says (and its ETag).
    got = client.get(f"/api/v1/menus/{menu['id']}", headers=admin)
    client.patch(f"/api/v1/foods/{w['sausage']['id']}", json={"allergens": ["milk"]}, headers=admin)
    after = client.get(
        f"/api/v1/menus/{menu['id']}", headers={**admin, "If-None-Match": got.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["allergens"] == ["egg", "milk", "soy"]
    assert after.json()["allergens_unassessed_foods"] == []
    # Recipes say the same of their own foods.
    recipe = client.get(f"/api/v1/recipes/{w['tempe_goreng']['id']}", headers=admin).json()
    assert (recipe["allergens"], recipe["allergens_unassessed_foods"]) == (["soy"], [])
