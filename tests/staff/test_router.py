"""Staff records: validation, filters, deactivation, and who may see personal data."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    assert_problem,
    list_all,
    make_api_key,
    make_kitchen,
    make_manager,
)
from tests.builders.shifts import make_staff

MISSING = "9b2e4f7a-0000-4000-8000-000000000000"
ROLES = [
    "head",
    "nutritionist",
    "accountant",
    "cook",
    "cook_assistant",
    "prep",
    "portioning",
    "driver",
    "washer",
    "cleaner",
    "security",
]


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    a = make_kitchen(client, admin, region_code="32.73.01")
    b = make_kitchen(client, admin, region_code="32.73.02")
    return {
        "a": a,
        "b": b,
        "manager_a": make_manager(client, admin, a["id"]),
        "manager_b": make_manager(client, admin, b["id"]),
        "health": make_api_key(client, admin, "health_office", "32.73")[1],
        "agri": make_api_key(client, admin, "agriculture_office", "32")[1],
    }


def test_create_staff_returns_record(client: TestClient, world: dict[str, Any]) -> None:
    body = {
        "full_name": "  Siti Aminah ",
        "role": "cook",
        "phone": "+62 812-3456-7890",
        "food_handler_cert_expires_on": "2027-06-30",
        "health_check_on": "2026-08-15",
    }
    resp = client.post(
        f"/api/v1/kitchens/{world['a']['id']}/staff", json=body, headers=world["manager_a"]
    )
    assert resp.status_code == 201, resp.text
    staff = resp.json()
    assert staff["full_name"] == "Siti Aminah"
    assert staff["kitchen_id"] == world["a"]["id"]
    assert staff["active"] is True
    assert staff["phone"] == "+62 812-3456-7890"
    assert staff["food_handler_cert_expires_on"] == "2027-06-30"
    assert staff["health_check_on"] == "2026-08-15"
    assert staff["created_at"] and staff["updated_at"]
    got = client.get(f"/api/v1/staff/{staff['id']}", headers=world["manager_a"])
    assert got.json() == staff


@pytest.mark.parametrize("role", ROLES)
def test_every_contract_role_is_accepted(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], role: str
) -> None:
    staff = make_staff(client, admin, world["a"]["id"], role=role)
    assert staff["role"] == role


@pytest.mark.parametrize(
    "patch",
    [
        {"role": "chef"},
        {"role": None},
        {"full_name": ""},
        {"full_name": "   "},
        {"full_name": "\u200b\u200b\u200b"},  # blank once invisible characters go (§11)
        {"phone": "12345"},
        {"phone": "1" * 21},
        {"phone": "0812 abc 345"},
        {"phone": "(021) 555-0100"},
        {"food_handler_cert_expires_on": "31-12-2027"},
        {"nickname": "Siti"},
    ],
)
def test_staff_validation(client: TestClient, world: dict[str, Any], patch: dict[str, Any]) -> None:
    body = {"full_name": "Siti", "role": "cook", **patch}
    resp = client.post(
        f"/api/v1/kitchens/{world['a']['id']}/staff", json=body, headers=world["manager_a"]
    )
    assert_problem(resp, 422, "validation_error")


@pytest.mark.parametrize("phone", ["081234", "+6281234567890", "0812-3456-7890", "+62 812 3456"])
def test_loose_phone_formats_are_accepted(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], phone: str
) -> None:
    assert make_staff(client, admin, world["a"]["id"], phone=phone)["phone"] == phone


def test_list_filters_by_role_and_active(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    cook = make_staff(client, admin, k, role="cook")
    driver = make_staff(client, admin, k, role="driver")
    gone = make_staff(client, admin, k, role="cook")
    make_staff(client, admin, world["b"]["id"], role="cook")  # another kitchen's
    assert client.delete(f"/api/v1/staff/{gone['id']}", headers=admin).status_code == 204
    url = f"/api/v1/kitchens/{k}/staff"

    def ids(**params: str) -> set[str]:
        resp = client.get(url, params=params, headers=world["manager_a"])
        assert resp.status_code == 200, resp.text
        return {s["id"] for s in resp.json()["items"]}

    assert ids() == {cook["id"], driver["id"], gone["id"]}
    assert ids(role="cook") == {cook["id"], gone["id"]}
    assert ids(active="true") == {cook["id"], driver["id"]}
    assert ids(active="false") == {gone["id"]}
    assert ids(role="cook", active="true") == {cook["id"]}
    assert ids(role="washer") == set()
    assert_problem(client.get(url, params={"role": "chef"}, headers=admin), 422)
    paged = list_all(client, url, world["manager_a"], limit=1)
    assert sorted(s["id"] for s in paged) == sorted([cook["id"], driver["id"], gone["id"]])


def test_patch_staff(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    staff = make_staff(client, admin, world["a"]["id"], phone="081234567")
    url = f"/api/v1/staff/{staff['id']}"
    resp = client.patch(
        url,
        json={"food_handler_cert_expires_on": "2028-01-31", "phone": None, "role": "prep"},
        headers=world["manager_a"],
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["food_handler_cert_expires_on"] == "2028-01-31"
    assert body["phone"] is None and body["role"] == "prep"
    assert body["full_name"] == staff["full_name"]
    assert body["updated_at"] > staff["updated_at"]
    for bad in ({"full_name": None}, {"role": "chef"}, {"active": None}, {"kitchen_id": MISSING}):
        assert_problem(client.patch(url, json=bad, headers=admin), 422, "validation_error")
    assert client.get(url, headers=admin).json()["role"] == "prep"


def test_delete_deactivates_and_keeps_the_record(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    staff = make_staff(client, admin, world["a"]["id"])
    url = f"/api/v1/staff/{staff['id']}"
    resp = client.delete(url, headers=world["manager_a"])
    assert resp.status_code == 204 and resp.content == b""
    again = client.get(url, headers=world["manager_a"])
    assert again.status_code == 200 and again.json()["active"] is False
    assert again.json()["full_name"] == staff["full_name"]
    assert client.delete(url, headers=world["manager_a"]).status_code == 204  # idempotent
    reactivated = client.patch(url, json={"active": True}, headers=world["manager_a"])
    assert reactivated.status_code == 200 and reactivated.json()["active"] is True


def test_staff_access_matrix(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """Personal data: admin and the kitchen's own managers only (docs/api.md, docs/shifts.md)."""
    k = world["a"]["id"]
    body = {"full_name": "Budi", "role": "driver"}

    def requests(staff_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [
            ("POST", f"/api/v1/kitchens/{k}/staff", body),
            ("GET", f"/api/v1/kitchens/{k}/staff", None),
            ("GET", f"/api/v1/staff/{staff_id}", None),
            ("PATCH", f"/api/v1/staff/{staff_id}", {"phone": "0811111111"}),
            ("DELETE", f"/api/v1/staff/{staff_id}", None),
        ]

    expected_ok = {"POST": 201, "GET": 200, "PATCH": 200, "DELETE": 204}
    for who, ok in (("admin", True), ("manager_a", True), ("manager_b", False)):
        headers = admin if who == "admin" else world[who]
        for method, url, payload in requests(make_staff(client, admin, k)["id"]):
            resp = client.request(method, url, json=payload, headers=headers)
            if ok:
                assert resp.status_code == expected_ok[method], (who, method, url, resp.text)
            else:
                body_404 = assert_problem(resp, 404, "not_found")
                assert "Budi" not in str(body_404)
    for who in ("health", "agri"):
        for method, url, payload in requests(make_staff(client, admin, k)["id"]):
            assert_problem(
                client.request(method, url, json=payload, headers=world[who]), 403, "role_forbidden"
            )
    for method, url, payload in requests(make_staff(client, admin, k)["id"]):
        assert_problem(client.request(method, url, json=payload), 401)
    # A missing staff member is 404 for admin; offices get 403 before any lookup.
    assert_problem(client.get(f"/api/v1/staff/{MISSING}", headers=admin), 404)
    assert_problem(client.get(f"/api/v1/staff/{MISSING}", headers=world["health"]), 403)


def test_other_kitchens_staff_never_leak_into_lists(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    mine = make_staff(client, admin, world["a"]["id"])
    theirs = make_staff(client, admin, world["b"]["id"])
    resp = client.get(f"/api/v1/kitchens/{world['a']['id']}/staff", headers=world["manager_a"])
    assert [s["id"] for s in resp.json()["items"]] == [mine["id"]]
    assert theirs["full_name"] not in resp.text
