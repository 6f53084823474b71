"""The reference recipes: built from catalogue foods, enough per plate category, each sourced."""

import csv
from collections import Counter, defaultdict

from tests.planning.reference import REFERENCE, catalogue, nutrients_of, reference_recipes

# The minimum choice per category ...
MINIMUM = {"staple": 8, "animal_protein": 12, "plant_protein": 8, "vegetable": 12, "fruit": 8}
# ... and what 24 school days at the default repeat limit of 2 need per required category.
FOUR_WEEKS = 12


def _rows() -> list[dict[str, str]]:
    with REFERENCE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_ingredient_is_a_catalogue_food() -> None:
    foods = catalogue()
    missing = sorted({row["food_code"] for row in _rows()} - foods.keys())
    assert missing == []


def test_columns_grams_and_sources() -> None:
    rows = _rows()
    assert list(rows[0]) == ["recipe", "category", "food_code", "grams", "source"]
    for row in rows:
        assert 0 < float(row["grams"]) <= 2000, row
        assert row["source"].strip(), row
    pairs = Counter((row["recipe"], row["food_code"]) for row in rows)
    assert [p for p, n in pairs.items() if n > 1] == []


def test_one_category_per_recipe_and_enough_of_each() -> None:
    categories: dict[str, set[str]] = defaultdict(set)
    for row in _rows():
        categories[row["recipe"]].add(row["category"])
    assert all(len(c) == 1 for c in categories.values())
    counts = Counter(next(iter(c)) for c in categories.values())
    for category, least in MINIMUM.items():
        assert counts[category] >= least, (category, counts[category])
    for category in ("staple", "animal_protein", "vegetable", "fruit"):
        assert counts[category] >= FOUR_WEEKS, (category, counts[category])


def test_each_recipe_takes_its_portion_from_a_published_standard() -> None:
    """The main food's grams cite the exchange list (DBMP) or Isi Piringku, never a guess."""
    for recipe in reference_recipes():
        cited = [s for s in recipe.sources if s.startswith(("DBMP", "Isi Piringku"))]
        assert cited, recipe.name


def test_every_recipe_brings_energy_and_the_staples_a_meal_s_worth() -> None:
    foods = catalogue()
    for recipe in reference_recipes():
        energy = nutrients_of(recipe, foods)["energy_kcal"]
        assert energy > 0, recipe.name
        if recipe.category == "staple":
            # 1.5 exchanges of 175 kcal (nasi 150 g); the tubers run lower in TKPI.
            assert 190 <= energy <= 330, (recipe.name, energy)
