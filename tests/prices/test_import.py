"""`python -m app import-prices PATH`: every row is loaded or reported; twice the same.

The command runs as operators run it, in a subprocess on the test's database; its effect is
checked through the API.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import list_all, make_kitchen
from tests.builders.foods import make_food

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "app" / "prices" / "data" / "reference_prices.csv"
SUMMARY = re.compile(
    r"rows: (\d+), loaded: (\d+) \(created: (\d+), updated: (\d+), unchanged: (\d+)\), "
    r"rejected: (\d+)"
)
LINE = re.compile(r"^  line (\d+)(?:, food (\S+))?: (.+)$")


def run(database_url: str, path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "app", "import-prices", str(path)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def report(database_url: str, path: Path, cwd: Path) -> dict[str, Any]:
    done = run(database_url, path, cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    match = SUMMARY.match(lines[0])
    assert match, lines
    rows, loaded, created, updated, unchanged, rejected = map(int, match.groups())
    refused = {}
    for line in lines[1:]:
        found = LINE.match(line)
        assert found, line
        refused[int(found.group(1))] = (found.group(2) or "", found.group(3))
    assert len(refused) == rejected and loaded + rejected == rows
    return {
        "rows": rows,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": refused,
    }


def test_a_messy_price_list(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    rice = make_food(client, admin, {}, code="ZZ-RICE")
    egg = make_food(client, admin, {}, code="ZZ-EGG")
    kitchen = make_kitchen(client, admin, code="K-IMPORT-1", region_code="32.73.01")
    path = tmp_path / "prices.csv"
    path.write_text(
        "\n".join(
            [
                "food_code,price_per_kg,valid_from,region_code,kitchen_code,note",
                "ZZ-RICE,13280,2026-01-01,,,Panel Harga Pangan",  # 2: national
                "ZZ-RICE,13500,2026-01-01,32.73,,",  # 3: regional
                "ZZ-RICE,12900,2026-01-01,,K-IMPORT-1,supplier A",  # 4: the kitchen's
                ",1000,2026-01-01,,,",  # 5: no food
                "ZZ-NOPE,1000,2026-01-01,,,",  # 6: unknown food
                "ZZ-EGG,13.500,2026-01-01,,,",  # 7: not whole rupiah
                "ZZ-EGG,0,2026-01-01,,,",  # 8: zero
                "ZZ-EGG,28000,01/01/2026,,,",  # 9: not a date
                "ZZ-EGG,28000,2026-01-01,32.7,,",  # 10: not a region code
                "ZZ-EGG,28000,2026-01-01,32,K-IMPORT-1,",  # 11: both scopes
                "ZZ-EGG,28000,2026-01-01,,K-NOPE,",  # 12: unknown kitchen
                "ZZ-EGG,28000,2026-01-01",  # 13: too few fields
                "ZZ-RICE,13300,2026-01-01,,,again",  # 14: national again in the file
                "",  # blank: not a record
                "ZZ-EGG,28000,2026-02-01,,,",  # 16: national
                "ZZ-EGG,,2026-02-01,,,",  # 17: no price
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    first = report(database_url, path, tmp_path)
    assert (first["rows"], first["created"], first["updated"], first["unchanged"]) == (15, 4, 0, 0)
    reasons = first["rejected"]
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17]
    assert reasons[5] == ("", "food_code missing")
    assert reasons[6] == ("ZZ-NOPE", "unknown food_code")
    assert "not a whole number" in reasons[7][1]
    assert "out of range" in reasons[8][1]
    assert "not a date" in reasons[9][1]
    assert "not a region code" in reasons[10][1]
    assert "not both" in reasons[11][1]
    assert "unknown kitchen_code" in reasons[12][1]
    assert reasons[13][1] == "expected 6 fields, found 3"
    assert reasons[14] == ("ZZ-RICE", "duplicate price (first on line 2)")
    assert reasons[17][1] == "price_per_kg missing"

    prices = list_all(client, "/api/v1/food-prices", admin)
    loaded = {
        (p["food_id"], p["scope"], p["valid_from"]): (p["price_per_kg"], p["note"]) for p in prices
    }
    assert loaded == {
        (rice["id"], "national", "2026-01-01"): (13280, "Panel Harga Pangan"),
        (rice["id"], "region", "2026-01-01"): (13500, None),
        (rice["id"], "kitchen", "2026-01-01"): (12900, "supplier A"),
        (egg["id"], "national", "2026-02-01"): (28000, None),
    }
    mine = next(p for p in prices if p["scope"] == "kitchen")
    assert mine["kitchen_id"] == kitchen["id"]

    # Twice: the same rows load, nothing changes.
    again = report(database_url, path, tmp_path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert again["rejected"] == first["rejected"]
    assert list_all(client, "/api/v1/food-prices", admin) == prices

    # A corrected figure for a price already recorded updates it in place.
    path.write_text(
        "valid_from,food_code,price_per_kg\n2026-01-01,ZZ-RICE,13400\n", encoding="utf-8"
    )
    fixed = report(database_url, path, tmp_path)
    assert (fixed["created"], fixed["updated"]) == (0, 1)
    national = [
        p
        for p in list_all(client, "/api/v1/food-prices", admin)
        if p["scope"] == "national" and p["food_id"] == rice["id"]
    ]
    assert [(p["price_per_kg"], p["note"]) for p in national] == [(13400, None)]


def test_the_shipped_reference_list_loads_whole(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    shipped = report(database_url, REFERENCE, tmp_path)
    records = len(REFERENCE.read_text(encoding="utf-8").strip().splitlines()) - 1
    assert (shipped["rows"], shipped["created"], shipped["rejected"]) == (records, records, {})
    notes = {p["note"] for p in list_all(client, "/api/v1/food-prices", admin, limit=1000)}
    # Each price says where it comes from: a dated Panel Harga Pangan figure, or illustrative.
    assert all(n.startswith(("Panel Harga Pangan", "Illustrative")) for n in notes)


def test_unreadable_files_change_nothing(
    client: TestClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    assert run(database_url, tmp_path / "missing.csv", tmp_path).returncode == 1
    headless = tmp_path / "headless.csv"
    headless.write_text("code,price\nAR001,13000\n", encoding="utf-8")
    done = run(database_url, headless, tmp_path)
    assert done.returncode == 1 and "food_code" in done.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"food_code,price_per_kg,valid_from\nAR001,\xff\xfe,2026-01-01\n")
    assert run(database_url, binary, tmp_path).returncode == 1
    assert list_all(client, "/api/v1/food-prices", admin) == []
