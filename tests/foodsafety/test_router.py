"""Food-safety checks (docs/menus.md): server-computed flags, their boundaries, scope."""

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


@pytest.mark.parametrize(
    "fields",
    [
        {"cooked_at": "2026-03-02T03:00:00"},  # no offset: 422, not a guess at UTC
        {"dispatched_at": "2026-03-02T06:00:00"},
    ],
)
def test_datetime_without_offset_is_422(
    client: TestClient, world: OpsWorld, fields: dict[str, Any]
) -> None:
    body = assert_problem(post(client, world, **fields), 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", next(iter(fields))]


@pytest.mark.parametrize(
    ("cooked_at", "ok"),
    [
        ("2026-03-01T00:00:00+07:00", True),  # the day before, first minute (WIB)
        ("2026-03-02T23:59:00+07:00", True),  # the service date, last minute
        ("2026-02-28T16:59:59Z", False),  # 23:59:59 WIB two days before
        ("2026-03-02T17:00:00Z", False),  # 00:00 WIB the day after
        ("2025-11-02T03:00:00+07:00", False),  # months away
    ],
)
def test_cooking_falls_on_the_service_date_or_the_day_before(
    client: TestClient, world: OpsWorld, cooked_at: str, ok: bool
) -> None:
    """Kitchen-local (kitchen A is in Asia/Jakarta): UTC instants are placed on WIB dates."""
    resp = post(client, world, cooked_at=cooked_at)
    if ok:
        assert resp.status_code == 201, resp.text
    else:
        body = assert_problem(resp, 422, "validation_error")
        assert [e["loc"] for e in body["errors"]] == [["body", "cooked_at"]]


def test_every_time_problem_is_reported_at_once(client: TestClient, world: OpsWorld) -> None:
    resp = post(
        client,
        world,
        cooked_at="2026-05-02T03:00:00+07:00",
        dispatched_at="2026-05-02T02:00:00+07:00",
    )
    body = assert_problem(resp, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "cooked_at"], ["body", "dispatched_at"]]


def test_patch_corrects_a_check_and_recomputes_its_flags(
    client: TestClient, world: OpsWorld
) -> None:
    check = make_safety_check(client, world.manager_a, world.a["id"], core_temp_c=70.0)
    assert check["flags"] == ["core_temp_below_75c"]
    url = f"/api/v1/food-safety-checks/{check['id']}"
    tag = client.get(url, headers=world.manager_a).headers["etag"]
    resp = client.patch(
        url,
        json={"core_temp_c": 80.5, "dispatched_at": "2026-03-02T07:30:00+07:00"},
        headers={**world.manager_a, "If-Match": tag},
    )
    assert resp.status_code == 200, resp.text
    fixed = resp.json()
    assert fixed["core_temp_c"] == 80.5
    assert fixed["flags"] == ["dispatch_over_4h"]
    assert fixed["dispatched_at"] == "2026-03-02T00:30:00Z"
    assert fixed["updated_at"] > check["updated_at"] and fixed["created_at"] == check["created_at"]
    assert resp.headers["etag"] != tag
    got = client.get(url, headers=world.health_a)
    assert got.json() == fixed and got.headers["etag"] == resp.headers["etag"]
    # Optional fields may be cleared; the flags follow.
    cleared = client.patch(url, json={"dispatched_at": None, "notes": None}, headers=world.admin)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["dispatched_at"] is None and cleared.json()["flags"] == []
    # The correction is on the audit trail.
    events = client.get(
        "/api/v1/audit-events", params={"resource_id": check["id"]}, headers=world.admin
    ).json()["items"]
    assert [(e["resource"], e["action"]) for e in events].count(
        ("food-safety-checks", "update")
    ) == 2


def test_patch_refuses_what_a_new_check_would_be_refused(
    client: TestClient, world: OpsWorld
) -> None:
    check = make_safety_check(client, world.manager_a, world.a["id"])
    url = f"/api/v1/food-safety-checks/{check['id']}"
    for bad in (
        {"sample_retained": None},  # may not be null
        {"cooked_at": None},
        {"service_date": None},
        {"cooked_at": "2026-03-02T03:00:00"},  # no offset
        {"flags": []},  # computed, never sent
        {"service_date": "2026-04-02"},  # cooking would be a month before the service
        {"dispatched_at": "2026-03-02T02:00:00+07:00"},  # before cooking
    ):
        assert_problem(client.patch(url, json=bad, headers=world.manager_a), 422)
    assert client.get(url, headers=world.manager_a).json() == check  # nothing changed


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(
    client: TestClient, world: OpsWorld
) -> None:
    check = make_safety_check(client, world.manager_a, world.a["id"])
    url = f"/api/v1/food-safety-checks/{check['id']}"
    stale = client.get(url, headers=world.manager_a).headers["etag"]
    assert client.patch(url, json={"notes": "a"}, headers=world.manager_a).status_code == 200
    resp = client.patch(url, json={"notes": "b"}, headers={**world.manager_a, "If-Match": stale})
    assert_problem(resp, 412, "precondition_failed")
    assert client.get(url, headers=world.manager_a).json()["notes"] == "a"


def test_patch_access(client: TestClient, world: OpsWorld) -> None:
    check = make_safety_check(client, world.manager_a, world.a["id"])
    url = f"/api/v1/food-safety-checks/{check['id']}"
    body = {"notes": "koreksi"}
    for forbidden in (world.health_a, world.health_other, world.agri_a):
        assert_problem(client.patch(url, json=body, headers=forbidden), 403)
    assert_problem(client.patch(url, json=body, headers=world.manager_b), 404)
    assert_problem(client.patch(url, json=body), 401)
    missing = f"/api/v1/food-safety-checks/{MISSING}"
    assert_problem(client.patch(missing, json=body, headers=world.admin), 404)
    assert client.get(url, headers=world.admin).json()["notes"] is None
