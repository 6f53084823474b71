"""The audit trail: every successful write recorded once, failures never, admin reads it."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session

from app.auth.deps import CurrentPrincipal
from app.core.deps import SessionDep
from app.core.errors import Conflict
from app.kitchens.models import Kitchen
from tests.builders import (
    assert_problem,
    make_api_key,
    make_kitchen,
    make_manager,
    make_school,
    make_user,
)
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

EVENTS = "/api/v1/audit-events"


def _events(client: TestClient, admin: dict[str, str], **filters: Any) -> list[dict[str, Any]]:
    """Every event matching the filters, page by page (3 per page)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**filters, "limit": 3, **({"cursor": cursor} if cursor else {})}
        resp = client.get(EVENTS, params=params, headers=admin)
        assert resp.status_code == 200, resp.text
        items.extend(resp.json()["items"])
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            return items


def _writes(client: TestClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    return [e for e in _events(client, admin) if e["resource"] != "auth"]


def _admin_id(client: TestClient, admin: dict[str, str]) -> str:
    return str(client.get("/api/v1/me", headers=admin).json()["id"])


def test_each_write_is_recorded_with_who_what_when_and_request_id(
    client: TestClient, admin: dict[str, str]
) -> None:
    admin_id = _admin_id(client, admin)
    before = datetime.now(UTC)
    kitchen = client.post(
        "/api/v1/kitchens",
        json={"code": "K-aud", "name": "SPPG Audit", "region_code": "32.73"},
        headers={**admin, "X-Request-ID": "req-create-kitchen"},
    ).json()
    client.patch(f"/api/v1/kitchens/{kitchen['id']}", json={"name": "Baru"}, headers=admin)
    school = make_school(client, admin, kitchen["id"])
    client.patch(f"/api/v1/schools/{school['id']}", json={"name": "SD 2"}, headers=admin)
    user, _ = make_user(client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]])
    client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin)
    key, _ = make_api_key(client, admin, "health_office", "32")
    assert client.delete(f"/api/v1/api-keys/{key['id']}", headers=admin).status_code == 204

    events = _writes(client, admin)
    got = [(e["action"], e["resource"], e["resource_id"], e["status"], e["path"]) for e in events]
    assert got == [
        ("create", "kitchens", kitchen["id"], 201, "/api/v1/kitchens"),
        ("update", "kitchens", kitchen["id"], 200, f"/api/v1/kitchens/{kitchen['id']}"),
        ("create", "schools", school["id"], 201, f"/api/v1/kitchens/{kitchen['id']}/schools"),
        ("update", "schools", school["id"], 200, f"/api/v1/schools/{school['id']}"),
        ("create", "users", user["id"], 201, "/api/v1/users"),
        ("update", "users", user["id"], 200, f"/api/v1/users/{user['id']}"),
        ("create", "api-keys", key["id"], 201, "/api/v1/api-keys"),
        ("delete", "api-keys", key["id"], 204, f"/api/v1/api-keys/{key['id']}"),
    ]
    for e in events:
        assert (e["actor_kind"], e["actor_id"], e["actor_name"]) == ("user", admin_id, "admin")
        assert e["request_id"]
        created = datetime.fromisoformat(e["created_at"])
        assert created.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    assert events[0]["request_id"] == "req-create-kitchen"
    assert len({e["request_id"] for e in events}) == len(events)


def test_failed_writes_leave_no_event(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin, code="K-dup")
    manager = make_manager(client, admin, kitchen["id"])
    baseline = len(_writes(client, admin))
    body = {"code": "K-dup", "name": "n", "region_code": "32"}
    assert_problem(client.post("/api/v1/kitchens", json=body, headers=admin), 409)
    assert_problem(client.post("/api/v1/kitchens", json={"code": "x"}, headers=admin), 422)
    assert_problem(
        client.post("/api/v1/kitchens", json={**body, "code": "K-m"}, headers=manager), 403
    )
    assert_problem(client.post("/api/v1/kitchens", json={**body, "code": "K-a"}), 401)
    missing = "9b2e4f7a-0000-4000-8000-000000000000"
    assert_problem(client.patch(f"/api/v1/schools/{missing}", json={}, headers=admin), 404)
    assert len(_writes(client, admin)) == baseline


