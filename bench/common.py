"""Shared plumbing of the benchmarks: the server under test, logging in, reporting."""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.synthetic.generator import MANAGER_PASSWORD

ADMIN_USERNAME = os.environ.get("BENCH_ADMIN_USERNAME", "bench-admin")
ADMIN_PASSWORD = os.environ.get("BENCH_ADMIN_PASSWORD", "bench-admin-password")
Headers = dict[str, str]


@dataclass
class Context:
    """What every benchmark needs: the server, the database, the nation's last day."""

    base_url: str
    database_url: str  # SQLAlchemy form, e.g. postgresql+psycopg://...
    server_pid: int  # the uvicorn master; its children are the workers
    smoke: bool
    anchor: str  # the nation's "today" (ISO date): the last day with meal counts

    def client(self, timeout: float = 600.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    @property
    def libpq_url(self) -> str:
        """The database URL as psycopg and libpq take it."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class Result:
    """One benchmark's figures, its ratio to the same-run baseline and the target."""

    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    def verdict(self) -> str:
        """How the ratio stands against the target, if the benchmark has one."""
        if not self.target:
            return "(no target)"
        return f"(target {self.target}: {'met' if self.met else 'NOT met'})"

    def show(self) -> None:
        print(f"\n== {self.name}")
        for key, value in self.figures.items():
            print(f"   {key:<34} {_fmt(value)}")
        if self.ratio is not None:
            print(f"   {'ratio to baseline':<34} {self.ratio:.3f}  {self.verdict()}")
        for note in self.notes:
            print(f"   note: {note}")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def admin_headers(client: httpx.Client) -> Headers:
    return _login(client, ADMIN_USERNAME, ADMIN_PASSWORD)


def manager_headers(client: httpx.Client, kitchen_code: str) -> Headers:
    """The synthetic manager of a kitchen (username: the code in lower case)."""
    return _login(client, kitchen_code.lower(), MANAGER_PASSWORD)


def _login(client: httpx.Client, username: str, password: str) -> Headers:
    resp = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def api_key(client: httpx.Client, admin: Headers, role: str, region: str | None) -> Headers:
    resp = client.post(
        "/api/v1/api-keys",
        json={"name": f"bench {role} {region or 'national'}", "role": role, "region_code": region},
        headers=admin,
    )
    resp.raise_for_status()
    return {"X-API-Key": resp.json()["key"]}


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    """Median seconds of `runs` calls after one warm-up call, every timing, the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result
