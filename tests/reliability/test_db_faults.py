"""Database faults on PostgreSQL while requests run: 503 problem+json, never a hang or a
500, recovery without a restart, and no acknowledged write lost.

The shared PostgreSQL server is never stopped (other suites use it): the faults are
applied to this test's own database only, by terminating its backends and by refusing
new connections to it (ALTER DATABASE ... ALLOW_CONNECTIONS false).
"""

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.core.config import Settings
from tests.builders import assert_problem
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, PG_URL
from tests.reliability.conftest import ClientFactory

DB_TIMEOUT = 2.0
# A request may wait for a pooled connection, then for a statement: both bounded by
# DB_TIMEOUT. Anything slower than this is a hang.
MAX_SECONDS = 2 * DB_TIMEOUT + 1.5
# More writers than pooled connections (4 + 4 overflow), so some wait for the pool.
WORKERS = 12
DRIVER_WORDS = ("psycopg", "OperationalError", "terminating connection", "SQL", "Traceback")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"db_timeout_seconds": DB_TIMEOUT, "db_pool_size": 4, "db_max_overflow": 4}
    )


@dataclass
class Outcome:
    phase: str
    status: int
    seconds: float
    code: str | None
    kitchen_code: str
    kitchen_id: str | None
    content_type: str
    text: str


@dataclass
class Run:
    phase: str = "before"
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


def _writer(base: str, headers: dict[str, str], run: Run) -> None:
    with httpx.Client(base_url=base, timeout=MAX_SECONDS + 5) as http:
        while not run.stop.is_set():
            code = f"F-{uuid.uuid4().hex[:12]}"
            phase = run.phase
            started = time.monotonic()
            try:
                resp = http.post(
                    "/api/v1/kitchens",
                    json={"code": code, "name": "SPPG Fault", "region_code": "32.73"},
                    headers=headers,
                )
            except httpx.TimeoutException:
                outcome = Outcome(
                    phase, 0, time.monotonic() - started, "client_timeout", code, None, "", ""
                )
            else:
                body: Any = resp.json() if resp.content else {}
                outcome = Outcome(
                    phase,
                    resp.status_code,
                    time.monotonic() - started,
                    body.get("code"),
                    code,
                    body.get("id") if resp.status_code == 201 else None,
                    resp.headers.get("content-type", ""),
                    resp.text,
                )
            with run.lock:
                run.outcomes.append(outcome)


class Operator:
    """A superuser connection to the server's maintenance database (not the test's own)."""

    def __init__(self, dbname: str) -> None:
        assert PG_URL
        self.dbname = dbname
        self.engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.conn = self.engine.connect()

    def run(self, sql: str) -> None:
        self.conn.execute(text(sql))

    def terminate_backends(self) -> None:
        self.run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.dbname}' AND pid <> pg_backend_pid()"
        )

    def allow_connections(self, allowed: bool) -> None:
        self.run(f'ALTER DATABASE "{self.dbname}" ALLOW_CONNECTIONS {str(allowed).lower()}')

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def _during(seconds: float, every: float, action: Callable[[], None]) -> int:
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        action()
        count += 1
        time.sleep(every)
    return count


def _wait_for_success(run: Run, since: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with run.lock:
            if any(o.status == 201 for o in run.outcomes[since:]):
                return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"no successful write within {timeout} s after the fault ended")


