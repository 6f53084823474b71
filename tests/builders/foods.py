"""Builders for foods and recipes, through the public API."""

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import Headers, unique

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


def make_food(
    client: TestClient, admin: Headers, nutrients: dict[str, float | None], **fields: Any
) -> dict[str, Any]:
    """A food created by admin with the given nutrients per 100 g (others null)."""
    body = {
        "code": unique("T-"),
        "name": unique("Test food "),
        "food_group": "vegetable",
        "commodity": "test",
        "edible_portion_pct": 100,
        "allergens": [],
        "nutrients": nutrients,
        **fields,
    }
    resp = client.post("/api/v1/foods", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_recipe(
    client: TestClient,
    headers: Headers,
    ingredients: list[tuple[str, float]],
    kitchen_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A recipe of (food_id, grams) pairs, national unless `kitchen_id` is given."""
    body: dict[str, Any] = {
        "name": unique("Recipe "),
        "category": "other",
        "ingredients": [{"food_id": f, "grams": g} for f, g in ingredients],
        **fields,
    }
    if kitchen_id is not None:
        body["kitchen_id"] = kitchen_id
    resp = client.post("/api/v1/recipes", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]
