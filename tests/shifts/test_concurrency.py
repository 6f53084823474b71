"""Races on shifts: two managers assigning the same person to overlapping shifts at the
same moment, and a clock-in racing the deletion of its assignment.

Runs on both databases: PostgreSQL serialises the requests on row locks (each write locks
what it loads, and counts itself in its kitchen's row), SQLite on its write lock (write
requests BEGIN IMMEDIATE). Without the row locks, PostgreSQL lets both requests succeed
and these tests fail.
"""

import threading
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.builders import make_manager
from tests.builders.shifts import local, make_assignment, make_shift, make_staff

ROUNDS = 8


def _race(base_url: str, staff_id: str, attempts: list[tuple[str, dict[str, str]]]) -> list[Any]:
    """POST the assignments from parallel threads released together; (status, code) each."""
    barrier = threading.Barrier(len(attempts))
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def post(shift_id: str, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            barrier.wait()
            resp = http.post(
                f"/api/v1/shifts/{shift_id}/assignments",
                json={"staff_id": staff_id},
                headers=headers,
            )
        code = resp.json().get("code") if resp.status_code != 201 else None
        with lock:
            results.append((resp.status_code, code))

    threads = [threading.Thread(target=post, args=attempt) for attempt in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(results)


def test_concurrent_overlapping_assignments_one_wins(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], live_server: str
) -> None:
    k = world["a"]["id"]
    managers = [world["manager"], make_manager(client, admin, k)]
    for n in range(ROUNDS):
        cook = make_staff(client, admin, k)
        first = make_shift(client, admin, k, local("Asia/Jakarta", 2027, 3, 1 + n, 6), hours=8)
        second = make_shift(client, admin, k, local("Asia/Jakarta", 2027, 3, 1 + n, 10), hours=8)
        outcome = _race(
            live_server, cook["id"], [(first["id"], managers[0]), (second["id"], managers[1])]
        )
        assert outcome == [(201, None), (409, "shift_overlap")], (n, outcome)
        assigned = [
            client.get(f"/api/v1/shifts/{s['id']}", headers=admin).json()["assignments"]
            for s in (first, second)
        ]
        assert sum(len(a) for a in assigned) == 1, (n, assigned)


Call = tuple[str, str, str, dict[str, Any] | None]  # name, method, URL, JSON body


def _together(base_url: str, headers: dict[str, str], calls: list[Call]) -> dict[str, Any]:
    """Send the calls from parallel threads released together; name -> (status, code)."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, tuple[int, str | None]] = {}

    def send(name: str, method: str, url: str, body: dict[str, Any] | None) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            barrier.wait()
            resp = http.request(method, url, json=body)
        code = resp.json().get("code") if resp.status_code >= 400 else None
        results[name] = (resp.status_code, code)

    threads = [threading.Thread(target=send, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_clock_in_racing_a_delete_never_loses_the_attendance(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], live_server: str
) -> None:
    """Either the delete comes first (the clock-in then finds nothing: 404) or the clock-in
    does (the delete is then refused, 409 `attendance_recorded`): an acknowledged clock-in
    is never deleted. Without the assignment's row lock, PostgreSQL lets both succeed."""
    k = world["a"]["id"]
    for n in range(10):
        shift = make_shift(client, admin, k, local("Asia/Jakarta", 2027, 4, 1 + n, 6), hours=8)
        a = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
        results = _together(
            live_server,
            world["manager"],
            [
                ("clock_in", "POST", f"/api/v1/assignments/{a['id']}/clock-in", {}),
                ("delete", "DELETE", f"/api/v1/shifts/{a['shift_id']}/assignments/{a['id']}", None),
            ],
        )
        clock_in, delete = results["clock_in"], results["delete"]
        kept = client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()["assignments"]
        if clock_in[0] == 200:
            assert delete == (409, "attendance_recorded"), (n, clock_in, delete)
            assert [x["id"] for x in kept] == [a["id"]], (n, kept)
            assert kept[0]["clock_in_at"] is not None
        else:
            assert (clock_in, delete) == ((404, "not_found"), (204, None)), (n, clock_in, delete)
            assert kept == [], (n, kept)


def test_clock_in_racing_an_assignment_to_the_same_shift_both_succeed(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], live_server: str
) -> None:
    """A clock-in touches its shift (its ETag covers attendance) while an assignment to the
    same shift locks the shift first: both must queue, never deadlock (a 500)."""
    k = world["a"]["id"]
    for n in range(10):
        start = local("Asia/Jakarta", 2027, 5, 1 + n, 6)
        shift = make_shift(client, admin, k, start, hours=8, requirements={"cook": 3})
        on_it = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
        newcomer = make_staff(client, admin, k)
        statuses = _together(
            live_server,
            world["manager"],
            [
                ("clock_in", "POST", f"/api/v1/assignments/{on_it['id']}/clock-in", {}),
                (
                    "assign",
                    "POST",
                    f"/api/v1/shifts/{shift['id']}/assignments",
                    {"staff_id": newcomer["id"]},
                ),
            ],
        )
        assert statuses == {"clock_in": (200, None), "assign": (201, None)}, (n, statuses)
