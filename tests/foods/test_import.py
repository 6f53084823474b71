"""`python -m app import-tkpi PATH`: every record is loaded or reported, twice the same.

The command runs as operators run it, in a subprocess pointed at the test's database;
its effect is checked through the API, and what it printed is checked against it: the
rows it refused, the impossible rows it warned about, the halal status it could not
decide and the allergens it inferred.
"""

import csv
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import list_all
from tests.builders.foods import make_food

ROOT = Path(__file__).resolve().parents[2]
TKPI = ROOT.parent / "shared" / "data" / "tkpi-2020" / "tkpi_2020_pages_15_83.csv"
DATA = ROOT / "app" / "foods" / "data"
SUMMARY = re.compile(
    r"rows: (\d+), loaded: (\d+) \(created: (\d+), updated: (\d+), unchanged: (\d+)\), "
    r"rejected: (\d+)"
)
LINE = re.compile(r"^  line (\d+)(?:, code (.*?))?: (.+)$")
IMPOSSIBLE = re.compile(r"^impossible rows \(loaded as given; check them\): (\d+)$")
CLASSIFIED = re.compile(r"^classified by name rules: (\d+) foods$")
HALAL = re.compile(r"^halal \((.*)\); undecided, left unknown: (\d+)$")
ALLERGENS = re.compile(
    r"^allergens inferred from names: (\d+) foods; assessed free as plain foods: (\d+); "
    r"not assessed: (\d+)$"
)
INFERRED = re.compile(r"^  (\w+) \((\d+)\): (.+)$")


def run_import(
    database_url: str, path: Path, cwd: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "app", "import-tkpi", *options, str(path)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _section(lines: list[str], header: re.Pattern[str]) -> tuple[re.Match[str], list[str]]:
    """A header line of the report and the indented lines under it."""
    start = next(i for i, line in enumerate(lines) if header.match(line))
    match = header.match(lines[start])
    assert match
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        body.append(line)
    return match, body


def import_ok(database_url: str, path: Path, cwd: Path, *options: str) -> dict[str, Any]:
    """Run the import; what it printed, section by section."""
    done = run_import(database_url, path, cwd, *options)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    summary, refused = _section(lines, SUMMARY)
    rows, loaded, created, updated, unchanged, rejected = map(int, summary.groups())
    parsed = [LINE.match(line) for line in refused]
    assert all(parsed) and len(parsed) == rejected
    impossible, warned = _section(lines, IMPOSSIBLE)
    assert len(warned) == int(impossible.group(1))
    classified, _ = _section(lines, CLASSIFIED)
    halal, undecided = _section(lines, HALAL)
    assert len(undecided) == int(halal.group(2))
    allergens, inferred = _section(lines, ALLERGENS)
    by_allergen = {}
    for line in inferred:
        match = INFERRED.match(line)
        assert match, line
        by_allergen[match.group(1)] = match.group(3).split(", ")
        assert len(by_allergen[match.group(1)]) == int(match.group(2))

    def located(found: list[str]) -> list[tuple[int, str, str]]:
        matches = [LINE.match(line) for line in found]
        return [(int(m.group(1)), m.group(2) or "", m.group(3)) for m in matches if m]

    return {
        "rows": rows,
        "loaded": loaded,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": located(refused),
        "impossible": located(warned),
        "classified": int(classified.group(1)),
        "halal": dict(
            (k, int(v)) for k, v in (p.split(": ") for p in halal.group(1).split(", ") if ": " in p)
        ),
        "undecided": located(undecided),
        "inferred": by_allergen,
        "free": int(allergens.group(2)),
        "not_assessed": int(allergens.group(3)),
    }


def foods_by_code(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, Any]]:
    foods = list_all(client, "/api/v1/foods", admin, limit=1000)
    by_code = {f["code"]: f for f in foods}
    assert len(by_code) == len(foods), "duplicate codes"
    return by_code


def _num(text: str) -> float:
    return float(text) if text.strip() else 0.0


def _impossible(row: dict[str, str]) -> bool:
    """The documented rule: protein + fat + carbohydrate over 100 g, or with water and
    ash over 105 g (TKPI's carbohydrate already holds the fibre)."""
    macros = sum(_num(row[c]) for c in ("protein_g", "fat_g", "carb_g"))
    return macros > 100 or macros + _num(row["air_g"]) + _num(row["ash_g"]) > 105


