"""Migration 0011: the reference recipes as national recipes, idempotent and reversible."""

import uuid
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

from tests.builders import list_all, make_kitchen
from tests.builders.foods import make_recipe
from tests.builders.menus import make_menu
from tests.conftest import ROOT
from tests.planning.reference import catalogue, nutrients_of, reference_recipes


def _alembic(url: str, verb: str, revision: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    getattr(command, verb)(cfg, revision)


def _fixed_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dapur-reference/{name}"))


def _national(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, Any]]:
    recipes = list_all(client, "/api/v1/recipes", admin, limit=1000)
    return {r["id"]: r for r in recipes if r["kitchen_id"] is None}


def test_every_reference_recipe_is_national_after_upgrade(
    client: TestClient, admin: dict[str, str]
) -> None:
    national = _national(client, admin)
    foods = catalogue()
    reference = reference_recipes()
    assert len(national) == len(reference) == 70
    for recipe in reference:
        found = national[_fixed_id(recipe.name)]
        assert (found["name"], found["category"]) == (recipe.name, recipe.category)
        assert [(i["food_code"], i["grams"]) for i in found["ingredients"]] == list(
            recipe.ingredients
        )
        expected = nutrients_of(recipe, foods)
        for nutrient, value in expected.items():
            assert found["nutrients_per_portion"][nutrient] == pytest.approx(value, abs=0.01)


def test_downgrade_keeps_used_recipes_and_upgrade_skips_existing_names(
    database_url: str, client: TestClient, admin: dict[str, str]
) -> None:
    before = _national(client, admin)
    nasi = _fixed_id("Nasi putih")
    kitchen = make_kitchen(client, admin)
    make_menu(client, admin, kitchen["id"], [(nasi, 1)])
    tag = client.get("/api/v1/recipes/" + nasi, headers=admin).headers["etag"]

    _alembic(database_url, "downgrade", "0010")
    left = _national(client, admin)
    assert list(left) == [nasi]  # a menu uses it: kept
    # An admin's own national recipe named like a reference one, made before the upgrade.
    food = before[_fixed_id("Pisang ambon")]["ingredients"][0]["food_id"]
    own = make_recipe(client, admin, [(food, 60)], name="Pisang ambon", category="fruit")

    _alembic(database_url, "upgrade", "head")
    after = _national(client, admin)
    assert set(after) == (set(before) - {_fixed_id("Pisang ambon")}) | {own["id"]}
    assert after[own["id"]]["ingredients"][0]["grams"] == 60
    # Reference data moved: what reads national recipes has a new ETag.
    assert client.get("/api/v1/recipes/" + nasi, headers=admin).headers["etag"] != tag
