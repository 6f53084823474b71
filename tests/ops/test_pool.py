"""The connection pool under a burst, seen from outside: /metrics and PostgreSQL itself.

A burst of concurrent writes is held inside the database (a table lock the test takes) until
every request holds a connection, then let go. Each process must serve such a burst from
the connections it keeps: a connection opened for a burst and closed after it costs
PostgreSQL a new process per request (docs/performance.md).
"""

import threading
import time
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.builders import make_kitchen, make_school
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

# Concurrent requests one process gets in the load benchmark (32 connections, 2 workers).
BURST = 16
WAIT_SECONDS = 10.0


def _metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def _burst(
    base: str, database_url: str, headers: dict[str, str], paths: list[str], body: dict[str, object]
) -> list[int]:
    """PUT `body` to every path at once, all held on a table lock until each is waiting."""
    statuses: list[int] = []
    lock = threading.Lock()

    def put(path: str) -> None:
        resp = httpx.put(f"{base}{path}", json=body, headers=headers, timeout=30)
        with lock:
            statuses.append(resp.status_code)

    holder = create_engine(database_url, poolclass=NullPool)
    with holder.connect() as conn:
        conn.execute(text("LOCK TABLE meal_count_days IN SHARE ROW EXCLUSIVE MODE"))
        threads = [threading.Thread(target=put, args=(p,)) for p in paths]
        for t in threads:
            t.start()
        deadline = time.monotonic() + WAIT_SECONDS
        waiting = 0
        while waiting < len(paths) and time.monotonic() < deadline:
            time.sleep(0.05)
            # Activity statistics are a snapshot per transaction: take a new one each time.
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        conn.rollback()  # lets them all go
    holder.dispose()
    for t in threads:
        t.join(timeout=30)
    assert waiting == len(paths), f"only {waiting} of {len(paths)} requests reached the lock"
    return statuses


@pytest.mark.postgres_only
def test_a_burst_is_served_from_the_connections_the_process_keeps(
    live_server: str, database_url: str
) -> None:
    with httpx.Client(base_url=live_server) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        kitchen = make_kitchen(client, admin)  # type: ignore[arg-type]
        school = make_school(client, admin, kitchen["id"])  # type: ignore[arg-type]
    body: dict[str, object] = {"counts": [{"school_id": school["id"], "target_group": "7-9"}]}
    first = date.today() - timedelta(days=3 * BURST)
    paths = [
        f"/api/v1/kitchens/{kitchen['id']}/meal-counts/{first + timedelta(days=i)}"
        for i in range(2 * BURST)
    ]

    assert _burst(live_server, database_url, admin, paths[:BURST], body) == [200] * BURST
    opened = _metric(live_server, "dapur_db_connections_opened_total")
    assert opened >= BURST  # every request of the burst held a connection at the same time

    assert _burst(live_server, database_url, admin, paths[BURST:], body) == [200] * BURST
    assert _metric(live_server, "dapur_db_connections_opened_total") == opened
    assert _metric(live_server, "dapur_db_connections_in_use") == 0
