"""The built-in catalogue, read through the API, against the TKPI 2020 extract.

Every value of every built-in food with a TKPI code must equal the extract, except the
cells listed in app/foods/data/tkpi_known_differences.csv (each with the extraction error
that explains it); vitamin A is recomputed from retinol and carotene (docs/data-sources.md).
Raw forms and cooked yields are recomputed from the extract by the method each names
(docs/foods.md), and revision 0008 is run over a database as an older Dapur left it.
"""

import csv
import statistics
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

from app.core.types import UTCDateTime
from tests.builders import list_all

ROOT = Path(__file__).resolve().parents[2]
TKPI = ROOT.parent / "shared" / "data" / "tkpi-2020" / "tkpi_2020_pages_15_83.csv"
DATA = ROOT / "app" / "foods" / "data"
KNOWN = DATA / "tkpi_known_differences.csv"
CATALOGUE = DATA / "catalogue.csv"

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
    """µg RE: retinol + β-carotene / 6, or + total carotene / 12 where β-carotene is
    blank, or 0 beside a positive total carotene."""
    retinol, beta, total = (
        _num(row[c]) for c in ("retinol_mcg", "beta_carotene_mcg", "carotene_total_mcg")
    )
    if retinol is None and beta is None and total is None:
        return None
    if beta is None or (beta == 0 and total):
        return round((retinol or 0) + (total or 0) / 12, 1)
    return round((retinol or 0) + beta / 6, 1)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


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


# The TKPI pairs behind the class medians (docs/foods.md): boiled or steamed, raw code.
TUBER_PAIRS = [
    ("BP002", "BR003"), ("BP004", "BR004"), ("BP005", "BR006"), ("BP007", "BR009"),
    ("BP008", "BR016"), ("BP009", "BR024"), ("BP010", "BR025"), ("BP011", "BR028"),
    ("BP012", "BR032"),
]  # fmt: skip
VEGETABLE_PAIRS = [
    ("DP001", "DR008"), ("DP002", "DR008"), ("DP003", "DR013"), ("DP004", "DR033"),
    ("DP005", "DR035"), ("DP006", "DR038"), ("DP007", "DR056"), ("DP008", "DR071"),
    ("DP009", "DR076"), ("DP010", "DR079"), ("DP011", "DR097"), ("DP012", "DR097"),
    ("DP013", "DR100"), ("DP014", "DR100"), ("DP015", "DR131"), ("DP016", "DR145"),
    ("DP019", "DR159"), ("DP020", "DR166"), ("DP021", "DR166"),
]  # fmt: skip


def _solids(row: dict[str, str], *, fat_free: bool = False) -> float:
    fat = float(row["fat_g"] or 0) if fat_free else 0.0
    return 100 - float(row["air_g"]) - fat


def _expected_yield(
    method: str, cooked: str, raw: str, tkpi: dict[str, dict[str, str]]
) -> float | None:
    """A yield recomputed from the extract by its method; None for the one assumption."""
    if method in ("dry_matter", "fat_free_dry_matter"):
        fat_free = method == "fat_free_dry_matter"
        return _solids(tkpi[raw], fat_free=fat_free) / _solids(tkpi[cooked], fat_free=fat_free)
    if method in ("tuber_median", "vegetable_median"):
        pairs = TUBER_PAIRS if method == "tuber_median" else VEGETABLE_PAIRS
        return statistics.median(_solids(tkpi[r]) / _solids(tkpi[c]) for c, r in pairs)
    if method == "pasta_analogue":  # dry noodles boiled to the water of TKPI's pasta
        return _solids(tkpi[raw]) / _solids(tkpi["AP106"])
    assert method == "in_shell", method
    return None


@pytest.mark.skipif(not TKPI.exists(), reason="the shared TKPI extract is not present")
def test_raw_forms_and_yields_follow_their_method(
    client: TestClient, admin: dict[str, str]
) -> None:
    tkpi = {row["code"]: row for row in _read(TKPI)}
    catalogue = {row["code"]: row for row in _read(CATALOGUE)}
    foods = {f["code"]: f for f in list_all(client, "/api/v1/foods", admin, limit=1000)}
    by_id = {f["id"]: f for f in foods.values()}
    cooked = {c: r for c, r in catalogue.items() if r["raw_food_code"]}
    # The contract's staples are there: rice, noodles, cassava, maize, potato, boiled egg.
    named = {foods[c]["name"]: by_id[foods[c]["raw_food_id"]]["name"] for c in cooked}
    assert named["Nasi"] == "Beras giling, mentah"
    assert named["Mi kering, rebus"] == "Mi kering"
    assert named["Ketela pohon/singkong, kukus"] == "Ketela pohon/ singkong, segar"
    assert named["Jagung gerontol"].startswith("Jagung pipil")
    assert named["Kentang, rebus"] == "Kentang, segar"
    assert named["Telur ayam ras, rebus"] == "Telur ayam ras, segar"

    for code, row in cooked.items():
        food, raw = foods[code], foods[row["raw_food_code"]]
        assert food["raw_food_id"] == raw["id"] and food["builtin"] is True
        assert raw["raw_food_id"] is None and raw["cooked_yield"] is None
        assert food["cooked_yield"] == float(row["cooked_yield"])
        assert 0 < food["cooked_yield"] <= 10
        want = _expected_yield(row["yield_method"], row["tkpi_code"], raw["code"], tkpi)
        if want is not None:
            assert food["cooked_yield"] == round(want, 2), code
    # Rice: 88.0 g of solids in 100 g beras, 43.3 g in 100 g nasi.
    assert foods["AP001"]["cooked_yield"] == round((100 - 12.0) / (100 - 56.7), 2) == 2.03
    plain = [f for c, f in foods.items() if f["builtin"] and c not in cooked]
    assert all(f["raw_food_id"] is None and f["cooked_yield"] is None for f in plain)


