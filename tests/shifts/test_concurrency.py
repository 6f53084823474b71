"""Two managers assigning the same person to overlapping shifts at the same moment.

Runs on both databases: PostgreSQL serialises the two requests on the staff row lock
(SELECT ... FOR UPDATE), SQLite on its write lock (write requests BEGIN IMMEDIATE). Without
the row lock, PostgreSQL lets both requests succeed and this test fails.
"""

import threading
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.builders import make_manager
from tests.builders.shifts import local, make_shift, make_staff

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
