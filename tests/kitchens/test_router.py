"""Kitchens and schools: validation, scope and the access matrix of docs/api.md."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    assert_problem,
    list_all,
    make_api_key,
    make_kitchen,
    make_manager,
    make_school,
)

MISSING = "9b2e4f7a-0000-4000-8000-000000000000"


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> dict:
    """Kitchen A in Bandung (32.73), kitchen B in Surabaya (35.78), their managers, offices."""
    a = make_kitchen(client, admin, region_code="32.73.01", timezone="Asia/Jakarta")
    b = make_kitchen(client, admin, region_code="35.78.02")
    return {
        "a": a,
        "b": b,
        "school_a": make_school(client, admin, a["id"]),
        "school_b": make_school(client, admin, b["id"]),
        "manager_a": make_manager(client, admin, a["id"]),
        "manager_b": make_manager(client, admin, b["id"]),
        "health_a": make_api_key(client, admin, "health_office", "32.73")[1],
        "health_other": make_api_key(client, admin, "health_office", "35")[1],
        "agri_a": make_api_key(client, admin, "agriculture_office", "32")[1],
    }


def test_create_kitchen_defaults_and_fields(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.post(
        "/api/v1/kitchens",
        headers=admin,
        json={"code": "SPPG-1", "name": "SPPG Satu", "region_code": "32.73.01.2001"},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["timezone"] == "Asia/Jakarta"
    assert body["address"] is None and body["capacity_per_day"] is None
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)
    assert body["updated_at"]


def test_kitchen_code_is_unique(client: TestClient, admin: dict[str, str]) -> None:
    make_kitchen(client, admin, code="SPPG-X")
    resp = client.post(
        "/api/v1/kitchens", headers=admin, json={"code": "SPPG-X", "name": "n", "region_code": "32"}
    )
    assert_problem(resp, 409, "kitchen_code_taken")


@pytest.mark.parametrize("region", ["3", "32.7", "32.73.1", "32.73.01.201", "ab", "32-73", ""])
def test_bad_region_code_is_422(client: TestClient, admin: dict[str, str], region: str) -> None:
    resp = client.post(
        "/api/v1/kitchens",
        headers=admin,
        json={"code": "K-bad", "name": "n", "region_code": region},
    )
    body = assert_problem(resp, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", "region_code"]


def test_bad_timezone_and_extra_fields_are_422(client: TestClient, admin: dict[str, str]) -> None:
    base = {"code": "K-tz", "name": "n", "region_code": "32"}
    assert_problem(
        client.post("/api/v1/kitchens", headers=admin, json={**base, "timezone": "Mars/Olympus"}),
        422,
    )
    assert_problem(
        client.post("/api/v1/kitchens", headers=admin, json={**base, "capacity_per_day": -1}), 422
    )
    resp = client.post(
        "/api/v1/kitchens", headers=admin, json={**base, "timezone": "Asia/Jayapura"}
    )
    assert resp.status_code == 201


def test_malformed_json_is_422_problem(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.post(
        "/api/v1/kitchens",
        headers={**admin, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert_problem(resp, 422, "validation_error")


def test_patch_kitchen(client: TestClient, admin: dict[str, str], world: dict) -> None:
    a = world["a"]
    resp = client.patch(
        f"/api/v1/kitchens/{a['id']}",
        headers=admin,
        json={"name": "Renamed", "capacity_per_day": 2500},
    )
    assert resp.status_code == 200
    assert resp.json()["name"] == "Renamed" and resp.json()["capacity_per_day"] == 2500
    assert resp.json()["code"] == a["code"]
    assert resp.json()["updated_at"] >= a["updated_at"]
    taken = client.patch(
        f"/api/v1/kitchens/{a['id']}", headers=admin, json={"code": world["b"]["code"]}
    )
    assert_problem(taken, 409, "kitchen_code_taken")
    assert client.get(f"/api/v1/kitchens/{a['id']}", headers=admin).json()["code"] == a["code"]


def test_kitchen_writes_are_admin_only(client: TestClient, world: dict) -> None:
    a = world["a"]
    body = {"code": "K-new", "name": "n", "region_code": "32"}
    for who in ("manager_a", "health_a", "agri_a"):
        assert_problem(client.post("/api/v1/kitchens", json=body, headers=world[who]), 403)
        assert_problem(
            client.patch(f"/api/v1/kitchens/{a['id']}", json={"name": "x"}, headers=world[who]), 403
        )
    assert_problem(client.post("/api/v1/kitchens", json=body), 401)


def test_kitchen_list_is_scoped(client: TestClient, admin: dict[str, str], world: dict) -> None:
    def codes(headers: dict[str, str], **params: str) -> set[str]:
        resp = client.get("/api/v1/kitchens", headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        return {k["code"] for k in resp.json()["items"]}

    a, b = world["a"]["code"], world["b"]["code"]
    assert codes(admin) == {a, b}
    assert codes(admin, region_code="35") == {b}
    assert codes(world["manager_a"]) == {a}
    assert codes(world["manager_b"]) == {b}
    assert codes(world["health_a"]) == {a}
    assert codes(world["health_other"]) == {b}
    assert codes(world["agri_a"]) == {a}
    assert codes(world["health_a"], region_code="35") == set()


def test_region_prefix_does_not_match_partial_segments(
    client: TestClient, admin: dict[str, str]
) -> None:
    inside = make_kitchen(client, admin, region_code="32.73")
    outside = make_kitchen(client, admin, region_code="32.74.01")
    _, health = make_api_key(client, admin, "health_office", "32.73")
    resp = client.get("/api/v1/kitchens", headers=health)
    codes = {k["code"] for k in resp.json()["items"]}
    assert inside["code"] in codes and outside["code"] not in codes
    assert_problem(client.get(f"/api/v1/kitchens/{outside['id']}", headers=health), 404)


def test_get_kitchen_outside_scope_is_404(client: TestClient, world: dict) -> None:
    a, b = world["a"]["id"], world["b"]["id"]
    assert client.get(f"/api/v1/kitchens/{a}", headers=world["manager_a"]).status_code == 200
    body = assert_problem(client.get(f"/api/v1/kitchens/{b}", headers=world["manager_a"]), 404)
    assert world["b"]["code"] not in str(body)
    assert_problem(client.get(f"/api/v1/kitchens/{a}", headers=world["health_other"]), 404)
    assert client.get(f"/api/v1/kitchens/{a}", headers=world["health_a"]).status_code == 200
    assert_problem(client.get(f"/api/v1/kitchens/{MISSING}", headers=world["manager_a"]), 404)


def test_create_school(client: TestClient, world: dict) -> None:
    a = world["a"]
    resp = client.post(
        f"/api/v1/kitchens/{a['id']}/schools",
        headers=world["manager_a"],
        json={
            "npsn": "20219999",
            "name": "SD Negeri 1",
            "level": "sd",
            "enrolment": {"7-9": 120, "10-12-m": 40},
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["kitchen_id"] == a["id"]
    assert body["enrolment"] == {"10-12-m": 40, "7-9": 120}
    assert body["created_at"] and body["updated_at"]


@pytest.mark.parametrize(
    "patch",
    [
        {"npsn": "1234567"},
        {"npsn": "123456789"},
        {"npsn": "1234567a"},
        {"level": "university"},
        {"enrolment": {"7-9": -1}},
        {"enrolment": {"adults": 10}},
        {"enrolment": {"7-9": 1.5}},
        {"enrolment": {"7-9": "12"}},
    ],
)
def test_school_validation(client: TestClient, world: dict, patch: dict) -> None:
    body = {"npsn": "20210001", "name": "SD", "level": "sd", "enrolment": {"7-9": 1}, **patch}
    resp = client.post(
        f"/api/v1/kitchens/{world['a']['id']}/schools", json=body, headers=world["manager_a"]
    )
    assert_problem(resp, 422, "validation_error")


def test_npsn_is_unique_across_kitchens(client: TestClient, world: dict) -> None:
    npsn = world["school_a"]["npsn"]
    resp = client.post(
        f"/api/v1/kitchens/{world['b']['id']}/schools",
        headers=world["manager_b"],
        json={"npsn": npsn, "name": "Other", "level": "smp"},
    )
    assert_problem(resp, 409, "npsn_taken")


def test_school_access_matrix(client: TestClient, admin: dict[str, str], world: dict) -> None:
    a, sa, sb = world["a"]["id"], world["school_a"]["id"], world["school_b"]["id"]
    new = {"npsn": "20215555", "name": "SMP", "level": "smp"}
    # Reads: admin, own manager, health office of the region.
    for who in ("manager_a", "health_a"):
        assert client.get(f"/api/v1/kitchens/{a}/schools", headers=world[who]).status_code == 200
        assert client.get(f"/api/v1/schools/{sa}", headers=world[who]).status_code == 200
    assert client.get(f"/api/v1/schools/{sa}", headers=admin).status_code == 200
    # Another kitchen's manager and another region's office: 404, never the data.
    for who in ("manager_b", "health_other"):
        assert_problem(client.get(f"/api/v1/kitchens/{a}/schools", headers=world[who]), 404)
        assert_problem(client.get(f"/api/v1/schools/{sa}", headers=world[who]), 404)
    assert_problem(
        client.post(f"/api/v1/kitchens/{a}/schools", json=new, headers=world["manager_b"]), 404
    )
    assert_problem(
        client.patch(f"/api/v1/schools/{sa}", json={"name": "x"}, headers=world["manager_b"]), 404
    )
    # Health offices never write; agriculture offices never see schools.
    assert_problem(
        client.post(f"/api/v1/kitchens/{a}/schools", json=new, headers=world["health_a"]), 403
    )
    assert_problem(
        client.patch(f"/api/v1/schools/{sa}", json={"name": "x"}, headers=world["health_a"]), 403
    )
    for url in (f"/api/v1/kitchens/{a}/schools", f"/api/v1/schools/{sa}"):
        assert_problem(client.get(url, headers=world["agri_a"]), 403)
    assert_problem(client.get(f"/api/v1/schools/{sb}"), 401)
    assert_problem(client.get(f"/api/v1/schools/{MISSING}", headers=world["manager_a"]), 404)


def test_patch_school_replaces_enrolment(client: TestClient, world: dict) -> None:
    s = world["school_a"]
    resp = client.patch(
        f"/api/v1/schools/{s['id']}",
        headers=world["manager_a"],
        json={"name": "Renamed", "enrolment": {"4-6": 30}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["enrolment"] == {"4-6": 30}
    assert resp.json()["name"] == "Renamed" and resp.json()["npsn"] == s["npsn"]
    assert resp.json()["updated_at"] > s["updated_at"]
    bad = client.patch(
        f"/api/v1/schools/{s['id']}", headers=world["manager_a"], json={"enrolment": {"4-6": -3}}
    )
    assert_problem(bad, 422)
    again = client.get(f"/api/v1/schools/{s['id']}", headers=world["manager_a"]).json()
    assert again["enrolment"] == {"4-6": 30}


def test_school_list_pages_without_repeats_while_others_write(
    client: TestClient, admin: dict[str, str]
) -> None:
    k = make_kitchen(client, admin)
    for _ in range(5):
        make_school(client, admin, k["id"])
    url = f"/api/v1/kitchens/{k['id']}/schools"
    first = client.get(url, headers=admin, params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    make_school(client, admin, k["id"])  # written between pages
    seen = [s["id"] for s in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(url, headers=admin, params={"limit": 2, "cursor": cursor}).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert len(list_all(client, url, admin, limit=1000)) == 6


def test_list_limits_and_cursor_validation(client: TestClient, admin: dict[str, str]) -> None:
    assert_problem(client.get("/api/v1/kitchens", params={"limit": 1001}, headers=admin), 422)
    assert_problem(client.get("/api/v1/kitchens", params={"limit": 0}, headers=admin), 422)
    assert_problem(
        client.get("/api/v1/kitchens", params={"cursor": "nonsense!"}, headers=admin),
        422,
        "invalid_cursor",
    )


def test_updated_since_returns_changed_items(client: TestClient, admin: dict[str, str]) -> None:
    old = make_kitchen(client, admin)
    new = make_kitchen(client, admin)
    since = new["created_at"]
    resp = client.get("/api/v1/kitchens", headers=admin, params={"updated_since": since})
    assert [k["id"] for k in resp.json()["items"]] == [new["id"]]
    client.patch(f"/api/v1/kitchens/{old['id']}", headers=admin, json={"name": "touched"})
    resp = client.get("/api/v1/kitchens", headers=admin, params={"updated_since": since})
    assert {k["id"] for k in resp.json()["items"]} == {old["id"], new["id"]}


@pytest.mark.parametrize("value", [False, True, "3000", 12.5])
def test_integer_fields_refuse_coercion(
    client: TestClient, admin: dict[str, str], value: object
) -> None:
    """Regression (found by fuzzing): `false` was stored as capacity 0."""
    body = {"code": "K-strict", "name": "n", "region_code": "32", "capacity_per_day": value}
    assert_problem(client.post("/api/v1/kitchens", headers=admin, json=body), 422)


@pytest.mark.parametrize("value", ["0", "1700000000", "yesterday", "2026-13-01T00:00:00Z"])
def test_updated_since_must_be_a_datetime(
    client: TestClient, admin: dict[str, str], value: str
) -> None:
    """Regression (found by fuzzing): a bare number was read as a Unix time."""
    resp = client.get("/api/v1/kitchens", headers=admin, params={"updated_since": value})
    assert_problem(resp, 422, "validation_error")
