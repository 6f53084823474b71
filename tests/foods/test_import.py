"""`python -m app import-tkpi PATH`: every record is loaded or reported, twice the same.

The command runs as operators run it, in a subprocess pointed at the test's database;
its effect is checked through the API.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import list_all

ROOT = Path(__file__).resolve().parents[2]
TKPI = ROOT.parent / "shared" / "data" / "tkpi-2020" / "tkpi_2020_pages_15_83.csv"
SUMMARY = re.compile(
    r"rows: (\d+), loaded: (\d+) \(created: (\d+), updated: (\d+), unchanged: (\d+)\), "
    r"rejected: (\d+)"
)
REJECTED = re.compile(r"^  line (\d+)(?:, code (.*?))?: (.+)$", re.MULTILINE)


def run_import(database_url: str, path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "app", "import-tkpi", str(path)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def import_ok(database_url: str, path: Path, cwd: Path) -> dict[str, Any]:
    """Run the import; its counts and rejected rows, parsed from what it printed."""
    done = run_import(database_url, path, cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    match = SUMMARY.search(done.stdout)
    assert match, done.stdout
    rows, loaded, created, updated, unchanged, rejected = map(int, match.groups())
    lines = [(int(line), code, reason) for line, code, reason in REJECTED.findall(done.stdout)]
    assert len(lines) == rejected
    return {
        "rows": rows,
        "loaded": loaded,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": lines,
    }


def foods_by_code(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, Any]]:
    foods = list_all(client, "/api/v1/foods", admin, limit=1000)
    by_code = {f["code"]: f for f in foods}
    assert len(by_code) == len(foods), "duplicate codes"
    return by_code


@pytest.mark.skipif(not TKPI.exists(), reason="the shared TKPI extract is not present")
def test_import_shared_tkpi_file(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    with TKPI.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    before = foods_by_code(client, admin)
    builtin = {c for c, f in before.items() if f["builtin"]}
    # Only new foods without an edible portion may be refused (the file is otherwise clean);
    # catalogue foods keep theirs, including the ones the catalogue filled in.
    no_bdd = {r["code"] for r in records if not r["bdd_percent"].strip()} - builtin

    first = import_ok(database_url, TKPI, tmp_path)
    assert first["rows"] == len(records)
    assert first["loaded"] + len(first["rejected"]) == len(records)
    assert {code for _, code, _ in first["rejected"]} == no_bdd
    assert all("bdd_percent missing" in reason for _, _, reason in first["rejected"])
    assert first["created"] == len(records) - len(builtin) - len(no_bdd)
    # The catalogue is the extract with its known errors corrected: nothing to update.
    assert first["unchanged"] == len(builtin) and first["updated"] == 0

    after = foods_by_code(client, admin)
    assert set(after) == {r["code"] for r in records} - no_bdd | set(before)
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
    assert new["commodity"] == row["name"].split(",")[0].strip().lower()
    assert new["allergens"] == []

    second = import_ok(database_url, TKPI, tmp_path)
    assert second["rows"] == first["rows"] and second["loaded"] == first["loaded"]
    assert second["rejected"] == first["rejected"]
    assert (second["created"], second["updated"]) == (0, 0)
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
    assert (report["created"], report["updated"]) == (2, 1)

    after = foods_by_code(client, admin)
    assert set(after) - set(before) == {"ZZ001", "ZZ009"}
    spinach = after["ZZ001"]
    assert spinach["name"] == "Bayam test, segar" and spinach["commodity"] == "bayam test"
    assert spinach["food_group"] == "vegetable" and spinach["edible_portion_pct"] == 71
    assert spinach["nutrients"]["vitamin_a_mcg"] == 110
    assert spinach["nutrients"]["carbohydrate_g"] == 6.5
    two_lines = after["ZZ009"]
    assert two_lines["name"] == "Nama dua baris" and two_lines["food_group"] == "other"
    assert two_lines["nutrients"]["vitamin_a_mcg"] == round(8 / 6, 1)
    assert two_lines["nutrients"]["protein_g"] is None
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
