"""A health office's decisions on a kitchen: its hygiene certificate (and the status derived
from the kitchen's calendar), and suspension with reinstatement, both audited."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all, make_school
from tests.builders.deliveries import put_certificate, suspend
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import MISSING, OpsWorld, make_menu, make_ops_world, make_safety_check

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    return make_ops_world(client, admin)


def _today() -> date:
    return datetime.now(WIB).date()


def _kitchen(client: TestClient, world: OpsWorld, headers: dict[str, str] | None = None) -> Any:
    resp = client.get(f"/api/v1/kitchens/{world.a['id']}", headers=headers or world.admin)
    assert resp.status_code == 200, resp.text
    return resp


def test_a_new_kitchen_has_no_certificate_and_is_active(
    client: TestClient, world: OpsWorld
) -> None:
    kitchen = _kitchen(client, world).json()
    assert kitchen["hygiene_certificate"] is None and kitchen["hygiene_status"] == "missing"
    assert kitchen["status"] == "active"
    assert kitchen["suspended_at"] is None and kitchen["suspension_reason"] is None


@pytest.mark.parametrize(
    ("expires_in_days", "status"),
    [(400, "valid"), (31, "valid"), (30, "expiring"), (0, "expiring"), (-1, "expired")],
)
def test_the_status_follows_the_kitchens_today(
    client: TestClient, world: OpsWorld, expires_in_days: int, status: str
) -> None:
    today = _today()
    expires = today + timedelta(days=expires_in_days)
    got = put_certificate(
        client,
        world.health_a,
        world.a["id"],
        issued_on=str(today - timedelta(days=1000)),
        expires_on=str(expires),
    )
    assert got["hygiene_certificate"] == {
        "number": "SLHS/3273/0001/2025",
        "issued_on": str(today - timedelta(days=1000)),
        "expires_on": str(expires),
    }
    assert got["hygiene_status"] == status
    assert _kitchen(client, world, world.manager_a).json()["hygiene_status"] == status


def test_the_kitchen_etag_moves_when_the_certificate_turns_expiring(
    client: TestClient, world: OpsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write happens, only the calendar moves: a cached kitchen must not stay `valid`."""
    today = _today()
    put_certificate(
        client, world.admin, world.a["id"], issued_on="2024-01-01",
        expires_on=str(today + timedelta(days=31)),
    )  # fmt: skip
    first = _kitchen(client, world)
    assert first.json()["hygiene_status"] == "valid"
    cached = client.get(
        f"/api/v1/kitchens/{world.a['id']}",
        headers={**world.admin, "If-None-Match": first.headers["etag"]},
    )
    assert cached.status_code == 304
    later = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setattr("app.core.localtime.utcnow", lambda: later)
    moved = client.get(
        f"/api/v1/kitchens/{world.a['id']}",
        headers={**world.admin, "If-None-Match": first.headers["etag"]},
    )
    assert moved.status_code == 200 and moved.json()["hygiene_status"] == "expiring"
    assert moved.headers["etag"] != first.headers["etag"]
    # A write based on the old representation is refused.
    stale = client.put(
        f"/api/v1/kitchens/{world.a['id']}/hygiene-certificate",
        json={"number": "SLHS/2", "issued_on": "2024-01-01", "expires_on": "2030-01-01"},
        headers={**world.admin, "If-Match": first.headers["etag"]},
    )
    assert_problem(stale, 412, "precondition_failed")


def test_certificate_put_takes_if_match_and_replaces(client: TestClient, world: OpsWorld) -> None:
    url = f"/api/v1/kitchens/{world.a['id']}/hygiene-certificate"
    tag = _kitchen(client, world).headers["etag"]
    body = {"number": "SLHS/3273/77/2026", "issued_on": "2026-01-02", "expires_on": "2029-01-01"}
    ok = client.put(url, json=body, headers={**world.health_a, "If-Match": tag})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == _kitchen(client, world).headers["etag"] != tag
    again = client.put(url, json=body, headers={**world.health_a, "If-Match": tag})
    assert_problem(again, 412, "precondition_failed")
    renewed = put_certificate(client, world.health_a, world.a["id"], number="SLHS/NEW")
    assert renewed["hygiene_certificate"]["number"] == "SLHS/NEW"