@pytest.mark.postgres_only
def test_database_outage_gives_503_then_recovers_and_loses_no_write(
    live_server: str, database_url: str
) -> None:
    dbname = make_url(database_url).database
    assert dbname
    token = httpx.post(
        f"{live_server}/api/v1/auth/token",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    run = Run()
    threads = [
        threading.Thread(target=_writer, args=(live_server, headers, run)) for _ in range(WORKERS)
    ]
    operator = Operator(dbname)
    for t in threads:
        t.start()
    figures: dict[str, Any] = {}
    try:
        time.sleep(1.0)
        # Fault 1: every connection of the service killed, again and again, for 3 s.
        run.phase = "terminate"
        figures["terminations"] = _during(3.0, 0.1, operator.terminate_backends)
        run.phase = "recover-1"
        figures["recovery_1_seconds"] = _wait_for_success(run, len(run.outcomes), 15)
        time.sleep(1.0)
        # Fault 2: the database refuses new connections for 4 s (and loses its current ones).
        run.phase = "unavailable"
        operator.allow_connections(False)
        try:
            _during(4.0, 0.5, operator.terminate_backends)
        finally:
            operator.allow_connections(True)
        run.phase = "recover-2"
        figures["recovery_2_seconds"] = _wait_for_success(run, len(run.outcomes), 15)
        time.sleep(1.0)
        # Fault 3: the database answers but stalls: the kitchens table is locked for
        # 3 x the timeout, so writers wait on the lock and, beyond the pool, on connections.
        run.phase = "stalled"
        stall = create_engine(database_url, poolclass=NullPool)
        with stall.connect() as locker:
            locker.execute(text("LOCK TABLE kitchens IN ACCESS EXCLUSIVE MODE"))
            time.sleep(3 * DB_TIMEOUT)
            locker.rollback()
        stall.dispose()
        run.phase = "recover-3"
        figures["recovery_3_seconds"] = _wait_for_success(run, len(run.outcomes), 15)
        time.sleep(1.0)
    finally:
        operator.allow_connections(True)
        operator.close()
        run.stop.set()
        for t in threads:
            t.join(timeout=MAX_SECONDS + 10)

    outcomes = run.outcomes
    bad = [o for o in outcomes if o.status not in (201, 503)]
    assert not bad, (
        f"answers other than 201 or 503: {[(o.status, o.code, o.text) for o in bad][:5]}"
    )
    for o in outcomes:
        if o.status == 503:
            assert o.content_type.startswith("application/problem+json"), o
            assert o.code == "service_unavailable", o
            assert not any(w in o.text for w in DRIVER_WORDS), o.text
    slowest = max(o.seconds for o in outcomes)
    assert slowest <= MAX_SECONDS, f"a request took {slowest:.2f} s"
    for phase in ("terminate", "unavailable", "stalled"):
        assert any(o.status == 503 for o in outcomes if o.phase == phase), phase

    # Every write answered 201 is in the database, exactly once.
    acknowledged = {o.kitchen_code: o.kitchen_id for o in outcomes if o.status == 201}
    refused = [o.kitchen_code for o in outcomes if o.status == 503]
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT code, id FROM kitchens")).all())
        audited = set(
            conn.execute(
                text("SELECT resource_id FROM audit_events WHERE resource = 'kitchens'")
            ).scalars()
        )
    engine.dispose()
    missing = [c for c in acknowledged if c not in stored]
    assert not missing, f"{len(missing)} acknowledged writes are not in the database"
    assert all(str(stored[c]) == i for c, i in acknowledged.items())
    assert {str(stored[c]) for c in acknowledged} <= audited
    # Every kitchen stored has its audit event (they share the transaction).
    assert {str(i) for i in stored.values()} == audited
    # The pool gauge tells the truth after connections died with the database: nothing is
    # checked out once the writers stopped (it once read -74 here).
    in_use = next(
        float(line.split()[1])
        for line in httpx.get(f"{live_server}/metrics").text.splitlines()
        if line.startswith("dapur_db_connections_in_use ")
    )
    assert in_use == 0, in_use

    by_phase: dict[str, dict[int, int]] = {}
    for o in outcomes:
        by_phase.setdefault(o.phase, {}).setdefault(o.status, 0)
        by_phase[o.phase][o.status] += 1
    figures.update(
        requests=len(outcomes),
        acknowledged=len(acknowledged),
        refused_503=len(refused),
        refused_but_committed=sum(1 for c in refused if c in stored),
        slowest_seconds=round(slowest, 3),
        slowest_503_seconds=round(
            max((o.seconds for o in outcomes if o.status == 503), default=0), 3
        ),
        by_phase=by_phase,
    )
    print("\nDB FAULT FIGURES", figures)


def test_sqlite_write_lock_held_elsewhere_gives_503_within_the_timeout(
    client_with: ClientFactory, admin: dict[str, str], settings: Settings
) -> None:
    """SQLite's counterpart: another process holds the write lock past busy_timeout."""
    if not settings.is_sqlite:
        pytest.skip("SQLite only")
    path = make_url(settings.database_url).database
    assert path
    body = {"code": "K-lock", "name": "n", "region_code": "32"}
    with client_with(db_timeout_seconds=1) as c:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            resp = c.post("/api/v1/kitchens", json=body, headers=admin)
            elapsed = time.monotonic() - started
            problem = assert_problem(resp, 503, "service_unavailable")
            assert resp.headers["Retry-After"]
            assert not any(w.lower() in resp.text.lower() for w in (*DRIVER_WORDS, "locked"))
            assert problem["detail"] == "The database is not answering; try again shortly"
            assert 0.9 <= elapsed <= 1 + 1.5
            # Readers are not blocked by a writer (WAL).
            assert c.get("/api/v1/kitchens", headers=admin).status_code == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert c.post("/api/v1/kitchens", json=body, headers=admin).status_code == 201
