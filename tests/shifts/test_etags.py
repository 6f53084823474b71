"""A shift's ETag covers its assignments: every change of them moves it (docs/mobile.md)."""

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import assert_problem
from tests.builders.shifts import clock, local, make_assignment, make_shift, make_staff

JKT = "Asia/Jakarta"


def test_assignments_and_attendance_move_the_shifts_etag(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    start = local(JKT, 2027, 3, 1, 6)
    shift = make_shift(client, admin, k, start)
    url = f"/api/v1/shifts/{shift['id']}"
    seen: list[str] = []

    def tag() -> str:
        resp = client.get(url, headers=world["manager"])
        assert resp.status_code == 200, resp.text
        held = client.get(url, headers={**world["manager"], "If-None-Match": resp.headers["etag"]})
        assert held.status_code == 304
        assert resp.headers["etag"] not in seen, "the tag did not move"
        seen.append(resp.headers["etag"])
        return resp.headers["etag"]

    tag()
    a = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    tag()
    b = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    tag()
    assert clock(client, admin, a["id"], "in", start).status_code == 200
    tag()
    assert clock(client, admin, a["id"], "out", start.replace(hour=14)).status_code == 200
    tag()
    deleted = client.delete(f"{url}/assignments/{b['id']}", headers=admin)
    assert deleted.status_code == 204
    last = tag()
    # A refused change changes nothing: the tag stays.
    assert_problem(clock(client, admin, a["id"], "in", start), 409, "clock_state")
    assert client.get(url, headers={**admin, "If-None-Match": last}).status_code == 304


def test_patch_with_a_stale_etag_is_412(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    url = f"/api/v1/shifts/{shift['id']}"
    stale = client.get(url, headers=admin).headers["etag"]
    make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    resp = client.patch(url, json={"name": "Pagi"}, headers={**admin, "If-Match": stale})
    assert_problem(resp, 412, "precondition_failed")
    current = client.get(url, headers=admin).headers["etag"]
    resp = client.patch(url, json={"name": "Pagi"}, headers={**admin, "If-Match": current})
    assert resp.status_code == 200, resp.text
    assert resp.headers["etag"] == client.get(url, headers=admin).headers["etag"] != current
    assert_problem(client.patch(url, json={"name": None}, headers=admin), 422)
