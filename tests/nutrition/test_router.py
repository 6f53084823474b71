"""AKG nutrition targets and meal-type rules (docs/foods.md)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_api_key, make_kitchen, make_manager
from tests.builders.foods import NUTRIENTS

GROUP_ORDER = [
    "1-3",
    "4-6",
    "7-9",
    "10-12-m",
    "10-12-f",
    "13-15-m",
    "13-15-f",
    "16-18-m",
    "16-18-f",
]
DEFAULT_RULES = {
    "lunch": {"min_share": 0.30, "max_share": 0.35},
    "breakfast": {"min_share": 0.20, "max_share": 0.25},
    "snack": {"min_share": 0.10, "max_share": 0.15},
}


@pytest.fixture
def others(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    kitchen = make_kitchen(client, admin)
    return {
        "manager": make_manager(client, admin, kitchen["id"]),
        "health": make_api_key(client, admin, "health_office", "32.73")[1],
        "agriculture": make_api_key(client, admin, "agriculture_office", "32")[1],
    }


def _targets(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    resp = client.get("/api/v1/nutrition-targets", headers=headers)
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [t["code"] for t in items] == GROUP_ORDER
    return {t["code"]: t for t in items}


def test_akg_2019_targets_are_seeded(client: TestClient, admin: dict[str, str]) -> None:
    targets = _targets(client, admin)
    for target in targets.values():
        assert {"code", "label", *NUTRIENTS} <= target.keys()
        assert all(target[n] > 0 for n in NUTRIENTS)
    # Permenkes 28/2019, Lampiran: energy, protein, fat, carbohydrate, fibre, calcium, iron.
    seven = targets["7-9"]
    assert (seven["energy_kcal"], seven["protein_g"], seven["fat_g"]) == (1650, 40, 55)
    assert (seven["carbohydrate_g"], seven["fiber_g"], seven["calcium_mg"]) == (250, 23, 1000)
    boys = targets["10-12-m"]
    assert (boys["energy_kcal"], boys["protein_g"], boys["iron_mg"]) == (2000, 50, 8)
    girls = targets["13-15-f"]
    assert (girls["energy_kcal"], girls["protein_g"], girls["iron_mg"]) == (2050, 65, 15)
    older = targets["16-18-m"]
    assert (older["energy_kcal"], older["protein_g"], older["vitamin_c_mg"]) == (2650, 75, 90)
    assert targets["1-3"]["energy_kcal"] == 1350


def test_everyone_reads_targets_and_rules(
    client: TestClient, others: dict[str, dict[str, str]]
) -> None:
    for headers in others.values():
        _targets(client, headers)
        resp = client.get("/api/v1/nutrition-rules", headers=headers)
        assert resp.status_code == 200 and resp.json() == DEFAULT_RULES
    assert_problem(client.get("/api/v1/nutrition-targets"), 401)
    assert_problem(client.get("/api/v1/nutrition-rules"), 401)


def test_admin_updates_a_target(client: TestClient, admin: dict[str, str]) -> None:
    before = _targets(client, admin)
    resp = client.put(
        "/api/v1/nutrition-targets/7-9",
        json={"energy_kcal": 1700, "protein_g": 42.5, "label": "Anak 7-9"},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    after = _targets(client, admin)
    assert after["7-9"]["energy_kcal"] == 1700 and after["7-9"]["protein_g"] == 42.5
    assert after["7-9"]["label"] == "Anak 7-9"
    assert after["7-9"]["fat_g"] == before["7-9"]["fat_g"]
    assert after["4-6"] == before["4-6"]
    assert resp.json() == after["7-9"]


@pytest.mark.parametrize(
    "body", [{"energy_kcal": 0}, {"protein_g": -1}, {"iron_mg": "x"}, {"zinc_mg": 5}, {"label": ""}]
)
def test_bad_target_values_are_422(
    client: TestClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    before = _targets(client, admin)
    assert_problem(client.put("/api/v1/nutrition-targets/7-9", json=body, headers=admin), 422)
    assert _targets(client, admin) == before


def test_unknown_target_code_is_404(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.put("/api/v1/nutrition-targets/19-29-m", json={"energy_kcal": 1}, headers=admin)
    assert_problem(resp, 404)


def test_target_and_rule_writes_are_admin_only(
    client: TestClient, admin: dict[str, str], others: dict[str, dict[str, str]]
) -> None:
    for headers in others.values():
        resp = client.put("/api/v1/nutrition-targets/7-9", json={"energy_kcal": 1}, headers=headers)
        assert_problem(resp, 403)
        assert_problem(
            client.put("/api/v1/nutrition-rules", json=DEFAULT_RULES, headers=headers), 403
        )
    assert_problem(client.put("/api/v1/nutrition-targets/7-9", json={"energy_kcal": 1}), 401)
    assert _targets(client, admin)["7-9"]["energy_kcal"] == 1650


def test_admin_replaces_rules(client: TestClient, admin: dict[str, str]) -> None:
    new = {
        "lunch": {"min_share": 0.25, "max_share": 0.40},
        "breakfast": {"min_share": 0.2, "max_share": 0.2},
        "snack": {"min_share": 0.05, "max_share": 1},
    }
    resp = client.put("/api/v1/nutrition-rules", json=new, headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json() == new
    assert client.get("/api/v1/nutrition-rules", headers=admin).json() == new


@pytest.mark.parametrize(
    "lunch",
    [
        {"min_share": 0.4, "max_share": 0.3},
        {"min_share": 0, "max_share": 0.3},
        {"min_share": -0.1, "max_share": 0.3},
        {"min_share": 0.3, "max_share": 1.01},
        {"min_share": 0.3},
        {"min_share": "a", "max_share": 0.3},
    ],
)
def test_bad_rules_are_422(
    client: TestClient, admin: dict[str, str], lunch: dict[str, Any]
) -> None:
    body = {**DEFAULT_RULES, "lunch": lunch}
    assert_problem(client.put("/api/v1/nutrition-rules", json=body, headers=admin), 422)
    assert client.get("/api/v1/nutrition-rules", headers=admin).json() == DEFAULT_RULES


def test_unknown_meal_type_in_rules_is_422(client: TestClient, admin: dict[str, str]) -> None:
    body = {**DEFAULT_RULES, "dinner": {"min_share": 0.3, "max_share": 0.35}}
    assert_problem(client.put("/api/v1/nutrition-rules", json=body, headers=admin), 422)


def test_null_target_value_is_422(client: TestClient, admin: dict[str, str]) -> None:
    """Issue 15: a null was silently ignored; now it is refused and nothing changes."""
    before = _targets(client, admin)
    for body in ({"energy_kcal": None}, {"label": None}):
        resp = client.put("/api/v1/nutrition-targets/7-9", json=body, headers=admin)
        assert_problem(resp, 422)
    rules = {**DEFAULT_RULES, "snack": None}
    assert_problem(client.put("/api/v1/nutrition-rules", json=rules, headers=admin), 422)
    assert _targets(client, admin) == before
    assert client.get("/api/v1/nutrition-rules", headers=admin).json() == DEFAULT_RULES


def test_target_etag_and_if_match(client: TestClient, admin: dict[str, str]) -> None:
    url = "/api/v1/nutrition-targets/7-9"
    tag = client.get(url, headers=admin).headers["etag"]
    assert client.get(url, headers={**admin, "If-None-Match": tag}).status_code == 304
    changed = client.put(url, json={"iron_mg": 11}, headers={**admin, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != tag
    assert client.get(url, headers=admin).headers["etag"] == changed.headers["etag"]
    stale = client.put(url, json={"iron_mg": 12}, headers={**admin, "If-Match": tag})
    assert_problem(stale, 412, "precondition_failed")
    assert client.get(url, headers=admin).json()["iron_mg"] == 11


def test_rules_etag_and_if_match(client: TestClient, admin: dict[str, str]) -> None:
    """The rules are one object of three rows: its tag moves when any row changes."""
    url = "/api/v1/nutrition-rules"
    tag = client.get(url, headers=admin).headers["etag"]
    assert client.get(url, headers={**admin, "If-None-Match": tag}).status_code == 304
    snack = {"snack": {"min_share": 0.12, "max_share": 0.15}}
    changed = client.put(url, json=snack, headers={**admin, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    new_tag = changed.headers["etag"]
    assert new_tag != tag and client.get(url, headers=admin).headers["etag"] == new_tag
    stale = client.put(url, json=DEFAULT_RULES, headers={**admin, "If-Match": tag})
    assert_problem(stale, 412, "precondition_failed")
    assert client.get(url, headers=admin).json()["snack"]["min_share"] == 0.12
    # Sending the same shares again changes nothing, so the tag stays.
    same = client.put(url, json=snack, headers={**admin, "If-Match": new_tag})
    assert same.status_code == 200 and same.headers["etag"] == new_tag
