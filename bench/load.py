"""Throughput and CPU per request under concurrent load, measured with wrk.

Five requests, each against the same server in the same run: the service's /healthz (all
its middleware), GET /kitchens/{id} ("the floor": the caller and one kitchen row), the day
view GET /kitchens/{id}/today, the day view again with If-None-Match (its 304), and the
meal-count PUT of a whole day (~28 rows). Kitchen requests spread over many kitchens, each
signed by that kitchen's own manager.

The unit of every CPU figure is a bare FastAPI app (bench/bare.py: one route, no
middleware) served with the same uvicorn flags and measured in the same run: its server CPU
per request is what the cheapest whole FastAPI request costs on this machine, so "CPU ÷
bare app" compares across machines where milliseconds do not. The targets are those of the
request-path redesign (docs/performance.md), on the server's CPU ÷ bare app.

With --against (bench.run), another checkout of the service (by default v1) is served too,
and each request is measured on it right after this code, each side on a fresh server of
its own: throughput and CPU of both, back to back on the same database and machine.

Why wrk: it is a C load generator with an event loop, so on a two-core machine it drives
thousands of requests a second from one thread and leaves the other core to the server;
a Python generator (locust) would need more CPU than the server it is measuring. Lua
scripts give each request its own path, headers and body.
"""

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench import replay
from bench.common import (
    ROOT,
    WORKERS,
    Context,
    CpuAccount,
    Headers,
    Result,
    Server,
    manager_headers,
    serve,
)

HERE = Path(__file__).parent
KITCHENS = 40
CONNECTIONS = 32
THREADS = 1
# A run counts when no server process did more than BALANCED / WORKERS of the server's CPU.
BALANCED = 1.5
ATTEMPTS = 5
# (method, path, headers, body or None)
WrkRequest = tuple[str, str, Headers, str | None]
Figures = dict[str, Any]
NOW, OTHER = "now", "other"


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def _script(requests: list[WrkRequest]) -> str:
    """A wrk script cycling through (method, path, headers, body) requests."""

    def row(method: str, path: str, headers: Headers, body: str | None) -> str:
        if body:
            headers = {**headers, "Content-Type": "application/json"}
        table = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        fields = [_lua_string(method), _lua_string(path), "{" + table + "}"]
        return "{" + ", ".join([*fields, _lua_string(body) if body else "nil"]) + "}"

    rows = ",\n".join(row(*r) for r in requests)
    return (
        f"local reqs = {{\n{rows}\n}}\n"
        "local i = math.random(#reqs)\n"
        "request = function()\n"
        "  i = i % #reqs + 1\n"
        "  local r = reqs[i]\n"
        "  return wrk.format(r[1], r[2], r[3], r[4])\n"
        "end\n" + (HERE / "wrk" / "report.lua").read_text()
    )


def wrk(server: Server, requests: list[WrkRequest], seconds: int) -> Figures:
    """Run wrk with the requests until the load spreads over the workers; its figures.

    wrk opens its connections at once, and one uvicorn worker often accepts all of them
    before the other wakes: about every other run, seen here. Such a run measures half
    the server, so it is run again (up to ATTEMPTS times); `attempts` says how many it took.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_script(requests))
    try:
        for attempt in range(1, ATTEMPTS + 1):
            figures = _wrk_once(server, f.name, seconds)
            figures["attempts"] = attempt
            if figures["workers"][0] <= BALANCED / WORKERS:
                break
    finally:
        Path(f.name).unlink()
    return figures


def _wrk_once(server: Server, script: str, seconds: int) -> Figures:
    with CpuAccount(server.pid, server.database) as cpu:
        out = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
             "-s", script, server.base_url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON "))
    figures: Figures = json.loads(line.removeprefix("BENCH_JSON "))
    if not figures["requests"]:
        raise RuntimeError(f"{server.base_url} answered no request in {seconds} s")
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    # CPU milliseconds per request, by who spent them; how busy the machine was; each
    # server process's share of the server's CPU, largest first.
    figures["cpu_ms"] = {k: 1000 * v / figures["requests"] for k, v in cpu.seconds.items()}
    figures["busy"] = cpu.busy
    figures["workers"] = cpu.workers
    return figures


def _kitchens(ctx: Context) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(id, code, [(school_id, group)]) of kitchens spread over the nation."""
    with psycopg.connect(ctx.libpq_url) as conn:
        rows = conn.execute(
            """
            SELECT k.id::text, k.code, s.id::text, se.target_group
            FROM (SELECT id, code FROM kitchens ORDER BY code
                  LIMIT %s) k
            JOIN schools s ON s.kitchen_id = k.id
            JOIN school_enrolments se ON se.school_id = s.id
            ORDER BY k.code, s.npsn, se.target_group
            """,
            (KITCHENS,),
        ).fetchall()
    kitchens: dict[str, tuple[str, str, list[tuple[str, str]]]] = {}
    for kitchen_id, code, school_id, group in rows:
        kitchens.setdefault(kitchen_id, (kitchen_id, code, []))[2].append((school_id, group))
    return list(kitchens.values())


