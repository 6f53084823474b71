"""Health reports of issue 18: deliveries (JSON, CSV, DHIS2) and the kitchens of a region
with their hygiene certificate, status and planned portions against capacity."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.reports.deliveries import COLUMNS as DELIVERY_COLUMNS
from app.reports.kitchens import COLUMNS as KITCHEN_COLUMNS
from tests.builders import assert_problem
from tests.builders.deliveries import make_delivery, patch_delivery, put_certificate, suspend
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, make_safety_check, put_counts
from tests.builders.reports import (
    HEALTH,
    Programme,
    count,
    csv_text,
    get_csv,
    get_dhis2,
    get_rows,
    make_programme,
)

P1, P2 = "2026-03-02", "2026-03-03"
WIB = ZoneInfo("Asia/Jakarta")
DELIVERIES = f"{HEALTH}/deliveries"
KITCHENS = f"{HEALTH}/kitchens"


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> Programme:
    """Deliveries of two past days in four kitchens (C in East Java)."""
    w = make_programme(client, admin)
    make_safety_check(client, admin, w.a1["id"], cooked_at=f"{P1}T04:00:00+07:00")
    late = make_delivery(client, admin, w.a1["id"], w.sa1["id"], P1)
    patch_delivery(
        client, admin, late["id"], arrived_at=f"{P1}T09:30:00+07:00", received_portions=118
    )
    make_delivery(client, admin, w.a1["id"], w.sa2["id"], P1, portions=60)
    on_time = make_delivery(client, admin, w.a2["id"], w.sa3["id"], P1, portions=20)
    patch_delivery(
        client, admin, on_time["id"], consumption_started_at=f"{P1}T09:30:00+07:00",
        received_portions=20,
    )  # fmt: skip
    make_delivery(client, admin, w.b["id"], w.sb["id"], P1, portions=80)
    make_delivery(client, admin, w.b["id"], w.sb["id"], P2, portions=80)
    make_delivery(client, admin, w.c["id"], w.sc["id"], P1, portions=10)
    return w


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["service_date"], row["kitchen_code"], row["npsn"])


def test_deliveries_rows_flags_and_order(client: TestClient, world: Programme) -> None:
    rows = get_rows(client, DELIVERIES, world.health_32, **{"from": P1, "to": P2})
    assert [_key(r) for r in rows] == [
        (P1, "K-3204-1", "30000004"),
        (P1, "K-3273-1", "30000001"),
        (P1, "K-3273-1", "30000002"),
        (P1, "K-3273-2", "30000003"),
        (P2, "K-3204-1", "30000004"),
    ]
    late = rows[1]
    assert late["flags"] == ["over_4h", "short_delivery"]
    assert late["minutes_to_consumption"] == 330  # 04:00 to 09:30
    assert datetime.fromisoformat(late["cooked_at"]) == datetime(2026, 3, 2, 4, tzinfo=WIB)
    assert (late["region_code"], late["kitchen_id"]) == ("32.73.01", world.a1["id"])
    assert rows[2]["flags"] == ["not_received"] and rows[2]["minutes_to_consumption"] is None
    assert rows[3]["flags"] == ["no_cooking_record"]
    assert list(rows[0]) == list(DELIVERY_COLUMNS)
    # The office of one regency sees its kitchens only; East Java sees its own.
    narrow = get_rows(client, DELIVERIES, world.health_3273, **{"from": P1, "to": P2})
    assert [r["npsn"] for r in narrow] == ["30000001", "30000002", "30000003"]
    east = get_rows(client, DELIVERIES, world.health_35, **{"from": P1, "to": P2})
    assert [r["npsn"] for r in east] == ["30000005"]
    # Paging one row at a time gives the same rows.
    assert get_rows(client, DELIVERIES, world.health_32, limit=1, **{"from": P1, "to": P2}) == rows


def test_deliveries_csv_and_dhis2(client: TestClient, world: Programme) -> None:
    window = {"from": P1, "to": P1, "region_code": "32.73"}
    rows = get_rows(client, DELIVERIES, world.health_32, **window)
    table = get_csv(client, DELIVERIES, world.health_32, **window)
    assert table[0] == list(DELIVERY_COLUMNS)
    assert len(table) == len(rows) + 1
    flags = table[0].index("flags")
    assert table[1][flags] == "over_4h;short_delivery"
    assert table[1][table[0].index("npsn")] == csv_text(rows[0]["npsn"])

    values = get_dhis2(client, DELIVERIES, world.health_32, **window)
    by_school: dict[str, dict[str, str]] = {}
    for v in values:
        assert v["period"] == "20260302" and v["categoryOptionCombo"] == "lunch"
        by_school.setdefault(v["orgUnit"], {})[v["dataElement"]] = v["value"]
    assert by_school["30000001"] == {
        "MBG_DELIVERY_PORTIONS": "120",
        "MBG_DELIVERY_RECEIVED": "118",
        "MBG_DELIVERY_MINUTES": "330",
        "MBG_DELIVERY_LATE_4H": "1",
        "MBG_DELIVERY_LATE_6H": "0",
        "MBG_DELIVERY_SHORT": "1",
        "MBG_DELIVERY_SHORT_PORTIONS": "2",
        "MBG_DELIVERY_NOT_RECEIVED": "0",
    }
    # Never arrived: portions sent and "not received"; nothing is known of the hours.
    assert by_school["30000002"] == {
        "MBG_DELIVERY_PORTIONS": "60",
        "MBG_DELIVERY_NOT_RECEIVED": "1",
    }
    assert by_school["30000003"]["MBG_DELIVERY_SHORT"] == "0"
    assert "MBG_DELIVERY_MINUTES" not in by_school["30000003"]  # no cooking record


def test_deliveries_updated_since_and_access(client: TestClient, world: Programme) -> None:
    stamp = datetime.now(WIB).isoformat()
    rows = get_rows(client, DELIVERIES, world.health_32, **{"from": P1, "to": P2})
    patch_delivery(client, world.admin, rows[0]["id"], notes="Kotak makan rusak 2 buah")
    changed = get_rows(
        client, DELIVERIES, world.health_32, updated_since=stamp, **{"from": P1, "to": P2}
    )
    assert [r["id"] for r in changed] == [rows[0]["id"]]
    window = {"from": P1, "to": P2}
    outside = client.get(
        DELIVERIES, params={**window, "region_code": "35"}, headers=world.health_32
    )
    assert_problem(outside, 403, "region_forbidden")
    for headers in (world.agri_32, world.manager_a1):
        assert_problem(client.get(DELIVERIES, params=window, headers=headers), 403)
    too_long = {"from": "2025-01-01", "to": "2026-03-02"}
    assert_problem(client.get(DELIVERIES, params=too_long, headers=world.health_32), 422)


def test_kitchens_report(client: TestClient, world: Programme) -> None:
    admin = world.admin
    day = datetime.strptime(P1, "%Y-%m-%d").date()
    # A1: certificate expiring on P1, capacity 300 against 2 menus x 190 pupils planned.
    put_certificate(
        client, world.health_3273, world.a1["id"], issued_on="2023-04-01",
        expires_on=str(day + timedelta(days=20)),
    )  # fmt: skip
    client.patch(
        f"/api/v1/kitchens/{world.a1['id']}", json={"capacity_per_day": 300}, headers=admin
    )
    food = make_food(client, admin, {"energy_kcal": 100})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    for meal in ("lunch", "snack"):
        make_menu(
            client, admin, world.a1["id"], [(recipe["id"], 1)], service_date=P1, meal_type=meal
        )
    put_counts(client, admin, world.a1["id"], P1, [count(world.sa1, "7-9", 90)])
    # A2: no certificate, suspended, one menu for 20 pupils, no capacity set.
    make_menu(client, admin, world.a2["id"], [(recipe["id"], 1)], service_date=P1)
    suspend(client, world.health_3273, world.a2["id"])
    # B: certificate expired before P1; capacity 100 and no menu on P1.
    put_certificate(client, admin, world.b["id"], issued_on="2020-01-01", expires_on="2026-03-01")
    client.patch(f"/api/v1/kitchens/{world.b['id']}", json={"capacity_per_day": 100}, headers=admin)

    rows = get_rows(client, KITCHENS, world.health_32, date=P1)
    assert list(rows[0]) == list(KITCHEN_COLUMNS)
    got = [
        (
            r["kitchen_code"], r["hygiene_status"], r["status"], r["capacity_per_day"],
            r["planned_portions"], r["over_capacity"], r["date"],
        )
        for r in rows
    ]  # fmt: skip
    assert got == [
        ("K-3204-1", "expired", "active", 100, 0, False, P1),
        ("K-3273-1", "expiring", "active", 300, 380, True, P1),
        ("K-3273-2", "missing", "suspended", None, 20, False, P1),
    ]
    assert rows[0]["certificate_expires_on"] == "2026-03-01"
    assert rows[1]["certificate_number"] == "SLHS/3273/0001/2025"
    # Without a date: each kitchen's own today, when nothing is planned in this world.
    today = get_rows(client, KITCHENS, world.health_3273)
    assert [(r["kitchen_code"], r["date"]) for r in today] == [
        ("K-3273-1", str(datetime.now(WIB).date())),
        ("K-3273-2", str(datetime.now(WIB).date())),
    ]
    assert [r["hygiene_status"] for r in today] == ["expired", "missing"]
    table = get_csv(client, KITCHENS, world.health_32, date=P1)
    assert table[0] == list(KITCHEN_COLUMNS)
    assert [line[table[0].index("over_capacity")] for line in table[1:]] == [
        "false",
        "true",
        "false",
    ]
    assert [r["kitchen_code"] for r in get_rows(client, KITCHENS, world.health_35)] == ["K-3578-1"]
    assert get_rows(client, KITCHENS, world.health_32, limit=1, date=P1) == rows
    forbidden = client.get(KITCHENS, params={"region_code": "35"}, headers=world.health_3273)
    assert_problem(forbidden, 403, "region_forbidden")
    for headers in (world.agri_32, world.manager_a1):
        assert_problem(client.get(KITCHENS, headers=headers), 403)


def test_kitchens_report_of_a_region_without_kitchens(client: TestClient, admin: Any) -> None:
    """Regression (found by fuzzing): no kitchen in the region gave a broken CASE on SQLite."""
    resp = client.get(
        "/api/v1/integrations/health/kitchens", params={"region_code": "00"}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"items": [], "next_cursor": None}