@pytest.mark.skipif(not TKPI.exists(), reason="the shared TKPI extract is not present")
def test_import_shared_tkpi_file(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    with TKPI.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    in_file = {r["code"] for r in records}
    before = foods_by_code(client, admin)
    builtin = {c for c, f in before.items() if f["builtin"]}
    # Only new foods without an edible portion may be refused (the file is otherwise clean);
    # catalogue foods keep theirs, including the ones the catalogue filled in.
    no_bdd = {r["code"] for r in records if not r["bdd_percent"].strip()} - builtin

    first = import_ok(database_url, TKPI, tmp_path)
    assert first["rows"] == len(records) == 1066
    assert first["loaded"] + len(first["rejected"]) == len(records)
    assert {code for _, code, _ in first["rejected"]} == no_bdd
    assert all("bdd_percent missing" in reason for _, _, reason in first["rejected"])
    assert first["created"] == len(records) - len(builtin & in_file) - len(no_bdd)
    # The catalogue is the extract with its known errors corrected: nothing to update.
    assert first["unchanged"] == len(builtin & in_file) and first["updated"] == 0
    # The counts docs/foods.md gives.
    assert (first["loaded"], first["created"], len(first["rejected"])) == (931, 693, 135)

    after = foods_by_code(client, admin)
    assert set(after) == in_file - no_bdd | set(before)
    assert {c for c, f in after.items() if f["builtin"]} == builtin
    for code in builtin:
        assert after[code] == before[code]
    assert after["AP022"]["nutrients"]["carbohydrate_g"] == 76.3  # known extract error kept out
    assert after["AR004"]["name"] == "Beras hitam, mentah"

    row = next(r for r in records if r["code"] not in builtin | no_bdd and r["retinol_mcg"])
    new = after[row["code"]]
    assert new["name"] == row["name"] and new["builtin"] is False
    assert new["edible_portion_pct"] == float(row["bdd_percent"])
    assert new["nutrients"]["protein_g"] == float(row["protein_g"])
    assert new["nutrients"]["carbohydrate_g"] == float(row["carb_g"])
    assert new["raw_food_id"] is None and new["cooked_yield"] is None

    created = {c: after[c] for c in in_file - no_bdd - builtin}
    # Names: no PDF residue left anywhere.
    assert all("TABEL KOMPOSISI" not in f["name"] for f in after.values())
    assert after["AP058"]["name"] == "Kelepon, kue"
    # Commodities: a few dozen, all from the documented list.
    with (DATA / "commodities.csv").open(encoding="utf-8") as f:
        listed = {r["commodity"] for r in csv.DictReader(f)}
    commodities = {f["commodity"] for f in after.values()}
    assert commodities <= listed and len(commodities) <= 60
    assert after["AR009"]["commodity"] == "beras"  # Beras ladang
    assert after["BR022"]["commodity"] == "ubi kayu"  # Sagu singkong
    # Halal: pork, lard, dog and blood are not halal; the bean named after pigs is.
    for code in ("FR008", "FR009", "KR003", "FP063", "FR006"):
        assert after[code]["halal"] == "not_halal", code
    assert after["CR002"]["halal"] == "halal"  # Kacang babi
    assert after["FR004"]["halal"] == after["JR004"]["halal"] == "halal"
    assert first["halal"] == dict(Counter(f["halal"] for f in created.values()))
    undecided = {code for _, code, _ in first["undecided"]}
    assert undecided == {c for c, f in created.items() if f["halal"] == "unknown"}
    assert {"FP016", "AP039"} <= undecided  # a sausage, brem
    # Allergens: what the report says was inferred is what the foods carry.
    assert first["classified"] == len(created)
    for allergen, codes in first["inferred"].items():
        assert set(codes) == {c for c, f in created.items() if allergen in (f["allergens"] or [])}
    assert first["free"] == sum(f["allergens"] == [] for f in created.values())
    assert first["not_assessed"] == sum(f["allergens"] is None for f in created.values())
    assert after["CR031"]["allergens"] == ["peanut"]  # kacang tanah sangan tanpa selaput
    assert after["KR009"]["allergens"] == ["peanut"]  # minyak kacang tanah
    assert after["CP031"]["allergens"] == ["gluten", "peanut"]  # kacang atom
    assert after["CP065"]["allergens"] == ["soy"]  # tauco
    assert after["CP070"]["allergens"] is None  # tempe bongkrek: coconut, no soy
    assert after["BP045"]["allergens"] == ["crustacean"]  # kerupuk udang
    assert after["GP045"]["allergens"] == ["mollusc"]  # kerang asap
    assert after["DR004"]["allergens"] == []  # a raw vegetable
    assert after["DP031"]["allergens"] == ["peanut"] and after["DP053"]["allergens"] is None
    # Vitamin A: red sweet potato counted from its total carotene.
    potato = next(r for r in records if r["code"] == "BR030")
    assert float(potato["beta_carotene_mcg"]) == 0 and float(potato["carotene_total_mcg"]) > 0
    assert after["BR030"]["nutrients"]["vitamin_a_mcg"] == round(
        float(potato["carotene_total_mcg"]) / 12, 1
    )
    # Impossible rows: warned about, loaded as given.
    refused = {code for _, code, _ in first["rejected"]}
    warned = {code for _, code, _ in first["impossible"]}
    assert warned == {r["code"] for r in records if _impossible(r)} - refused
    assert "GP022" in warned and after["GP022"]["nutrients"]["protein_g"] == 68.3

    second = import_ok(database_url, TKPI, tmp_path)
    assert second["rows"] == first["rows"] and second["loaded"] == first["loaded"]
    assert second["rejected"] == first["rejected"]
    assert second["impossible"] == first["impossible"]
    assert (second["created"], second["updated"], second["classified"]) == (0, 0, 0)
    assert foods_by_code(client, admin) == after


MESSY_HEADER = (
    "code,name,category,energy_kcal,protein_g,fat_g,carb_g,fiber_g,calcium_mg,iron_mg,"
    "sodium_mg,retinol_mcg,beta_carotene_mcg,carotene_total_mcg,vitamin_c_mg,bdd_percent"
)
MESSY_ROWS = [
    # line 2: a new vegetable; vitamin A = 10 + 600 / 6 = 110
    'ZZ001,"Bayam test, segar",4.4. SAYURAN,36,3.5,0.5,6.5,2.2,267,3.9,16,10,600,,41,71',
    # line 3..9: refused
    ',"Tanpa kode",4.4. SAYURAN,1,1,1,1,1,1,1,1,,,,1,100',
    "ZZ002,,4.4. SAYURAN,1,1,1,1,1,1,1,1,,,,1,100",
    "ZZ003,Protein kata,4.4. SAYURAN,1,abc,1,1,1,1,1,1,,,,1,100",
    "ZZ004,Lemak negatif,4.4. SAYURAN,1,1,-1,1,1,1,1,1,,,,1,100",
    "ZZ005,BDD nol,4.4. SAYURAN,1,1,1,1,1,1,1,1,,,,1,0",
    "ZZ006,BDD terlalu besar,4.4. SAYURAN,1,1,1,1,1,1,1,1,,,,1,150",
    "ZZ001,Kode kembar,4.4. SAYURAN,1,1,1,1,1,1,1,1,,,,1,100",
    # line 10: a new food without BDD is refused
    "ZZ007,Tanpa BDD,4.5. BUAH,1,1,1,1,1,1,1,1,,,,1,",
    # line 11: a built-in food without BDD keeps its own; protein changes
    'AR001,"Beras giling, mentah",4.1. SEREALIA,357,9.9,1.7,77.1,0.2,147,1.8,27,0,0,0,0,',
    # line 12: too few fields
    "ZZ008,Kurang kolom,4.4. SAYURAN,1,1",
    # line 13: blank, not a record
    "",
    # lines 14-15: one record whose quoted name spans two lines; unknown section -> other
    'ZZ009,"Nama dua\nbaris",9.9. LAIN,5,,,,,,,,,,8,,50',
    # line 16: bad code, line 17: not a finite number
    "ZZ 010,Kode berspasi,4.4. SAYURAN,1,1,1,1,1,1,1,1,,,,1,100",
    "ZZ011,Bukan angka,4.4. SAYURAN,nan,1,1,1,1,1,1,1,,,,1,100",
    # line 18: PDF residue in the name; β-carotene 0 beside total carotene 1200 -> 100
    "ZZ012,Ubi jalar test TABEL KOMPOSISI,4.2. UMBI,151,1.4,0.7,35.4,2.2,29,0.8,,0,0,1200,11,86",
    # line 19: loaded, but protein + fat + carbohydrate = 101 g per 100 g
    "ZZ013,Ikan test kering,4.7. IKAN,400,60,20,21,0,1,1,1,,,,,100",
]


def test_import_messy_file_reports_every_refused_row(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(MESSY_HEADER + "\n" + "\n".join(MESSY_ROWS) + "\n", encoding="utf-8")
    before = foods_by_code(client, admin)

    report = import_ok(database_url, path, tmp_path)
    refused = {line: (code, reason) for line, code, reason in report["rejected"]}
    assert sorted(refused) == [3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 17]
    assert report["impossible"] == [
        (19, "ZZ013", "Ikan test kering: protein + fat + carbohydrate = 101.0 g per 100 g")
    ]
    assert refused[3] == ("", "code missing")
    assert refused[4][1] == "name missing"
    assert "protein_g is not a number" in refused[5][1]
    assert "fat_g is negative" in refused[6][1]
    assert "bdd_percent out of range" in refused[7][1]
    assert "bdd_percent out of range" in refused[8][1]
    assert refused[9][1] == "duplicate code ZZ001 (first on line 2)"
    assert "bdd_percent missing" in refused[10][1]
    assert "expected 16 fields, found 5" in refused[12][1]
    assert refused[16] == ("ZZ 010", "code 'ZZ 010' is not a valid food code")
    assert "energy_kcal is not a number" in refused[17][1]
    records = sum(1 for r in MESSY_ROWS if r)  # the blank line is not a record
    assert report["rows"] == records
    assert report["loaded"] + len(report["rejected"]) == records
    assert (report["created"], report["updated"]) == (4, 1)

    after = foods_by_code(client, admin)
    assert set(after) - set(before) == {"ZZ001", "ZZ009", "ZZ012", "ZZ013"}
    spinach = after["ZZ001"]
    assert spinach["name"] == "Bayam test, segar" and spinach["commodity"] == "bayam"
    assert spinach["food_group"] == "vegetable" and spinach["edible_portion_pct"] == 71
    assert spinach["nutrients"]["vitamin_a_mcg"] == 110
    assert spinach["nutrients"]["carbohydrate_g"] == 6.5
    assert spinach["halal"] == "halal" and spinach["allergens"] == []  # plain vegetable
    two_lines = after["ZZ009"]
    assert two_lines["name"] == "Nama dua baris" and two_lines["food_group"] == "other"
    assert two_lines["nutrients"]["vitamin_a_mcg"] == round(8 / 12, 1)
    assert two_lines["nutrients"]["protein_g"] is None
    # Nothing in the name or group decides: not assessed, halal unknown, no commodity told.
    assert (two_lines["allergens"], two_lines["halal"]) == (None, "unknown")
    assert two_lines["commodity"] == "pangan olahan"
    assert [code for _, code, _ in report["undecided"]] == ["ZZ009"]
    sweet_potato = after["ZZ012"]
    assert sweet_potato["name"] == "Ubi jalar test" and sweet_potato["commodity"] == "ubi jalar"
    assert sweet_potato["nutrients"]["vitamin_a_mcg"] == 100
    fish = after["ZZ013"]
    assert fish["nutrients"]["protein_g"] == 60 and fish["allergens"] == ["fish"]
    assert report["inferred"] == {"fish": ["ZZ013"]}
    rice = after["AR001"]
    assert rice["nutrients"]["protein_g"] == 9.9
    assert rice["edible_portion_pct"] == before["AR001"]["edible_portion_pct"]
    assert rice["builtin"] is True and rice["commodity"] == "beras"

    again = import_ok(database_url, path, tmp_path)
    assert again["rejected"] == report["rejected"]
    assert (again["loaded"], again["created"], again["updated"]) == (report["loaded"], 0, 0)
    assert foods_by_code(client, admin) == after


def test_unreadable_file_fails_and_changes_nothing(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    before = foods_by_code(client, admin)
    missing = run_import(database_url, tmp_path / "nope.csv", tmp_path)
    assert missing.returncode != 0 and "Cannot import" in missing.stderr
    no_code = tmp_path / "no_code.csv"
    no_code.write_text("nama,energy_kcal\nBayam,36\n", encoding="utf-8")
    headless = run_import(database_url, no_code, tmp_path)
    assert headless.returncode != 0 and "code" in headless.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"code,name,bdd_percent\nZZ1,\xff\xfe,100\n")
    assert run_import(database_url, binary, tmp_path).returncode != 0
    assert foods_by_code(client, admin) == before


def test_reclassify_brings_older_imports_to_the_rules(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    """Foods an older import created keep their values, until asked to be reclassified."""
    old = make_food(
        client,
        admin,
        {"protein_g": 14.0},
        code="FR008",
        name="Babi, daging, gemuk, segar",
        food_group="meat",
        commodity="babi",
    )
    assert old["halal"] == "unknown" and old["allergens"] == []
    path = tmp_path / "pork.csv"
    path.write_text(
        MESSY_HEADER + "\n" + 'FR008,"Babi, daging, gemuk,segar",4.6. DAGING,453,11.9,45,0,'
        "0,7,1.8,,0,0,0,0,100\n"
        'AR001,"Beras giling, mentah",4.1. SEREALIA,357,8.4,1.7,77.1,0.2,147,1.8,27,0,0,0,0,'
        "\n",
        encoding="utf-8",
    )
    kept = import_ok(database_url, path, tmp_path)
    assert (kept["updated"], kept["classified"]) == (1, 0)
    food = foods_by_code(client, admin)["FR008"]
    assert (food["commodity"], food["halal"], food["allergens"]) == ("babi", "unknown", [])
    assert food["nutrients"]["protein_g"] == 11.9

    rice = foods_by_code(client, admin)["AR001"]
    redone = import_ok(database_url, path, tmp_path, "--reclassify")
    assert (redone["updated"], redone["classified"]) == (1, 1)  # built-in AR001 stays
    food = foods_by_code(client, admin)["FR008"]
    assert (food["commodity"], food["halal"]) == ("daging babi", "not_halal")
    assert food["allergens"] == []  # raw meat (an R code): plain, no listed allergen
    assert foods_by_code(client, admin)["AR001"] == rice
