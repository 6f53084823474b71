"""Who may reach shifts, assignments, clocks and timesheets (docs/api.md, docs/shifts.md).

Admin and the kitchen's own managers: yes. Another kitchen's manager: 404, as if nothing
existed. Health and agriculture offices: 403, even for kitchens in their region.
Anonymous: 401.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem
from tests.builders.shifts import clock, local, make_assignment, make_shift, make_staff, shift_body

JKT = "Asia/Jakarta"
Request = tuple[str, str, dict[str, Any] | None, int]
# Builds one fresh request (method, url, json, success status) against kitchen `a`.
Factory = Callable[[TestClient, dict[str, Any]], Request]


def _shift(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    return make_shift(client, world["admin"], world["a"]["id"], local(JKT, 2027, 3, 1, 6))


def _assignment(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    staff = make_staff(client, world["admin"], world["a"]["id"])
    return make_assignment(client, world["admin"], _shift(client, world)["id"], staff["id"])


def _clocked_in(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    a = _assignment(client, world)
    assert (
        clock(client, world["admin"], a["id"], "in", local(JKT, 2027, 3, 1, 6)).status_code == 200
    )
    return a


def _create_shift(c: TestClient, w: dict[str, Any]) -> Request:
    body = shift_body(local(JKT, 2027, 3, 1, 6))
    return ("POST", f"/api/v1/kitchens/{w['a']['id']}/shifts", body, 201)


def _list_shifts(c: TestClient, w: dict[str, Any]) -> Request:
    return ("GET", f"/api/v1/kitchens/{w['a']['id']}/shifts", None, 200)


def _get_shift(c: TestClient, w: dict[str, Any]) -> Request:
    return ("GET", f"/api/v1/shifts/{_shift(c, w)['id']}", None, 200)


def _patch_shift(c: TestClient, w: dict[str, Any]) -> Request:
    return ("PATCH", f"/api/v1/shifts/{_shift(c, w)['id']}", {"name": "Sore"}, 200)


def _delete_shift(c: TestClient, w: dict[str, Any]) -> Request:
    return ("DELETE", f"/api/v1/shifts/{_shift(c, w)['id']}", None, 204)


def _assign(c: TestClient, w: dict[str, Any]) -> Request:
    staff = make_staff(c, w["admin"], w["a"]["id"])
    url = f"/api/v1/shifts/{_shift(c, w)['id']}/assignments"
    return ("POST", url, {"staff_id": staff["id"]}, 201)


def _unassign(c: TestClient, w: dict[str, Any]) -> Request:
    a = _assignment(c, w)
    return ("DELETE", f"/api/v1/shifts/{a['shift_id']}/assignments/{a['id']}", None, 204)


def _clock_in(c: TestClient, w: dict[str, Any]) -> Request:
    return ("POST", f"/api/v1/assignments/{_assignment(c, w)['id']}/clock-in", {}, 200)


def _clock_out(c: TestClient, w: dict[str, Any]) -> Request:
    body = {"at": local(JKT, 2027, 3, 1, 14).isoformat()}
    return ("POST", f"/api/v1/assignments/{_clocked_in(c, w)['id']}/clock-out", body, 200)


def _timesheet(c: TestClient, w: dict[str, Any]) -> Request:
    return ("GET", f"/api/v1/kitchens/{w['a']['id']}/timesheet", None, 200)


ENDPOINTS: dict[str, Factory] = {
    "create shift": _create_shift,
    "list shifts": _list_shifts,
    "get shift": _get_shift,
    "patch shift": _patch_shift,
    "delete shift": _delete_shift,
    "assign": _assign,
    "unassign": _unassign,
    "clock in": _clock_in,
    "clock out": _clock_out,
    "timesheet": _timesheet,
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_access_matrix(client: TestClient, world: dict[str, Any], endpoint: str) -> None:
    factory = ENDPOINTS[endpoint]

    def call(headers: dict[str, str] | None) -> Any:
        method, url, body, _ = factory(client, world)
        return client.request(method, url, json=body, headers=headers)

    for who in ("admin", "manager"):
        method, url, body, ok = factory(client, world)
        resp = client.request(method, url, json=body, headers=world[who])
        assert resp.status_code == ok, (who, resp.text)
    body_404 = assert_problem(call(world["manager_b"]), 404, "not_found")
    assert "Staf " not in str(body_404)
    for who in ("health", "agri"):
        assert_problem(call(world[who]), 403, "role_forbidden")
    assert_problem(call(None), 401)


def test_other_kitchens_shifts_never_leak(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    _shift(client, world)
    theirs = make_shift(client, admin, world["b"]["id"], local(JKT, 2027, 3, 1, 6), name="Rahasia")
    resp = client.get(f"/api/v1/kitchens/{world['a']['id']}/shifts", headers=world["manager"])
    assert resp.status_code == 200 and theirs["id"] not in resp.text and "Rahasia" not in resp.text
    assert_problem(
        client.get(f"/api/v1/kitchens/{world['b']['id']}/timesheet", headers=world["manager"]), 404
    )
    # Their shift cannot be used as a back door: assigning one of our staff to it is 404.
    ours = make_staff(client, admin, world["a"]["id"])
    resp = client.post(
        f"/api/v1/shifts/{theirs['id']}/assignments",
        json={"staff_id": ours["id"]},
        headers=world["manager"],
    )
    assert_problem(resp, 404)
