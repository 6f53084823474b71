"""Food-safety checks (CONTRACT §7): server-computed flags, their boundaries, scope."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all
from tests.builders.menus import MISSING, OpsWorld, make_ops_world, make_safety_check


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    return make_ops_world(client, admin)


def post(client: TestClient, world: OpsWorld, **fields: Any) -> Any:
    body = {
        "service_date": "2026-03-02",
        "cooked_at": "2026-03-02T03:00:00+07:00",
        "sample_retained": True,
        "organoleptic_ok": True,
        **fields,
    }
    return client.post(
        f"/api/v1/kitchens/{world.a['id']}/food-safety-checks", json=body, headers=world.manager_a
    )


def test_clean_check_has_no_flags_and_returns_utc(client: TestClient, world: OpsWorld) -> None:
    check = make_safety_check(
        client,
        world.manager_a,
        world.a["id"],
        cooked_at="2026-03-02T03:00:00+07:00",
        dispatched_at="2026-03-02T06:30:00+07:00",
        core_temp_c=75.0,
        notes="Sampel disimpan",
    )
    assert check["flags"] == []
    assert check["kitchen_id"] == world.a["id"]
    assert datetime.fromisoformat(check["cooked_at"]) == datetime.fromisoformat(
        "2026-03-01T20:00:00+00:00"
    )
    assert datetime.fromisoformat(check["cooked_at"]).utcoffset().total_seconds() == 0
    assert check["core_temp_c"] == 75.0 and check["notes"] == "Sampel disimpan"
    got = client.get(f"/api/v1/food-safety-checks/{check['id']}", headers=world.manager_a)
    assert got.status_code == 200 and got.json() == check


@pytest.mark.parametrize(
    ("fields", "flags"),
    [
        ({"sample_retained": False}, ["no_sample_retained"]),
        ({"organoleptic_ok": False}, ["organoleptic_failed"]),
        ({"core_temp_c": 74.9}, ["core_temp_below_75c"]),
        ({"core_temp_c": 75.0}, []),
        ({"core_temp_c": None}, []),
        ({"dispatched_at": "2026-03-02T07:00:00+07:00"}, []),  # exactly 4 h
        ({"dispatched_at": "2026-03-02T07:00:01+07:00"}, ["dispatch_over_4h"]),
        ({"dispatched_at": "2026-03-02T00:00:01Z"}, ["dispatch_over_4h"]),  # 4 h 1 s, in UTC
        ({"dispatched_at": "2026-03-02T03:00:00+07:00"}, []),  # dispatched as cooked
        ({"dispatched_at": None}, []),
        (
            {
                "sample_retained": False,
                "organoleptic_ok": False,
                "core_temp_c": 60,
                "dispatched_at": "2026-03-02T09:00:00+07:00",
            },
            [
                "no_sample_retained",
                "organoleptic_failed",
                "core_temp_below_75c",
                "dispatch_over_4h",
            ],
        ),
    ],
)
def test_flags(
    client: TestClient, world: OpsWorld, fields: dict[str, Any], flags: list[str]
) -> None:
    resp = post(client, world, **fields)
    assert resp.status_code == 201, resp.text
    assert resp.json()["flags"] == flags


def test_flags_cannot_be_sent_by_the_client(client: TestClient, world: OpsWorld) -> None:
    assert_problem(post(client, world, flags=[]), 422)


def test_dispatch_before_cooking_is_422(client: TestClient, world: OpsWorld) -> None:
    resp = post(client, world, dispatched_at="2026-03-02T02:59:59+07:00")
    body = assert_problem(resp, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", "dispatched_at"]


@pytest.mark.parametrize(
    "fields",
    [
        {"service_date": "2026-13-01"},
        {"cooked_at": "yesterday"},
        {"sample_retained": None},
        {"organoleptic_ok": "maybe"},
        {"core_temp_c": "hot"},
        {"notes": "x" * 2001},
    ],
)
def test_malformed_check_is_422(
    client: TestClient, world: OpsWorld, fields: dict[str, Any]
) -> None:
    assert_problem(post(client, world, **fields), 422)


def test_list_filters_by_service_date_and_pages(client: TestClient, world: OpsWorld) -> None:
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        make_safety_check(
            client,
            world.manager_a,
            world.a["id"],
            service_date=day,
            cooked_at=f"{day}T03:00:00Z",
            dispatched_at=f"{day}T05:00:00Z",
        )
    make_safety_check(client, world.manager_b, world.b["id"], service_date="2026-03-03")
    base = f"/api/v1/kitchens/{world.a['id']}/food-safety-checks"
    items = list_all(client, base, world.manager_a, limit=2)
    assert sorted(c["service_date"] for c in items) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    resp = client.get(
        base, params={"from": "2026-03-03", "to": "2026-03-03"}, headers=world.manager_a
    )
    assert [c["service_date"] for c in resp.json()["items"]] == ["2026-03-03"]
    assert resp.json()["next_cursor"] is None
    resp = client.get(base, params={"from": "2026-03-04"}, headers=world.health_a)
    assert [c["service_date"] for c in resp.json()["items"]] == ["2026-03-04"]
    assert_problem(
        client.get(base, params={"from": "2026-03-04", "to": "2026-03-03"}, headers=world.admin),
        422,
    )


def test_access_rules(client: TestClient, world: OpsWorld) -> None:
    check = make_safety_check(client, world.admin, world.a["id"])
    listing = f"/api/v1/kitchens/{world.a['id']}/food-safety-checks"
    single = f"/api/v1/food-safety-checks/{check['id']}"
    for reader in (world.admin, world.manager_a, world.health_a):
        assert [c["id"] for c in client.get(listing, headers=reader).json()["items"]] == [
            check["id"]
        ]
        assert client.get(single, headers=reader).json()["id"] == check["id"]
    for outsider in (world.manager_b, world.health_other):
        assert_problem(client.get(listing, headers=outsider), 404)
        assert_problem(client.get(single, headers=outsider), 404)
    assert_problem(client.get(listing, headers=world.agri_a), 403)
    assert_problem(client.get(single, headers=world.agri_a), 403)
    body = {
        "service_date": "2026-03-02",
        "cooked_at": "2026-03-02T03:00:00Z",
        "sample_retained": True,
        "organoleptic_ok": True,
    }
    for forbidden in (world.health_a, world.health_other, world.agri_a):
        assert_problem(client.post(listing, json=body, headers=forbidden), 403)
    assert_problem(client.post(listing, json=body, headers=world.manager_b), 404)
    assert_problem(client.post(listing, json=body), 401)
    assert_problem(client.get(single), 401)
    assert_problem(client.get(f"/api/v1/food-safety-checks/{MISSING}", headers=world.admin), 404)
    items = client.get(listing, headers=world.admin).json()["items"]
    assert len(items) == 1  # refused writes created nothing