@dataclass(frozen=True)
class Route:
    """One measured request: how to build its wrk requests for a server (or why it cannot
    be measured there), and its targets: the server's CPU ÷ bare app, at most, and the
    throughput against the other checkout, at least."""

    name: str
    requests: Callable[[Server], list[WrkRequest] | str]
    cpu_target: float
    vs_other_target: float | None = None
    ceiling: bool = False  # also report the ratio an app as cheap as /healthz would reach


def _routes(
    kitchens: list[tuple[str, str, list[tuple[str, str]]]], tokens: Headers, day: str
) -> list[Route]:
    def auth(kitchen_id: str) -> Headers:
        return {"Authorization": tokens[kitchen_id]}

    def today_path(kitchen_id: str) -> str:
        return f"/api/v1/kitchens/{kitchen_id}/today?date={day}"

    def healthz(_: Server) -> list[WrkRequest]:
        return [("GET", "/healthz", {}, None)]

    def floor(_: Server) -> list[WrkRequest]:
        return [("GET", f"/api/v1/kitchens/{k}", auth(k), None) for k, _, _ in kitchens]

    def today(server: Server) -> list[WrkRequest] | str:
        first = kitchens[0][0]
        status = httpx.get(server.base_url + today_path(first), headers=auth(first)).status_code
        if status != 200:
            return f"not measured: the day view answers {status} on this build"
        return [("GET", today_path(k), auth(k), None) for k, _, _ in kitchens]

    def not_modified(server: Server) -> list[WrkRequest] | str:
        requests: list[WrkRequest] = []
        with httpx.Client(base_url=server.base_url, timeout=600) as client:
            for kitchen_id, _, _ in kitchens:
                path = today_path(kitchen_id)
                resp = client.get(path, headers=auth(kitchen_id))
                etag = resp.headers.get("etag")
                if resp.status_code != 200 or not etag:
                    return f"not measured: the day view answers {resp.status_code}, ETag {etag}"
                headers = {**auth(kitchen_id), "If-None-Match": etag}
                status = client.get(path, headers=headers).status_code
                if status != 304:
                    return f"not measured: If-None-Match with the view's own ETag gets {status}"
                requests.append(("GET", path, headers, None))
        return requests

    def put(_: Server) -> list[WrkRequest]:
        requests: list[WrkRequest] = []
        for kitchen_id, _code, pairs in kitchens:
            body = json.dumps({"counts": [{"school_id": s, "target_group": g} for s, g in pairs]})
            path = f"/api/v1/kitchens/{kitchen_id}/meal-counts/{day}"
            requests.append(("PUT", path, auth(kitchen_id), body))
        return requests

    # Targets: the request-path redesign's (docs/performance.md). The 304 runs before the
    # PUT, which would otherwise change the first run's views under their tags.
    return [
        Route("GET /healthz", healthz, 2),
        Route("GET /kitchens/{id} (the floor)", floor, 12, 2),
        Route("GET /kitchens/{id}/today (day view)", today, 30, 2.5, ceiling=True),
        Route("GET /kitchens/{id}/today, If-None-Match (304)", not_modified, 12),
        Route("PUT /kitchens/{id}/meal-counts/{date} (~28 rows)", put, 30, 2.5, ceiling=True),
    ]