def test_foods_from_outside_tkpi_are_their_raw_food_over_the_yield(
    client: TestClient, admin: dict[str, str]
) -> None:
    """Cooked foods TKPI lacks carry their raw food's nutrients per cooked gram."""
    catalogue = {row["code"]: row for row in _read(CATALOGUE)}
    foods = {f["code"]: f for f in list_all(client, "/api/v1/foods", admin, limit=1000)}
    own = [c for c, r in catalogue.items() if not r["tkpi_code"]]
    assert len(own) >= 3
    for code in own:
        food = foods[code]
        raw = next(f for f in foods.values() if f["id"] == food["raw_food_id"])
        for nutrient, value in food["nutrients"].items():
            before = raw["nutrients"][nutrient]
            if value is None:  # lost to the cooking water: unknown, not guessed
                assert nutrient in ("vitamin_c_mg", "sodium_mg") and before, (code, nutrient)
                continue
            digits = 0 if nutrient == "energy_kcal" else 1
            assert value == round(before / food["cooked_yield"], digits), (code, nutrient)


def test_catalogue_halal_allergens_and_commodities(
    client: TestClient, admin: dict[str, str]
) -> None:
    listed = {row["commodity"] for row in _read(DATA / "commodities.csv")}
    assert 30 <= len(listed) <= 60
    foods = [f for f in list_all(client, "/api/v1/foods", admin, limit=1000) if f["builtin"]]
    by_code = {f["code"]: f for f in foods}
    assert {f["commodity"] for f in foods} <= listed
    assert {f["halal"] for f in foods} <= {"halal", "not_halal", "unknown"}
    codes = {"gluten", "crustacean", "egg", "fish", "peanut", "soy", "milk", "tree_nut",
             "sesame", "sulphite", "mollusc"}  # fmt: skip
    for food in foods:
        allergens = food["allergens"]
        assert allergens is None or (set(allergens) <= codes and allergens == sorted(allergens))
    assert by_code["AP001"]["allergens"] == []  # plain rice: assessed, free
    assert by_code["KP001"]["allergens"] is None  # margarine: check the label
    assert by_code["CR032"]["allergens"] == ["peanut"]
    assert by_code["CP077"]["allergens"] == ["soy"]
    assert by_code["NP005"]["allergens"] == ["gluten", "soy"]
    assert by_code["GR074"]["allergens"] == ["mollusc"]
    assert by_code["GR083"]["allergens"] == ["crustacean"]
    assert by_code["BR030"]["nutrients"]["vitamin_a_mcg"] > 0  # ubi jalar merah
    assert by_code["AP001"]["commodity"] == by_code["AR001"]["commodity"] == "beras"
    assert by_code["BP008"]["commodity"] == by_code["BR016"]["commodity"] == "ubi kayu"
    assert all("TABEL KOMPOSISI" not in f["name"] for f in foods)


def _alembic(url: str, verb: str, revision: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    getattr(command, verb)(cfg, revision)


def test_migration_0008_over_an_older_database(
    database_url: str, client: TestClient, admin: dict[str, str]
) -> None:
    """What revision 0008 does to a database that revisions 0002 and 0006 left."""
    _alembic(database_url, "downgrade", "0006")
    engine = sa.create_engine(database_url)
    foods = sa.table(
        "foods",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        *[sa.column(c) for c in ("code", "name", "food_group", "commodity")],
        sa.column("edible_portion_pct", sa.Float()),
        sa.column("allergens", sa.JSON()),
        sa.column("builtin", sa.Boolean()),
    )
    added = [r["code"] for r in _read(CATALOGUE) if not r["tkpi_code"]] + ["AP051"]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        # As the older catalogue had it: fewer foods, a commodity per food name.
        conn.execute(foods.delete().where(foods.c.code.in_(added)))
        conn.execute(foods.update().where(foods.c.code == "BR016").values(commodity="singkong"))
        mine = {  # a food an admin added, with "[]" meaning "none known" back then
            "id": uuid.uuid4(), "created_at": now, "updated_at": now, "code": "DPR-OLD",
            "name": "Keripik lama", "food_group": "other", "commodity": "keripik",
            "edible_portion_pct": 100.0, "allergens": [], "builtin": False,
        }  # fmt: skip
        conn.execute(foods.insert().values(**mine))
    engine.dispose()

    _alembic(database_url, "upgrade", "head")
    after = {f["code"]: f for f in list_all(client, "/api/v1/foods", admin, limit=1000)}
    assert after["DPR-OLD"]["allergens"] is None and after["DPR-OLD"]["halal"] == "unknown"
    assert after["DPR-OLD"]["commodity"] == "keripik" and after["DPR-OLD"]["builtin"] is False
    assert after["BR016"]["commodity"] == "ubi kayu"
    for code in added:
        assert after[code]["builtin"] is True and after[code]["raw_food_id"] is not None
    assert after["AP001"]["raw_food_id"] == after["AR001"]["id"]
    assert after["FR005"]["halal"] == "halal" and after["AP001"]["allergens"] == []


def test_catalogue_follows_the_import_rules() -> None:
    """The catalogue is classified by the very rules the import applies to new foods."""
    from app.foods.importer import classify
    from app.foods.models import FoodGroup

    for row in _read(CATALOGUE):
        found = classify(row["tkpi_code"], row["name"], FoodGroup(row["food_group"]))
        listed = sorted(a for a in row["allergens"].split(";") if a)
        allergens = listed if row["allergens_assessed"] == "yes" else None
        assert (found.commodity, found.halal.value, found.allergens) == (
            row["commodity"],
            row["halal"],
            allergens,
        ), row["code"]
