"""The reference recipes with nutrients from the built-in catalogue and illustrative costs.

Prices here are illustrative round numbers of the order of Javanese market prices, used only
to give the planner a realistic shape of problem; they are not a price source.
"""

import csv
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from app.nutrition.models import NUTRIENTS
from app.planning.model import CandidateRecipe

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app" / "foods" / "data" / "catalogue.csv"
AKG = ROOT / "app" / "foods" / "data" / "akg_2019.csv"
REFERENCE = ROOT / "app" / "recipes" / "data" / "reference_recipes.csv"

# Rupiah per kg as purchased (illustrative).
PRICE_PER_KG: dict[str, float] = {
    # staples (cooked forms priced per kg cooked)
    "AP001": 6_000,
    "AP005": 8_000,
    "AP010": 8_000,
    "AP021": 12_000,
    "AP022": 30_000,
    "AP006": 30_000,
    "AP020": 28_000,
    "AP025": 12_000,
    "BR013": 18_000,
    "BP008": 6_000,
    "BP011": 10_000,
    "BP010": 12_000,
    # animal protein
    "FR005": 38_000,
    "FR007": 30_000,
    "FR025": 140_000,
    "FR026": 130_000,
    "GR050": 40_000,
    "GR070": 35_000,
    "GR007": 35_000,
    "GR048": 32_000,
    "GR053": 30_000,
    "GR012": 45_000,
    "GR083": 90_000,
    "HR002": 28_000,
    "HR011": 40_000,
    # plant protein
    "CP077": 14_000,
    "CP061": 12_000,
    "CR026": 35_000,
    "CR033": 30_000,
    # vegetables
    "DR100": 10_000,
    "DR008": 12_000,
    "DR085": 15_000,
    "DR097": 12_000,
    "DR123": 8_000,
    "DR161": 14_000,
    "DR166": 14_000,
    "DR114": 8_000,
    "DR141": 10_000,
    "DR113": 25_000,
    "DR147": 30_000,
    "DR013": 14_000,
    "DR154": 10_000,
    "DR148": 10_000,
    "DR071": 8_000,
    "DR035": 15_000,
    "DR122": 8_000,
    "DR018": 20_000,
    # fruit
    "ER074": 16_000,
    "ER081": 12_000,
    "ER073": 9_000,
    "ER105": 8_000,
    "ER067": 14_000,
    "ER004": 35_000,
    "ER101": 15_000,
    "ER104": 15_000,
    "ER031": 12_000,
    "ER030": 18_000,
    "ER006": 15_000,
    "ER001": 25_000,
    # fats, seasonings
    "KR012": 18_000,
    "KP003": 15_000,
    "KP004": 30_000,
    "KR001": 12_000,
    "NP005": 25_000,
    "NP009": 25_000,
    "NR007": 40_000,
    "NR008": 38_000,
    "NR014": 50_000,
    "NR015": 60_000,
    "NR022": 20_000,
    "NR017": 100_000,
    "MP005": 25_000,
}


@dataclass(frozen=True)
class ReferenceRecipe:
    name: str
    category: str
    ingredients: tuple[tuple[str, float], ...]
    sources: tuple[str, ...]


def catalogue() -> dict[str, dict[str, str]]:
    """The built-in catalogue rows by food code."""
    with CATALOGUE.open(newline="", encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def akg() -> dict[str, dict[str, float | None]]:
    """Daily AKG targets by group code."""
    with AKG.open(newline="", encoding="utf-8") as f:
        return {
            row["code"]: {n: float(row[n]) if row[n] else None for n in NUTRIENTS}
            for row in csv.DictReader(f)
        }


def reference_recipes() -> list[ReferenceRecipe]:
    """The reference recipes, one per name, ingredients in file order."""
    rows: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with REFERENCE.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[(row["recipe"], row["category"])].append(row)
    return [
        ReferenceRecipe(
            name=name,
            category=category,
            ingredients=tuple((r["food_code"], float(r["grams"])) for r in group),
            sources=tuple(r["source"] for r in group),
        )
        for (name, category), group in rows.items()
    ]


def nutrients_of(recipe: ReferenceRecipe, foods: dict[str, dict[str, str]]) -> dict[str, float]:
    """Σ grams/100 × food nutrient, a missing value counted as 0 (as the recipe API does)."""
    totals = dict.fromkeys(NUTRIENTS, 0.0)
    for code, grams in recipe.ingredients:
        for n in NUTRIENTS:
            value = foods[code][n]
            totals[n] += grams / 100 * (float(value) if value else 0.0)
    return totals


def cost_of(recipe: ReferenceRecipe, foods: dict[str, dict[str, str]]) -> float:
    """Purchase grams (edible grams × 100 / edible %) ÷ 1000 × illustrative price per kg."""
    total = 0.0
    for code, grams in recipe.ingredients:
        edible = float(foods[code]["edible_portion_pct"])
        total += grams * 100 / edible / 1000 * PRICE_PER_KG[code]
    return round(total, 2)


def candidates() -> list[CandidateRecipe]:
    """The reference recipes as planner candidates, with stable ids."""
    foods = catalogue()
    return [
        CandidateRecipe(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"dapur-reference/{r.name}"),
            name=r.name,
            category=r.category,
            nutrients=nutrients_of(r, foods),
            cost=cost_of(r, foods),
        )
        for r in reference_recipes()
    ]
