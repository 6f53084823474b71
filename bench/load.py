"""Throughput and latency under concurrent load, measured with wrk.

GET /kitchens/{id}/today and PUT /kitchens/{id}/meal-counts/{date} spread over many kitchens,
each request signed by that kitchen's own manager, against the service's /healthz served by
the same uvicorn in the same run. Targets: today >= 0.4 and PUT >= 0.25 of /healthz's
requests per second.

Why wrk: it is a C load generator with an event loop, so on a two-core machine it drives
thousands of requests a second from one thread and leaves the other core to the server;
a Python generator (locust) would need more CPU than the server it is measuring. Lua
scripts give each request its own path, token and body.
"""

import json
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench import replay
from bench.common import WORKERS, Context, CpuAccount, Result, manager_headers

HERE = Path(__file__).parent
KITCHENS = 40
CONNECTIONS = 32
THREADS = 1
# A run counts when no server process did more than BALANCED / WORKERS of the server's CPU.
BALANCED = 1.5
ATTEMPTS = 5
# (method, path, Authorization header or '', body or None)
WrkRequest = tuple[str, str, str, str | None]


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def _script(requests: list[WrkRequest]) -> str:
    """A wrk script cycling through (method, path, token, body) requests."""

    def row(method: str, path: str, token: str, body: str | None) -> str:
        fields = [_lua_string(method), _lua_string(path), _lua_string(token)]
        return "{" + ", ".join([*fields, _lua_string(body) if body else "nil"]) + "}"

    rows = ",\n".join(row(*r) for r in requests)
    return (
        f"local reqs = {{\n{rows}\n}}\n"
        "local i = math.random(#reqs)\n"
        "request = function()\n"
        "  i = i % #reqs + 1\n"
        "  local r = reqs[i]\n"
        "  local headers = {}\n"
        "  if r[3] ~= '' then headers['Authorization'] = r[3] end\n"
        "  if r[4] then headers['Content-Type'] = 'application/json' end\n"
        "  return wrk.format(r[1], r[2], headers, r[4])\n"
        "end\n" + (HERE / "wrk" / "report.lua").read_text()
    )


