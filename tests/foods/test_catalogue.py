"""The built-in catalogue, read through the API, against the TKPI 2020 extract.

Every value of every built-in food with a TKPI code must equal the extract, except the
cells listed in app/foods/data/tkpi_known_differences.csv (each with the extraction error
that explains it); vitamin A is recomputed from retinol and carotene (docs/data-sources.md).
"""

import csv
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import list_all

ROOT = Path(__file__).resolve().parents[2]
TKPI = ROOT.parent / "shared" / "data" / "tkpi-2020" / "tkpi_2020_pages_15_83.csv"
KNOWN = ROOT / "app" / "foods" / "data" / "tkpi_known_differences.csv"
CATALOGUE = ROOT / "app" / "foods" / "data" / "catalogue.csv"

# API nutrient -> extract column, for the nutrients TKPI gives directly.
DIRECT = {
    "energy_kcal": "energy_kcal",
    "protein_g": "protein_g",
    "fat_g": "fat_g",
    "carbohydrate_g": "carb_g",
    "fiber_g": "fiber_g",
    "calcium_mg": "calcium_mg",
    "iron_mg": "iron_mg",
    "vitamin_c_mg": "vitamin_c_mg",
    "sodium_mg": "sodium_mg",
}
SECTIONS = {
    "4.1": "cereal",
    "4.2": "tuber",
    "4.3": "legume",
    "4.4": "vegetable",
    "4.5": "fruit",
    "4.6": "meat",
    "4.7": "fish",
    "4.8": "egg",
    "4.9": "milk",
    "4.10": "fat_oil",
    "4.11": "sugar",
    "4.12": "spice",
    "4.13": "beverage",
}


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def _vitamin_a(row: dict[str, str]) -> float | None:
    retinol, beta, total = (
        _num(row[c]) for c in ("retinol_mcg", "beta_carotene_mcg", "carotene_total_mcg")
    )
    if retinol is None and beta is None and total is None:
        return None
    carotene = beta if beta is not None else total
    return round((retinol or 0) + (carotene or 0) / 6, 1)


def _expected(row: dict[str, str]) -> dict[str, Any]:
    """What the API should say for a food, straight from its extract row."""
    section = row["category"].split(" ", 1)[0].rstrip(".")
    return {
        "name": row["name"],
        "food_group": SECTIONS[section],
        "edible_portion_pct": _num(row["bdd_percent"]),
        **{n: _num(row[c]) for n, c in DIRECT.items()},
        "vitamin_a_mcg": _vitamin_a(row),
    }


def _actual(food: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "food_group", "edible_portion_pct")
    return {**{k: food[k] for k in keys}, **food["nutrients"]}


def _same(field: str, api_value: Any, listed: str) -> bool:
    if field == "name":
        return bool(api_value == listed)
    return api_value == _num(listed)


@pytest.mark.skipif(not TKPI.exists(), reason="the shared TKPI extract is not present")
def test_builtin_catalogue_matches_tkpi(client: TestClient, admin: dict[str, str]) -> None:
    with TKPI.open(encoding="utf-8", newline="") as f:
        tkpi = {row["code"]: row for row in csv.DictReader(f)}
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        tkpi_code = {row["code"]: row["tkpi_code"] for row in csv.DictReader(f)}
    with KNOWN.open(encoding="utf-8", newline="") as f:
        known = {(r["code"], r["field"]): r for r in csv.DictReader(f)}
    assert all(r["reason"].strip() for r in known.values())

    foods = [f for f in list_all(client, "/api/v1/foods", admin, limit=1000) if f["builtin"]]
    assert len(foods) >= 150
    compared = 0
    used: set[tuple[str, str]] = set()
    unexplained: list[str] = []
    for food in foods:
        code = tkpi_code.get(food["code"])
        if not code:
            continue
        assert code in tkpi, f"{food['code']}: TKPI code {code} is not in the extract"
        compared += 1
        expected, actual = _expected(tkpi[code]), _actual(food)
        assert actual.keys() == expected.keys()
        for field, want in expected.items():
            got = actual[field]
            if got == want:
                continue
            listed = known.get((food["code"], field))
            if (
                listed is not None
                and _same(field, got, listed["catalogue_value"])
                and _same(field, want, listed["tkpi_value"])
            ):
                used.add((food["code"], field))
                continue
            unexplained.append(f"{food['code']}.{field}: API {got!r}, TKPI {want!r}")
    assert unexplained == []
    assert compared >= 150
    assert set(known) - used == set(), "listed differences that no longer occur"