def test_write_rolled_back_after_its_insert_is_neither_stored_nor_audited(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    """A route that inserts, flushes, then fails: the row and the event go together."""

    class ChangedMyMind(Conflict):
        code = "test_conflict"

    @app.post("/api/v1/test-half-writes", summary="test", status_code=201)
    async def half_write(_: CurrentPrincipal, session: SessionDep) -> None:
        session.add(Kitchen(code="K-half", name="n", region_code="32"))
        await session.flush()
        raise ChangedMyMind("changed my mind")

    assert_problem(client.post("/api/v1/test-half-writes", headers=admin), 409, "test_conflict")
    assert client.get("/api/v1/kitchens", headers=admin).json()["items"] == []
    assert _writes(client, admin) == []


def test_actions_on_objects_and_api_key_actors_come_from_the_route(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    """Routes other domains add (approve, clock-in, nested deletes) are covered unchanged."""

    @app.post("/api/v1/test-menus/{menu_id}/approve", summary="test")
    def approve(menu_id: str, _: CurrentPrincipal, session: SessionDep) -> dict[str, str]:
        return {"ok": menu_id}

    @app.delete(
        "/api/v1/test-shifts/{shift_id}/assignments/{assignment_id}",
        summary="test",
        status_code=204,
    )
    def unassign(shift_id: str, assignment_id: str, session: SessionDep) -> None:
        return None

    @app.put("/api/v1/test-kitchens/{kitchen_id}/meal-counts/{service_date}", summary="test")
    def replace(kitchen_id: str, service_date: str, session: SessionDep) -> dict[str, str]:
        return {}

    key, key_headers = make_api_key(client, admin, "health_office", "32.73")
    assert client.post("/api/v1/test-menus/m-1/approve", headers=key_headers).status_code == 200
    assert client.delete("/api/v1/test-shifts/s-1/assignments/a-1").status_code == 204
    assert client.put("/api/v1/test-kitchens/k-1/meal-counts/2026-11-28").status_code == 200
    events = _writes(client, admin)[-3:]
    got = [
        (e["actor_kind"], e["actor_id"], e["action"], e["resource"], e["resource_id"])
        for e in events
    ]
    assert got == [
        ("api_key", key["id"], "approve", "test-menus", "m-1"),
        ("anonymous", None, "delete", "assignments", "a-1"),
        ("anonymous", None, "replace", "meal-counts", "2026-11-28"),
    ]
    assert events[0]["actor_name"] == key["name"]


def test_logins_are_recorded_without_passwords(client: TestClient, admin: dict[str, str]) -> None:
    admin_id = _admin_id(client, admin)
    client.post(
        "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": "oops-wrong-pw"}
    )
    client.post("/api/v1/auth/token", data={"username": "nobody", "password": "oops-wrong-pw"})
    logins = _events(client, admin, resource="auth")
    got = [
        (e["action"], e["actor_kind"], e["actor_id"], e["resource_id"], e["status"]) for e in logins
    ]
    assert got == [
        ("login", "user", admin_id, admin_id, 200),  # the `admin` fixture's login
        ("login_failed", "anonymous", None, admin_id, 401),
        ("login_failed", "anonymous", None, None, 401),
    ]
    text = client.get(EVENTS, headers=admin).text
    assert "oops-wrong-pw" not in text and ADMIN_PASSWORD not in text and "nobody" not in text


def test_filters_narrow_the_list(client: TestClient, admin: dict[str, str]) -> None:
    admin_id = _admin_id(client, admin)
    second_admin, second = make_user(client, admin, "admin")
    k1 = make_kitchen(client, admin)
    k2 = make_kitchen(client, second)
    client.patch(f"/api/v1/kitchens/{k1['id']}", json={"name": "x"}, headers=second)
    writes = _writes(client, admin)
    cut = writes[-2]["created_at"]  # k2's creation

    def ids(**filters: Any) -> list[str | None]:
        return [
            e["resource_id"] for e in _events(client, admin, **filters) if e["resource"] != "auth"
        ]

    assert ids(resource="kitchens") == [k1["id"], k2["id"], k1["id"]]
    assert ids(resource="kitchens", action="update") == [k1["id"]]
    assert ids(resource_id=k1["id"]) == [k1["id"], k1["id"]]
    assert ids(actor_id=second_admin["id"]) == [k2["id"], k1["id"]]
    assert ids(actor_id=admin_id, resource="kitchens") == [k1["id"]]
    stamp = cut.replace("+00:00", "Z")
    assert ids(resource="kitchens", **{"from": stamp}) == [k2["id"], k1["id"]]
    assert ids(resource="kitchens", to=stamp) == [k1["id"], k2["id"]]
    assert ids(resource="users", action="delete") == []
    assert_problem(client.get(f"{EVENTS}?actor_id=not-a-uuid", headers=admin), 422)
    assert_problem(client.get(f"{EVENTS}?from=yesterday", headers=admin), 422)


def test_pages_never_repeat_or_skip(client: TestClient, admin: dict[str, str]) -> None:
    for _ in range(5):
        make_kitchen(client, admin)
    paged = _events(client, admin, resource="kitchens")
    whole = client.get(f"{EVENTS}?resource=kitchens&limit=1000", headers=admin).json()
    assert [e["id"] for e in paged] == [e["id"] for e in whole["items"]]
    assert len(paged) == 5 and whole["next_cursor"] is None


def test_get_one_event(client: TestClient, admin: dict[str, str]) -> None:
    make_kitchen(client, admin)
    event = _writes(client, admin)[0]
    assert client.get(f"{EVENTS}/{event['id']}", headers=admin).json() == event
    assert_problem(client.get(f"{EVENTS}/9b2e4f7a-0000-4000-8000-000000000000", headers=admin), 404)


def test_only_admin_reads_the_trail(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin)
    event_id = _writes(client, admin)[0]["id"]
    callers = {
        "manager": make_manager(client, admin, kitchen["id"]),
        "health": make_api_key(client, admin, "health_office", None)[1],
        "agriculture": make_api_key(client, admin, "agriculture_office", None)[1],
    }
    for headers in callers.values():
        assert_problem(client.get(EVENTS, headers=headers), 403, "role_forbidden")
        assert_problem(client.get(f"{EVENTS}/{event_id}", headers=headers), 403, "role_forbidden")
    assert_problem(client.get(EVENTS), 401)
    assert_problem(client.get(f"{EVENTS}/{event_id}"), 401)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_trail_cannot_be_changed_through_the_api(
    client: TestClient, admin: dict[str, str], method: str
) -> None:
    make_kitchen(client, admin)
    before = client.get(EVENTS, headers=admin).json()["items"]
    event_id = before[0]["id"]
    for url in (EVENTS, f"{EVENTS}/{event_id}"):
        resp = client.request(method, url, json={"action": "nothing"}, headers=admin)
        assert_problem(resp, 405, "method_not_allowed")
    assert client.get(EVENTS, headers=admin).json()["items"] == before


def test_event_survives_even_when_only_the_trail_remains(
    client: TestClient, admin: dict[str, str], database_url: str
) -> None:
    """Deleting the audited object (outside the API) leaves its events readable."""
    kitchen = make_kitchen(client, admin)
    engine = create_engine(database_url)
    with Session(engine) as session:
        row = session.get(Kitchen, uuid.UUID(kitchen["id"]))
        session.delete(row)
        session.commit()
    engine.dispose()
    assert [e["resource_id"] for e in _writes(client, admin)] == [kitchen["id"]]