def wrk(ctx: Context, requests: list[WrkRequest], seconds: int) -> dict[str, Any]:
    """Run wrk with the requests until the load spreads over the workers; its figures.

    wrk opens its connections at once, and one uvicorn worker often accepts all of them
    before the other wakes: about every other run, seen here. Such a run measures half
    the server, so it is run again (up to ATTEMPTS times); `attempts` says how many it took.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_script(requests))
    try:
        for attempt in range(1, ATTEMPTS + 1):
            figures = _wrk_once(ctx, f.name, seconds)
            figures["attempts"] = attempt
            if figures["workers"][0] <= BALANCED / WORKERS:
                break
    finally:
        Path(f.name).unlink()
    return figures


def _wrk_once(ctx: Context, script: str, seconds: int) -> dict[str, Any]:
    with CpuAccount(ctx.server_pid) as cpu:
        out = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
             "-s", script, ctx.base_url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
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

    healthz = wrk(ctx, [("GET", "/healthz", "", None)], seconds)
    results = [_result("GET /healthz (baseline)", healthz, None, None)]

    # Not a target: the cheapest authenticated read (the caller and one kitchen by key).
    # Its ratio is the floor every authenticated, database-backed request starts from.
    floor = wrk(
        ctx,
        [("GET", f"/api/v1/kitchens/{k}", tokens[k], None) for k, _, _ in kitchens],
        seconds,
    )
    results.append(_result("GET /kitchens/{id} (floor, no target)", floor, healthz, None))

    if probe.status_code == 200:
        today = wrk(
            ctx,
            [
                ("GET", f"/api/v1/kitchens/{k}/today?date={day}", tokens[k], None)
                for k, _, _ in kitchens
            ],
            seconds,
        )
        results.append(_result("GET /kitchens/{id}/today", today, healthz, 0.4))
    else:
        results.append(
            Result(
                "GET /kitchens/{id}/today",
                notes=[f"not measured: the endpoint answers {probe.status_code} on this build"],
            )
        )

    puts: list[WrkRequest] = []
    for kitchen_id, _, pairs in kitchens:
        body = json.dumps({"counts": [{"school_id": s, "target_group": g} for s, g in pairs]})
        puts.append(
            ("PUT", f"/api/v1/kitchens/{kitchen_id}/meal-counts/{day}", tokens[kitchen_id], body)
        )
    put = wrk(ctx, puts, seconds)
    results.append(_result("PUT /kitchens/{id}/meal-counts/{date}", put, healthz, 0.25))

    if probe.status_code == 200 and replayed is not None:
        results.append(_replayed(replayed, healthz, today))
    return results


def _replayed(figures: dict[str, Any], healthz: dict[str, Any], today: dict[str, Any]) -> Result:
    ceiling = _ceiling(healthz, figures["cpu_ms"]["postgres"], today["cpu_ms"]["load generator"])
    return Result(
        name="GET /kitchens/{id}/today: its SQL alone (pgbench, no target)",
        figures={
            "transactions/s": figures["tps"],
            "statements per request": figures["statements"],
            "failed": figures["failed"],
            "CPU ms/request: postgres": figures["cpu_ms"]["postgres"],
            "CPU ms/request: pgbench": figures["cpu_ms"]["load generator"],
            "machine busy": f"{figures['busy']:.0%}",
            "pgbench": f"{THREADS} thread, {CONNECTIONS} connections, prepared, "
            f"{replay.REQUESTS} kitchens",
            "ratio ceiling (app as cheap as /healthz, postgres as here)": ceiling,
        },
        ratio=figures["tps"] / healthz["rps"],
        notes=[
            "the database alone, without HTTP or Python, spending the least it does on a "
            "day view; the ceiling takes the application and the database at their least"
        ],
    )


def _result(
    name: str, figures: dict[str, Any], baseline: dict[str, Any] | None, target: float | None
) -> Result:
    result = Result(
        name=name,
        figures={
            "requests/s": figures["rps"],
            "p50 ms": figures["p50_us"] / 1000,
            "p90 ms": figures["p90_us"] / 1000,
            "p99 ms": figures["p99_us"] / 1000,
            "max ms": figures["max_us"] / 1000,
            "requests": figures["requests"],
            "non-2xx/3xx": figures["status_errors"],
            "socket errors": figures["socket_errors"],
            "wrk": f"{THREADS} thread, {CONNECTIONS} connections",
            "CPU ms/request: server": figures["cpu_ms"]["server"],
            "CPU ms/request: postgres": figures["cpu_ms"]["postgres"],
            "CPU ms/request: wrk": figures["cpu_ms"]["load generator"],
            "machine busy": f"{figures['busy']:.0%}",
            "server CPU by process": " / ".join(f"{w:.0%}" for w in figures["workers"] if w),
            "runs (until the workers shared the load)": figures["attempts"],
        },
    )
    if baseline is not None:
        result.ratio = figures["rps"] / baseline["rps"]
    if baseline is not None and target is not None:
        cost = figures["cpu_ms"]
        ceiling = _ceiling(baseline, cost["postgres"], cost["load generator"])
        result.figures["ratio ceiling (app as cheap as /healthz)"] = ceiling
        if ceiling < target:
            result.notes.append(
                f"even an application costing no more CPU than /healthz would reach only "
                f"{ceiling:.2f} here: PostgreSQL's and wrk's CPU for this request leave no room "
                f"for {target} on this machine"
            )
    if baseline is not None and target is not None:
        result.target = f">= {target}"
        result.met = result.ratio is not None and result.ratio >= target
        result.met = result.met and figures["status_errors"] == 0
    return result


def _ceiling(baseline: dict[str, Any], postgres_ms: float, generator_ms: float) -> float:
    """The ratio a request would reach if the application's own CPU per request were what
    /healthz's is, and PostgreSQL and the load generator spent what is given.

    On a machine that both runs saturate, throughput is the cores over the CPU spent per
    request, so the ratio is the baseline's CPU per request over the request's.
    """
    base = baseline["cpu_ms"]
    return float(sum(base.values()) / (base["server"] + postgres_ms + generator_ms))
