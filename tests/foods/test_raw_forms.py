"""Foods through the API: raw forms, halal status, allergens not assessed (docs/foods.md)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem
from tests.builders.foods import make_food

MISSING = "9b2e4f7a-0000-4000-8000-000000000000"
FOODS = "/api/v1/foods"


def _body(**fields: Any) -> dict[str, Any]:
    return {
        "code": fields.pop("code", "DPR-RAW-1"),
        "name": "Nasi uji",
        "food_group": "cereal",
        "commodity": "beras",
        **fields,
    }


def test_create_and_read_a_cooked_food(client: TestClient, admin: dict[str, str]) -> None:
    rice = make_food(client, admin, {"energy_kcal": 357}, commodity="beras", halal="halal")
    resp = client.post(
        FOODS,
        json=_body(raw_food_id=rice["id"], cooked_yield=2.5, halal="halal", allergens=None),
        headers=admin,
    )
    assert resp.status_code == 201, resp.text
    cooked = resp.json()
    assert (cooked["raw_food_id"], cooked["cooked_yield"]) == (rice["id"], 2.5)
    assert cooked["halal"] == "halal" and cooked["allergens"] is None
    assert client.get(f"{FOODS}/{cooked['id']}", headers=admin).json() == cooked


def test_defaults_say_what_nobody_decided(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.post(FOODS, json=_body(code="DPR-DEF-1"), headers=admin)
    assert resp.status_code == 201, resp.text
    food = resp.json()
    # Not assessed is not "free of allergens"; nobody judged halal status; bought as it is.
    assert food["allergens"] is None and food["halal"] == "unknown"
    assert food["raw_food_id"] is None and food["cooked_yield"] is None
    assessed = client.post(FOODS, json=_body(code="DPR-DEF-2", allergens=[]), headers=admin)
    assert assessed.json()["allergens"] == []


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"cooked_yield": 2.0}, "raw_food_id"),  # yield without a raw food
        ({"raw_food_id": "RAW"}, "cooked_yield"),  # raw food without a yield
        ({"raw_food_id": "RAW", "cooked_yield": 0}, "cooked_yield"),
        ({"raw_food_id": "RAW", "cooked_yield": 10.5}, "cooked_yield"),
        ({"raw_food_id": "RAW", "cooked_yield": -1}, "cooked_yield"),
        ({"halal": "haram"}, "halal"),
        ({"allergens": ["mollusc", "shellfish"]}, "allergens"),
    ],
)
def test_bad_raw_forms_and_statuses_are_422(
    client: TestClient, admin: dict[str, str], fields: dict[str, Any], where: str
) -> None:
    rice = make_food(client, admin, {})
    body = _body(**{k: rice["id"] if v == "RAW" else v for k, v in fields.items()})
    problem = assert_problem(client.post(FOODS, json=body, headers=admin), 422)
    assert where in str(problem["errors"])


def test_the_raw_food_must_exist_be_raw_and_be_another(
    client: TestClient, admin: dict[str, str]
) -> None:
    rice = make_food(client, admin, {})
    cooked = make_food(client, admin, {}, raw_food_id=rice["id"], cooked_yield=2.0)
    missing = client.post(FOODS, json=_body(raw_food_id=MISSING, cooked_yield=2.0), headers=admin)
    assert_problem(missing, 422, "invalid_raw_form")
    chained = client.post(
        FOODS, json=_body(raw_food_id=cooked["id"], cooked_yield=1.0), headers=admin
    )
    assert_problem(chained, 422, "invalid_raw_form")
    own = client.patch(
        f"{FOODS}/{rice['id']}",
        json={"raw_food_id": rice["id"], "cooked_yield": 1.0},
        headers=admin,
    )
    assert_problem(own, 422, "invalid_raw_form")
    # Rice is the raw form of the cooked food: it cannot gain a raw form itself.
    other = make_food(client, admin, {})
    gains = client.patch(
        f"{FOODS}/{rice['id']}",
        json={"raw_food_id": other["id"], "cooked_yield": 1.0},
        headers=admin,
    )
    assert_problem(gains, 422, "invalid_raw_form")
    assert client.get(f"{FOODS}/{rice['id']}", headers=admin).json()["raw_food_id"] is None


def test_patch_raw_form_both_or_neither(client: TestClient, admin: dict[str, str]) -> None:
    rice = make_food(client, admin, {})
    other = make_food(client, admin, {})
    food = make_food(client, admin, {})
    url = f"{FOODS}/{food['id']}"
    # Half a raw form, against what is stored: 422.
    assert_problem(client.patch(url, json={"cooked_yield": 2.0}, headers=admin), 422)
    set_both = client.patch(
        url, json={"raw_food_id": rice["id"], "cooked_yield": 2.0}, headers=admin
    )
    assert set_both.status_code == 200, set_both.text
    # The yield alone may change; so may the raw food alone.
    assert (
        client.patch(url, json={"cooked_yield": 2.2}, headers=admin).json()["cooked_yield"] == 2.2
    )
    moved = client.patch(url, json={"raw_food_id": other["id"]}, headers=admin)
    assert moved.json()["raw_food_id"] == other["id"]
    # Clearing one half only is refused; clearing both is how the raw form goes.
    assert_problem(client.patch(url, json={"raw_food_id": None}, headers=admin), 422)
    assert_problem(
        client.patch(url, json={"raw_food_id": None, "cooked_yield": 2.0}, headers=admin), 422
    )
    cleared = client.patch(url, json={"raw_food_id": None, "cooked_yield": None}, headers=admin)
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["raw_food_id"], cleared.json()["cooked_yield"]) == (None, None)


def test_patch_halal_and_allergens_to_not_assessed(
    client: TestClient, admin: dict[str, str]
) -> None:
    food = make_food(client, admin, {}, allergens=["soy"])
    url = f"{FOODS}/{food['id']}"
    resp = client.patch(url, json={"halal": "not_halal", "allergens": None}, headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["halal"] == "not_halal" and resp.json()["allergens"] is None
    again = client.patch(url, json={"allergens": ["mollusc", "fish", "mollusc"]}, headers=admin)
    assert again.json()["allergens"] == ["fish", "mollusc"]
    # Fields that may not be empty stay refused as null.
    assert_problem(client.patch(url, json={"halal": None}, headers=admin), 422)