def run(ctx: Context) -> list[Result]:
    if shutil.which("wrk") is None:
        return [Result("load (wrk)", notes=["wrk is not installed: apt-get install -y wrk"])]
    seconds = 3 if ctx.smoke else 20
    kitchens = _kitchens(ctx)
    day = date.fromisoformat(ctx.anchor).isoformat()
    with ctx.client() as client:
        tokens = {k[0]: manager_headers(client, k[1])["Authorization"] for k in kitchens}
        probe = client.get(
            f"/api/v1/kitchens/{kitchens[0][0]}/today",
            headers={"Authorization": tokens[kitchens[0][0]]},
        )
    # Not a target: the day view's SQL alone, the least the database spends on one. Run
    # first, while the server's pools are still small: pgbench needs 32 connections more.
    replayed = None
    if probe.status_code == 200 and replay.available():
        reads = [(f"/api/v1/kitchens/{k}/today?date={day}", code) for k, code, _ in kitchens]
        scripts = replay.record(ctx, reads[: replay.REQUESTS])
        replayed = replay.pgbench(ctx, scripts, clients=CONNECTIONS, seconds=seconds)

    unit = _unit(ctx, seconds)
    routes = _routes(kitchens, tokens, day)
    measured: dict[str, dict[str, Figures | str]] = {}
    for route in routes:
        if ctx.against is None:
            measured[route.name] = {NOW: _measure(route, ctx.server, seconds)}
            continue
        # Route by route, this code first and the other checkout right after it, so both
        # see the same machine (other jobs on it change from minute to minute). One server
        # at a time, each fresh: the service's two pools per worker, kept open by an idle
        # server, would leave the other too few of PostgreSQL's connections.
        for side, checkout in ((NOW, ROOT), (OTHER, ctx.against)):
            with _service(ctx, checkout) as server:
                measured.setdefault(route.name, {})[side] = _measure(route, server, seconds)

    label = ctx.against_label
    results = [_unit_result(unit)]
    healthz = measured[routes[0].name]
    for route in routes:
        results.append(_result(route, measured[route.name], unit, healthz, label))
    today = measured[routes[2].name][NOW]
    if replayed is not None and not isinstance(today, str):
        results.append(_replayed(replayed, _ok(healthz[NOW]), today, unit))
    results.append(_summary(routes, measured, unit, label))
    return results


def _measure(route: Route, server: Server, seconds: int) -> Figures | str:
    requests = route.requests(server)
    return requests if isinstance(requests, str) else wrk(server, requests, seconds)


def _service(ctx: Context, checkout: Path) -> AbstractContextManager[Server]:
    return serve(
        "app.main:app",
        database_url=ctx.database_url,
        secret_key=ctx.secret_key,
        checkout=checkout,
    )


def _ok(figures: Figures | str) -> Figures:
    assert not isinstance(figures, str), figures
    return figures


def _unit(ctx: Context, seconds: int) -> Figures:
    """The bare app's figures, served like the service and loaded like /healthz."""
    with serve(
        "bench.bare:app",
        database_url=ctx.database_url,
        secret_key=ctx.secret_key,
        ready_path="/healthz",
    ) as bare:
        return wrk(bare, [("GET", "/healthz", {}, None)], seconds)


def _per_unit(figures: Figures, unit: Figures, who: str) -> float:
    """`who`'s CPU per request as a multiple of the bare app's server CPU per request."""
    return float(figures["cpu_ms"][who] / unit["cpu_ms"]["server"])


def _unit_result(unit: Figures) -> Result:
    return Result(
        name="the unit: a bare FastAPI app, GET /healthz (bench/bare.py)",
        figures={**_wrk_figures(unit)},
        notes=["every 'CPU ÷ bare app' below divides by this run's server CPU per request"],
    )


def _wrk_figures(figures: Figures, prefix: str = "") -> dict[str, Any]:
    return {
        f"{prefix}requests/s": figures["rps"],
        f"{prefix}p50 ms": figures["p50_us"] / 1000,
        f"{prefix}p90 ms": figures["p90_us"] / 1000,
        f"{prefix}p99 ms": figures["p99_us"] / 1000,
        f"{prefix}max ms": figures["max_us"] / 1000,
        f"{prefix}requests": figures["requests"],
        f"{prefix}non-2xx/3xx": figures["status_errors"],
        f"{prefix}socket errors": figures["socket_errors"],
        f"{prefix}wrk": f"{THREADS} thread, {CONNECTIONS} connections",
        f"{prefix}CPU ms/request: server": figures["cpu_ms"]["server"],
        f"{prefix}CPU ms/request: postgres": figures["cpu_ms"]["postgres"],
        f"{prefix}CPU ms/request: wrk": figures["cpu_ms"]["load generator"],
        f"{prefix}machine busy": f"{figures['busy']:.0%}",
        f"{prefix}server CPU by process": " / ".join(f"{w:.0%}" for w in figures["workers"] if w),
        f"{prefix}runs (until the workers shared the load)": figures["attempts"],
    }


def _cpu_units(figures: Figures, unit: Figures, prefix: str = "") -> dict[str, Any]:
    server, postgres = (_per_unit(figures, unit, who) for who in ("server", "postgres"))
    return {
        f"{prefix}CPU ÷ bare app: server": server,
        f"{prefix}CPU ÷ bare app: postgres": postgres,
        f"{prefix}CPU ÷ bare app: server + postgres": server + postgres,
        f"{prefix}CPU ÷ bare app: wrk": _per_unit(figures, unit, "load generator"),
    }