@pytest.mark.parametrize(
    "body",
    [
        {"number": "SLHS/1", "issued_on": "2026-01-02", "expires_on": "2026-01-01"},
        {"number": "SLHS/1", "issued_on": "2099-01-02", "expires_on": "2099-12-01"},
        {"number": "   ", "issued_on": "2026-01-02", "expires_on": "2027-01-01"},
        {"number": "x" * 65, "issued_on": "2026-01-02", "expires_on": "2027-01-01"},
        {"number": "SLHS/1", "issued_on": "2026-01-02"},
        {"number": "SLHS/1", "issued_on": "2026-01-02", "expires_on": None},
        {"number": "SLHS/1", "issued_on": "2/1/2026", "expires_on": "2027-01-01"},
    ],
)
def test_certificate_rules(client: TestClient, world: OpsWorld, body: dict[str, Any]) -> None:
    resp = client.put(
        f"/api/v1/kitchens/{world.a['id']}/hygiene-certificate", json=body, headers=world.admin
    )
    assert_problem(resp, 422)
    assert _kitchen(client, world).json()["hygiene_certificate"] is None


def test_only_admin_and_the_regions_health_office_certify(
    client: TestClient, world: OpsWorld
) -> None:
    url = f"/api/v1/kitchens/{world.a['id']}/hygiene-certificate"
    body = {"number": "SLHS/1", "issued_on": "2026-01-02", "expires_on": "2027-01-01"}
    for headers, status in (
        (world.manager_a, 403),
        (world.agri_a, 403),
        (world.health_other, 404),
        ({}, 401),
    ):
        assert_problem(client.put(url, json=body, headers=headers), status)
    missing = f"/api/v1/kitchens/{MISSING}/hygiene-certificate"
    assert_problem(client.put(missing, json=body, headers=world.admin), 404)
    assert client.put(url, json=body, headers=world.health_a).status_code == 200
    # Another province's office cannot even learn the kitchen exists.
    other = client.post(
        f"/api/v1/kitchens/{world.a['id']}/suspension",
        json={"reason": "Not our kitchen to close at all"},
        headers=world.health_other,
    )
    assert_problem(other, 404)
    assert world.a["code"] not in other.text


def test_suspension_stops_menus_and_deliveries_not_counts_or_safety_records(
    client: TestClient, world: OpsWorld
) -> None:
    kid = world.a["id"]
    food = make_food(client, world.admin, {"energy_kcal": 100, "protein_g": 5})
    recipe = make_recipe(client, world.admin, [(food["id"], 100)])
    draft = make_menu(client, world.manager_a, kid, [(recipe["id"], 1)], service_date="2026-03-02")
    school = make_school(client, world.admin, kid, enrolment={"7-9": 30})

    reason = "KLB di SD Negeri Merdeka: dapur ditutup sampai hasil laboratorium keluar"
    suspended = suspend(client, world.health_a, kid, reason)
    assert suspended["status"] == "suspended" and suspended["suspension_reason"] == reason
    assert suspended["suspended_at"] is not None
    assert _kitchen(client, world, world.manager_a).json()["status"] == "suspended"

    menu = {
        "service_date": "2026-03-03",
        "meal_type": "lunch",
        "items": [{"recipe_id": recipe["id"], "servings": 1}],
    }
    created = client.post(f"/api/v1/kitchens/{kid}/menus", json=menu, headers=world.manager_a)
    assert_problem(created, 409, "kitchen_suspended")
    approve = client.post(
        f"/api/v1/menus/{draft['id']}/approve",
        json={"override_reason": "Approving whatever the check says"},
        headers=world.manager_a,
    )
    assert_problem(approve, 409, "kitchen_suspended")
    # What happened must still be recordable.
    counts = client.put(
        f"/api/v1/kitchens/{kid}/meal-counts/2026-03-02",
        json={"counts": [{"school_id": school["id"], "target_group": "7-9", "served": 28}]},
        headers=world.manager_a,
    )
    assert counts.status_code == 200, counts.text
    make_safety_check(client, world.manager_a, kid)
    patched = client.patch(
        f"/api/v1/menus/{draft['id']}", json={"meal_type": "snack"}, headers=world.manager_a
    )
    assert patched.status_code == 200, patched.text

    again = client.post(
        f"/api/v1/kitchens/{kid}/suspension", json={"reason": reason}, headers=world.admin
    )
    assert_problem(again, 409, "kitchen_already_suspended")

    back = client.request(
        "DELETE",
        f"/api/v1/kitchens/{kid}/suspension",
        json={"reason": "Hasil laboratorium negatif; dapur dibuka kembali"},
        headers=world.admin,
    )
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "active" and back.json()["suspension_reason"] is None
    created = client.post(f"/api/v1/kitchens/{kid}/menus", json=menu, headers=world.manager_a)
    assert created.status_code == 201, created.text
    twice = client.request(
        "DELETE",
        f"/api/v1/kitchens/{kid}/suspension",
        json={"reason": "Hasil laboratorium negatif; dapur dibuka kembali"},
        headers=world.admin,
    )
    assert_problem(twice, 409, "kitchen_not_suspended")


