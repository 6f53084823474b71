"""Shared plumbing of the benchmarks: the server under test, logging in, reporting."""

import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.synthetic.generator import MANAGER_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
ADMIN_USERNAME = os.environ.get("BENCH_ADMIN_USERNAME", "bench-admin")
ADMIN_PASSWORD = os.environ.get("BENCH_ADMIN_PASSWORD", "bench-admin-password")
Headers = dict[str, str]
WORKERS = 2  # uvicorn --workers of the server under test


@dataclass(frozen=True)
class Server:
    """A uvicorn under test: where it answers and its master process (whose children are
    the workers)."""

    base_url: str
    pid: int
    database: str | None = None  # its database, whose PostgreSQL backends are its own


def database_name(url: str) -> str:
    """The database a SQLAlchemy or libpq URL names."""
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    target: str,
    *,
    database_url: str,
    secret_key: str,
    checkout: Path = ROOT,
    ready_path: str = "/readyz",
) -> Iterator[Server]:
    """uvicorn serving `target` (module:app) from `checkout` with the benchmark's fixed
    settings (WORKERS workers, no access log) on a free local port, stopped on exit.

    Every server of one run gets the same secret key, so a token issued by one is valid
    on the others. Code is imported from `checkout` first (PYTHONPATH), so another
    checkout serves its own `app` package with this environment's libraries.
    """
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secret_key,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(checkout),
    }
    env.pop("FIRST_ADMIN_USERNAME", None)
    command = [
        sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(WORKERS), "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=checkout, env=env, start_new_session=True)
    try:
        server = Server(f"http://127.0.0.1:{port}", process.pid, database_name(database_url))
        _wait_ready(server, ready_path)
        print(f"server: {target} from {checkout}, --workers {WORKERS} at {server.base_url}")
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(server.base_url + path, timeout=2).status_code == 200:
                time.sleep(1)  # let the second worker finish starting too
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"uvicorn at {server.base_url} did not become ready")


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Context:
    """What every benchmark needs: the server, the database, the nation's last day."""

    base_url: str
    database_url: str  # SQLAlchemy form, e.g. postgresql+psycopg://...
    server_pid: int  # the uvicorn master; its children are the workers
    smoke: bool
    anchor: str  # the nation's "today" (ISO date): the last day with meal counts
    secret_key: str  # the servers' SECRET_KEY, shared by every server of the run
    # Another checkout of the service to serve back to back with this one (bench/load.py).
    against: Path | None = None
    against_label: str = ""

    @property
    def server(self) -> Server:
        """The service under test, started by bench.run for the whole run."""
        return Server(self.base_url, self.server_pid, database_name(self.database_url))

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
    ratio_name: str = "ratio to baseline"
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
            print(f"   {self.ratio_name:<34} {self.ratio:.3f}  {self.verdict()}")
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


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces): field 3 onwards."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _processes(matches: Callable[[str], bool]) -> list[int]:
    """The processes whose /proc entry `matches`; one that ends while it is read is left out."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if matches(entry.name):
                pids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (uvicorn's workers)."""
    return _processes(lambda p: int(_stat_fields(p)[1]) == pid)


# A PostgreSQL process title names the database of a client backend or autovacuum worker:
# "postgres: [cluster: ]user database host(port) activity", "... autovacuum worker database".
_BACKEND_TITLE = re.compile(
    r"^postgres: (?:\S+: )?"
    r"(?:\S+ (?P<db>\S+) (?:\[local\]|\S+\(\d+\))|autovacuum worker (?P<av>\S+))"
)


def _postgres_pids(database: str | None = None) -> list[int]:
    """The local PostgreSQL processes: the backends serving the app and the background
    writers its commits wake up. With `database`, backends of other databases (other
    jobs on a shared machine) are left out; the shared background processes stay."""

    def ours(pid: str) -> bool:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return False
        if database is None:
            return True
        title = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()
        match = _BACKEND_TITLE.match(title)
        return match is None or database in (match["db"], match["av"])

    return _processes(ours)


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU time each process has used so far."""
    seconds = {}
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _used(start: dict[int, float], end: dict[int, float]) -> float:
    """CPU used between two readings of the same processes; one absent from the first
    started in between."""
    return sum(t - start.get(pid, 0.0) for pid, t in end.items())


def _busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / ticks, sum(values) / ticks


class CpuAccount:
    """Where the CPU went while a block ran: each server process, PostgreSQL's processes
    (when it runs on this machine; given the server's `database`, only the backends of that
    database and the shared background processes), and the block's own child processes
    (the load generator).

    Read from /proc, so it is Linux only. PostgreSQL's processes are also read every
    SAMPLE_SECONDS while the block runs, so a backend that ends before the block does (a
    load generator's connections, an autovacuum worker) still counts, less at most its last
    interval. After the block: `seconds` by who spent them, `workers` each server
    process's share, `busy` the fraction of the machine in use.
    """

    SAMPLE_SECONDS = 0.2

    def __init__(self, server_pid: int, database: str | None = None) -> None:
        self.server_pids = [server_pid, *children(server_pid)]
        self.database = database
        self.seconds: dict[str, float] = {}
        self.workers: list[float] = []
        self.busy = 0.0
        self._postgres: dict[int, float] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.SAMPLE_SECONDS):
            self._postgres.update(_cpu_seconds(_postgres_pids(self.database)))

    def _now(self) -> tuple[dict[int, float], dict[int, float], float]:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = _cpu_seconds(self.server_pids)
        postgres = _cpu_seconds(_postgres_pids(self.database))
        return server, postgres, kids.ru_utime + kids.ru_stime

    def __enter__(self) -> "CpuAccount":
        self._start, self._machine = self._now(), _busy_seconds()
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        (server, postgres, generator), (busy, total) = self._now(), _busy_seconds()
        self._postgres.update(postgres)
        start_server, start_postgres, start_generator = self._start
        per_process = {pid: t - start_server.get(pid, 0.0) for pid, t in server.items()}
        self.seconds = {
            "server": sum(per_process.values()),
            "postgres": _used(start_postgres, self._postgres),
            "load generator": generator - start_generator,
        }
        spent = max(self.seconds["server"], 1e-9)
        self.workers = sorted((t / spent for t in per_process.values()), reverse=True)
        self.busy = (busy - self._machine[0]) / max(total - self._machine[1], 1e-9)