def _result(
    route: Route,
    by_side: dict[str, Figures | str],
    unit: Figures,
    healthz: dict[str, Figures | str],
    label: str,
) -> Result:
    now = by_side[NOW]
    if isinstance(now, str):
        return Result(route.name, notes=[now])
    baseline = _ok(healthz[NOW])
    result = Result(
        name=route.name,
        figures={
            **_wrk_figures(now),
            "ratio to /healthz (requests/s)": now["rps"] / baseline["rps"],
            **_cpu_units(now, unit),
        },
        ratio=_per_unit(now, unit, "server"),
        ratio_name="server CPU ÷ bare app",
        target=f"<= {route.cpu_target}",
    )
    result.met = result.ratio is not None and result.ratio <= route.cpu_target
    result.met = result.met and now["status_errors"] == 0
    if route.ceiling:
        cost = now["cpu_ms"]
        result.figures["ratio ceiling (app as cheap as /healthz)"] = _ceiling(
            baseline, cost["postgres"], cost["load generator"]
        )
    other = by_side.get(OTHER)
    if isinstance(other, str):
        result.notes.append(f"{label}: {other}")
    elif other is not None:
        vs = now["rps"] / other["rps"]
        wanted = route.vs_other_target
        verdict = (
            ""
            if wanted is None
            else f" (target >= {wanted}: " + ("met)" if vs >= wanted else "NOT met)")
        )
        result.figures[f"throughput vs {label}"] = f"{vs:.2f}x{verdict}"
        result.figures.update(_wrk_figures(other, f"[{label}] "))
        result.figures.update(_cpu_units(other, unit, f"[{label}] "))
    return result


def _summary(
    routes: list[Route], measured: dict[str, dict[str, Figures | str]], unit: Figures, label: str
) -> Result:
    """One line per request: server CPU ÷ bare app (and PostgreSQL's), and against the
    other checkout when there is one."""
    figures: dict[str, Any] = {"the unit (bare app, server)": f"{unit['cpu_ms']['server']:.3f} ms"}
    for route in routes:
        now = measured[route.name][NOW]
        if isinstance(now, str):
            figures[route.name] = now
            continue
        line = (
            f"{_per_unit(now, unit, 'server'):5.1f} (target <= {route.cpu_target}; "
            f"{now['cpu_ms']['server']:.2f} ms), postgres {_per_unit(now, unit, 'postgres'):.1f}"
        )
        other = measured[route.name].get(OTHER)
        if other is not None and not isinstance(other, str):
            line += (
                f"; {label} {_per_unit(other, unit, 'server'):.1f}, throughput "
                f"{now['rps'] / other['rps']:.2f}x {label}"
            )
        figures[route.name] = line
    return Result("load: server CPU per request ÷ bare app", figures=figures)


def _replayed(figures: Figures, healthz: Figures, today: Figures, unit: Figures) -> Result:
    ceiling = _ceiling(healthz, figures["cpu_ms"]["postgres"], today["cpu_ms"]["load generator"])
    return Result(
        name="GET /kitchens/{id}/today: its SQL alone (pgbench, no target)",
        figures={
            "transactions/s": figures["tps"],
            "statements per request": figures["statements"],
            "failed": figures["failed"],
            "CPU ms/request: postgres": figures["cpu_ms"]["postgres"],
            "CPU ms/request: pgbench": figures["cpu_ms"]["load generator"],
            "CPU ÷ bare app: postgres": _per_unit(figures, unit, "postgres"),
            "PostgreSQL CPU, service ÷ replay": today["cpu_ms"]["postgres"]
            / figures["cpu_ms"]["postgres"],
            "machine busy": f"{figures['busy']:.0%}",
            "pgbench": f"{THREADS} thread, {CONNECTIONS} connections, prepared, "
            f"{replay.REQUESTS} kitchens",
            "ratio ceiling (app as cheap as /healthz, postgres as here)": ceiling,
        },
        ratio=figures["tps"] / healthz["rps"],
        ratio_name="ratio to /healthz",
        notes=[
            "the database alone, without HTTP or Python, spending the least it does on a "
            "day view; the ceiling takes the application and the database at their least"
        ],
    )


def _ceiling(baseline: Figures, postgres_ms: float, generator_ms: float) -> float:
    """The ratio a request would reach if the application's own CPU per request were what
    /healthz's is, and PostgreSQL and the load generator spent what is given.

    On a machine that both runs saturate, throughput is the cores over the CPU spent per
    request, so the ratio is the baseline's CPU per request over the request's.
    """
    base = baseline["cpu_ms"]
    return float(sum(base.values()) / (base["server"] + postgres_ms + generator_ms))
