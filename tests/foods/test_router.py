"""Foods: the built-in catalogue, search, admin writes and validation (docs/foods.md)."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all, make_api_key, make_kitchen, make_manager
from tests.builders.foods import NUTRIENTS, make_food

MISSING = "9b2e4f7a-0000-4000-8000-000000000000"
GROUPS = {
    "cereal",
    "tuber",
    "legume",
    "vegetable",
    "fruit",
    "meat",
    "fish",
    "egg",
    "milk",
    "fat_oil",
    "sugar",
    "spice",
    "beverage",
    "other",
}


@pytest.fixture
def others(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    """Every non-admin caller: none may write foods, all may read them."""
    kitchen = make_kitchen(client, admin)
    return {
        "manager": make_manager(client, admin, kitchen["id"]),
        "health": make_api_key(client, admin, "health_office", "32")[1],
        "agriculture": make_api_key(client, admin, "agriculture_office", None)[1],
    }


def test_builtin_catalogue_is_present(client: TestClient, admin: dict[str, str]) -> None:
    foods = list_all(client, "/api/v1/foods", admin, limit=1000)
    assert len(foods) >= 150
    assert all(f["builtin"] for f in foods)
    assert {f["food_group"] for f in foods} <= GROUPS
    rice = next(f for f in foods if f["code"] == "AR001")
    assert rice["name"] == "Beras giling, mentah"
    assert rice["commodity"] == "beras" and rice["food_group"] == "cereal"
    assert set(rice["nutrients"]) == set(NUTRIENTS)
    assert rice["nutrients"]["energy_kcal"] == 357
    assert {"id", "created_at", "updated_at", "edible_portion_pct", "allergens"} <= rice.keys()
    paged = list_all(client, "/api/v1/foods", admin, limit=50)
    assert [f["id"] for f in paged] == [f["id"] for f in foods]


def test_search_by_name_or_code_any_case(client: TestClient, admin: dict[str, str]) -> None:
    def codes(**params: str) -> set[str]:
        resp = client.get("/api/v1/foods", params={"limit": "1000", **params}, headers=admin)
        assert resp.status_code == 200, resp.text
        return {f["code"] for f in resp.json()["items"]}

    mine = make_food(
        client, admin, {}, code="DPR-Ubi-01", name="Ubi Ungu Cilembu", food_group="tuber"
    )
    assert codes(search="UBI UNGU") == {mine["code"]}
    assert codes(search="dpr-ubi") == {mine["code"]}
    assert "AR001" in codes(search="ar001")
    beras = codes(search="BeRaS")
    assert "AR001" in beras and "AR002" in beras
    assert codes(search="beras", food_group="tuber") == set()
    assert codes(search="ubi", food_group="tuber") >= {mine["code"]}
    eggs = codes(food_group="egg")  # TKPI codes, and built-in foods from outside TKPI
    assert eggs and all(c.startswith(("H", "DAPUR-")) for c in eggs)
    assert codes(search="%") == set() and codes(search="_") == set()
    assert_problem(client.get("/api/v1/foods", params={"food_group": "candy"}, headers=admin), 422)


def test_everyone_reads_foods(
    client: TestClient, admin: dict[str, str], others: dict[str, dict[str, str]]
) -> None:
    food = make_food(client, admin, {"energy_kcal": 10})
    for headers in others.values():
        assert client.get("/api/v1/foods", headers=headers).status_code == 200
        resp = client.get(f"/api/v1/foods/{food['id']}", headers=headers)
        assert resp.status_code == 200 and resp.json() == food
    assert_problem(client.get("/api/v1/foods"), 401)
    assert_problem(client.get(f"/api/v1/foods/{food['id']}"), 401)
    assert_problem(client.get(f"/api/v1/foods/{MISSING}", headers=admin), 404)


def test_create_food(client: TestClient, admin: dict[str, str]) -> None:
    body = {
        "code": "DPR-0001",
        "name": "Tempe kedelai murni",
        "food_group": "legume",
        "commodity": "Tempe",
        "edible_portion_pct": 100,
        "allergens": ["soy", "gluten", "soy"],
        "nutrients": {"energy_kcal": 201, "protein_g": 20.8, "sodium_mg": 0},
    }
    resp = client.post("/api/v1/foods", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    food = resp.json()
    assert food["code"] == "DPR-0001" and food["commodity"] == "tempe"
    assert food["allergens"] == ["gluten", "soy"]
    assert food["builtin"] is False
    assert food["nutrients"] == {
        **dict.fromkeys(NUTRIENTS),
        "energy_kcal": 201,
        "protein_g": 20.8,
        "sodium_mg": 0,
    }
    assert_problem(client.post("/api/v1/foods", json=body, headers=admin), 409, "food_code_taken")
    builtin_code = {**body, "code": "AR001"}
    assert_problem(client.post("/api/v1/foods", json=builtin_code, headers=admin), 409)


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"nutrients": {"protein_g": -0.1}}, "protein_g"),
        ({"nutrients": {"sodium_mg": -1}}, "sodium_mg"),
        ({"nutrients": {"vitamin_k_mcg": 1}}, "vitamin_k_mcg"),
        ({"nutrients": {"energy_kcal": "a lot"}}, "energy_kcal"),
        ({"edible_portion_pct": 0}, "edible_portion_pct"),
        ({"edible_portion_pct": -10}, "edible_portion_pct"),
        ({"edible_portion_pct": 100.01}, "edible_portion_pct"),
        ({"allergens": ["shellfish"]}, "allergens"),
        ({"food_group": "snack"}, "food_group"),
        ({"code": "has space"}, "code"),
        ({"code": ""}, "code"),
        ({"code": "X" * 33}, "code"),
        ({"name": " "}, "name"),
        ({"commodity": ""}, "commodity"),
        # A required field sent as null: 422 on PATCH as on POST (issue 15, never ignored).
        ({"name": None}, "name"),
        ({"name": "\u200b\u2060\ufeff"}, "name"),
        ({"commodity": " \u200b "}, "commodity"),
        ({"food_group": None}, "food_group"),
        ({"nutrients": None}, "nutrients"),
    ],
)
def test_bad_food_values_are_422(
    client: TestClient, admin: dict[str, str], patch: dict[str, Any], where: str
) -> None:
    body = {
        "code": "DPR-BAD",
        "name": "n",
        "food_group": "other",
        "commodity": "c",
        "edible_portion_pct": 50,
        "nutrients": {},
        **patch,
    }
    problem = assert_problem(client.post("/api/v1/foods", json=body, headers=admin), 422)
    assert where in problem["errors"][0]["loc"]
    food = make_food(client, admin, {"energy_kcal": 1})
    resp = client.patch(f"/api/v1/foods/{food['id']}", json=patch, headers=admin)
    assert_problem(resp, 422)
    assert client.get(f"/api/v1/foods/{food['id']}", headers=admin).json() == food


@pytest.mark.parametrize("bdd", [0.01, 100])
def test_edible_portion_bounds_accepted(
    client: TestClient, admin: dict[str, str], bdd: float
) -> None:
    assert make_food(client, admin, {}, edible_portion_pct=bdd)["edible_portion_pct"] == bdd


def test_patch_food(client: TestClient, admin: dict[str, str]) -> None:
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 5, "fat_g": 1})
    resp = client.patch(
        f"/api/v1/foods/{food['id']}",
        json={"edible_portion_pct": 85, "nutrients": {"protein_g": 6.5, "fat_g": None}},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["edible_portion_pct"] == 85
    assert body["nutrients"]["energy_kcal"] == 100  # not sent, kept
    assert body["nutrients"]["protein_g"] == 6.5
    assert body["nutrients"]["fat_g"] is None  # explicitly cleared
    assert body["name"] == food["name"] and body["updated_at"] > food["updated_at"]
    other = make_food(client, admin, {})
    taken = client.patch(f"/api/v1/foods/{food['id']}", json={"code": other["code"]}, headers=admin)
    assert_problem(taken, 409, "food_code_taken")
    assert_problem(client.patch(f"/api/v1/foods/{MISSING}", json={}, headers=admin), 404)


def test_patch_builtin_food_keeps_builtin_flag(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.get("/api/v1/foods", params={"search": "AR001"}, headers=admin)
    rice = resp.json()["items"][0]
    patched = client.patch(
        f"/api/v1/foods/{rice['id']}", json={"allergens": []}, headers=admin
    ).json()
    assert patched["builtin"] is True


def test_food_writes_are_admin_only(
    client: TestClient, admin: dict[str, str], others: dict[str, dict[str, str]]
) -> None:
    food = make_food(client, admin, {})
    body = {"code": "DPR-X", "name": "n", "food_group": "other", "commodity": "c"}
    for headers in others.values():
        assert_problem(client.post("/api/v1/foods", json=body, headers=headers), 403)
        assert_problem(
            client.patch(f"/api/v1/foods/{food['id']}", json={"name": "x"}, headers=headers), 403
        )
        # Role first: even a missing food is 403 for a role that may not write.
        assert_problem(
            client.patch(f"/api/v1/foods/{MISSING}", json={"name": "x"}, headers=headers), 403
        )
    assert_problem(client.post("/api/v1/foods", json=body), 401)
    assert client.get(f"/api/v1/foods/{food['id']}", headers=admin).json() == food


def _search_rank(name: str, term: str) -> int:
    """Where `term` occurs in `name`: 0 at the start, 1 as a whole word, 2 inside a word."""
    name, term = name.lower(), term.lower()
    if name.startswith(term):
        return 0
    if re.search(rf"(?<![0-9a-z]){re.escape(term)}(?![0-9a-z])", name):
        return 1
    return 2 if term in name else 3


def _search_all(client: TestClient, term: str, headers: dict[str, str], limit: int) -> list[Any]:
    """Every food a search finds, following next_cursor."""
    found: list[Any] = []
    params = {"search": term, "limit": str(limit)}
    while True:
        resp = client.get("/api/v1/foods", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        found.extend(resp.json()["items"])
        if resp.json()["next_cursor"] is None:
            return found
        params["cursor"] = resp.json()["next_cursor"]


def test_search_ranks_where_the_term_occurs(client: TestClient, admin: dict[str, str]) -> None:
    """Issue 15: "ayam" (chicken) lists chicken dishes before spinach ("bayam")."""
    fried_first = make_food(client, admin, {}, name="Ayam goreng kremes", food_group="meat")
    spinach = make_food(client, admin, {}, name="Bayam jepang, rebus", food_group="vegetable")
    soup = make_food(client, admin, {}, name="Sop (ayam) kampung", food_group="meat")
    chicken = make_food(client, admin, {}, name="Ayam bakar madu", food_group="meat")
    egg = make_food(client, admin, {}, name="Telur ayam asin", food_group="egg")
    found = _search_all(client, "AYAM", admin, limit=1000)
    names = [f["name"] for f in found]
    ids = [f["id"] for f in found]
    assert ids.index(chicken["id"]) < ids.index(soup["id"]) < ids.index(spinach["id"])
    assert ids.index(egg["id"]) < ids.index(spinach["id"])
    ranks = [_search_rank(n, "ayam") for n in names]
    assert ranks == sorted(ranks) and 3 not in ranks
    # Within a rank, by name (created later, listed first); pages follow the same order.
    assert ids.index(chicken["id"]) < ids.index(fried_first["id"])
    assert [f["id"] for f in _search_all(client, "ayam", admin, limit=2)] == ids
    # A code-only match comes after every name match.
    coded = make_food(client, admin, {}, code="AYAM-77", name="Pindang tongkol")
    found = _search_all(client, "ayam", admin, limit=3)
    assert found[-1]["id"] == coded["id"]
    bad = client.get("/api/v1/foods", params={"search": "ayam", "cursor": "bm9wZQ"}, headers=admin)
    assert_problem(bad, 422, "invalid_cursor")


def test_food_etag_and_if_match(client: TestClient, admin: dict[str, str]) -> None:
    food = make_food(client, admin, {"energy_kcal": 10})
    url = f"/api/v1/foods/{food['id']}"
    first = client.get(url, headers=admin)
    tag = first.headers["etag"]
    assert client.get(url, headers={**admin, "If-None-Match": tag}).status_code == 304
    changed = client.patch(url, json={"name": "Tempe goreng"}, headers={**admin, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != tag
    assert client.get(url, headers=admin).headers["etag"] == changed.headers["etag"]
    stale = client.patch(url, json={"name": "Tempe bacem"}, headers={**admin, "If-Match": tag})
    assert_problem(stale, 412, "precondition_failed")
    assert client.get(url, headers=admin).json()["name"] == "Tempe goreng"