def test_who_and_why_are_kept(client: TestClient, world: OpsWorld) -> None:
    kid = world.a["id"]
    suspend(client, world.health_a, kid, "First outbreak: samples sent to the lab")
    back = client.request(
        "DELETE",
        f"/api/v1/kitchens/{kid}/suspension",
        json={"reason": "Lab results negative, kitchen cleaned"},
        headers=world.admin,
    )
    assert back.status_code == 200, back.text
    suspend(client, world.admin, kid, "Second outbreak: kitchen closed again")
    history = list_all(client, f"/api/v1/kitchens/{kid}/suspensions", world.health_a)
    assert [h["reason"] for h in history] == [
        "First outbreak: samples sent to the lab",
        "Second outbreak: kitchen closed again",
    ]
    first, second = history
    assert first["suspended_by_kind"] == "api_key"
    assert first["reinstated_by_kind"] == "user" and first["reinstated_by_name"] == "admin"
    assert first["reinstatement_reason"] == "Lab results negative, kitchen cleaned"
    assert second["suspended_by_name"] == "admin" and second["reinstated_at"] is None
    assert_problem(client.get(f"/api/v1/kitchens/{kid}/suspensions", headers=world.manager_b), 404)
    # The audit trail has both writes, with their routes.
    events = client.get(
        "/api/v1/audit-events", params={"resource": "kitchens", "resource_id": kid},
        headers=world.admin,
    ).json()["items"]  # fmt: skip
    actions = [e["action"] for e in events if "suspension" in e["action"]]
    assert actions == ["suspension", "end_suspension", "suspension"]
    ended = [e for e in events if e["action"] == "end_suspension"]
    assert [e["path"] for e in ended] == [f"/api/v1/kitchens/{kid}/suspension"]


@pytest.mark.parametrize("body", [{}, {"reason": "short"}, {"reason": "\u200b" * 12}, None])
def test_suspension_needs_a_reason(
    client: TestClient, world: OpsWorld, body: dict[str, Any] | None
) -> None:
    url = f"/api/v1/kitchens/{world.a['id']}/suspension"
    assert_problem(client.post(url, json=body, headers=world.admin), 422)
    assert_problem(client.request("DELETE", url, json=body, headers=world.admin), 422)
    assert _kitchen(client, world).json()["status"] == "active"


def test_suspension_access(client: TestClient, world: OpsWorld) -> None:
    url = f"/api/v1/kitchens/{world.a['id']}/suspension"
    body = {"reason": "Suspected outbreak at a school"}
    for headers, status in (
        (world.manager_a, 403),
        (world.agri_a, 403),
        (world.health_other, 404),
        ({}, 401),
    ):
        assert_problem(client.post(url, json=body, headers=headers), status)
        assert_problem(client.request("DELETE", url, json=body, headers=headers), status)
    assert _kitchen(client, world).json()["status"] == "active"
