"""Run every benchmark against a fresh uvicorn on a synthetic nation: `make bench`.

    python -m bench.run                 # large nation (2,000 kitchens x 60 days), full runs
    python -m bench.run --smoke         # small nation, a few seconds per benchmark (< 2 min
                                        # once the small nation exists)
    python -m bench.run --only demand   # one benchmark
    python -m bench.run --only load --against [REV_OR_PATH]
                                        # the load benchmark, this code against v1 (or the
                                        # given git revision or checkout), back to back

The database comes from BENCH_DATABASE_URL (default: postgresql+psycopg://postgres@127.0.0.1
:5432/dapur_bench, or dapur_bench_small with --smoke). It is created and migrated when
missing and the nation is generated when it holds no kitchen. The server is uvicorn with
fixed settings (two workers, no access log) on a free local port, stopped at the end.
A revision given to --against is checked out once as a detached git worktree in the
temporary directory (never inside this work tree) and served with this environment.
Every benchmark prints its figures and its ratio to a baseline measured in the same run;
nothing here asserts a time.
"""

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import costs, dashboard, demand, export, load, planning, trace
from bench.common import ADMIN_PASSWORD, ADMIN_USERNAME, ROOT, Context, Result, serve

BENCHMARKS = {
    "demand": demand.run,
    "load": load.run,
    "export": export.run,
    "dashboard": dashboard.run,
    "trace": trace.run,
    "costs": costs.run,
    "planning": planning.run,
}
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dapur_bench"
SERVER_SETTINGS = {"jit": "off", "random_page_cost": "1.1"}


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def ensure_database(url: str) -> None:
    """Create the database when it does not exist, then migrate it to head."""
    name = psycopg.conninfo.conninfo_to_dict(_libpq(url))["dbname"]
    server = psycopg.conninfo.make_conninfo(_libpq(url), dbname="postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            print(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
        # The server settings docs/performance.md recommends for Dapur (SSD, OLTP with
        # reports): JIT compiles for seconds to save milliseconds on these queries, and
        # random reads cost about what sequential ones do on an SSD with a warm cache.
        for setting, value in SERVER_SETTINGS.items():
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(str(name)), sql.Identifier(setting), sql.Literal(value)
                )
            )
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True
    )


def ensure_nation(url: str, size: str) -> str:
    """Generate the nation when the database has no kitchen; returns its last counted day."""
    with psycopg.connect(_libpq(url)) as conn:
        (kitchens,) = conn.execute("SELECT count(*) FROM kitchens").fetchone() or (0,)
    env = {**os.environ, "DATABASE_URL": url}
    if kitchens == 0:
        print(f"generating the {size} nation (once; later runs reuse it)")
        subprocess.run(
            [sys.executable, "-m", "app", "generate", "--size", size], cwd=ROOT, env=env, check=True
        )
    subprocess.run(
        [sys.executable, "-m", "app", "create-admin", ADMIN_USERNAME, "--password", ADMIN_PASSWORD],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(
            "SELECT max(service_date), count(DISTINCT kitchen_id) FROM meal_count_days"
        ).fetchone()
    assert row is not None and row[0] is not None
    print(f"nation: {row[1]:,} kitchens, counts up to {row[0]}")
    return str(row[0])


def ensure_prices(url: str) -> None:
    """Load the shipped national price list when the nation has no prices, so that costs
    and the value of demand are computed, not all unknown (docs/costs.md)."""
    with psycopg.connect(_libpq(url)) as conn:
        (prices,) = conn.execute("SELECT count(*) FROM food_prices").fetchone() or (0,)
    if prices == 0:
        print("loading the reference price list (once; later runs reuse it)")
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "-m", "app", "import-prices", "app/prices/data/reference_prices.csv"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip


V1 = "c758ace"  # the service as v1 left it: the default of --against


def checkout(ref_or_path: str) -> tuple[Path, str]:
    """A checkout of the service to serve beside this one, and how to name it.

    A directory is used as it is; anything else is a git revision of this repository,
    checked out once (a detached git worktree under the temporary directory, outside this
    work tree) and reused by later runs.
    """
    given = Path(ref_or_path)
    if given.is_dir():
        return given.resolve(), str(given)

    def git(*args: str, cwd: Path = ROOT) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
        ).stdout.strip()

    commit = git("rev-parse", "--verify", f"{ref_or_path}^{{commit}}")
    path = Path(tempfile.gettempdir()) / f"dapur-bench-{commit[:12]}"
    if not (path.is_dir() and git("rev-parse", "HEAD", cwd=path) == commit):
        print(f"checking out {commit[:12]} into {path}")
        git("worktree", "add", "--force", "--detach", str(path), commit)
    return path, commit[:12]


def _imports_from(path: Path) -> None:
    """Fail early unless a server started in `path` would import that checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(path)}
    found = subprocess.run(
        [sys.executable, "-c", "import app; print(app.__file__)"],
        cwd=path, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    if not Path(found).resolve().is_relative_to(path):
        raise SystemExit(f"{path} would serve {found}, not its own code")


def machine() -> dict[str, Any]:
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    with psycopg.connect(_libpq(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": row[0] if row else "?",
        "kernel": platform.release(),
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="small nation, a few seconds each")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--against",
        nargs="?",
        const=V1,
        metavar="REV_OR_PATH",
        help=f"load benchmark: also serve this git revision (default {V1}, v1) or checkout "
        "directory, route by route right after this code, and compare",
    )
    args = parser.parse_args()
    size = "small" if args.smoke else "large"
    url = os.environ.get("BENCH_DATABASE_URL") or (DEFAULT_URL + ("_small" if args.smoke else ""))
    os.environ["BENCH_DATABASE_URL"] = url
    ensure_database(url)
    anchor = ensure_nation(url, size)
    ensure_prices(url)
    against, label = checkout(args.against) if args.against else (None, "")
    if against is not None:
        _imports_from(against)
    secret = secrets.token_urlsafe(48)
    results: list[Result] = []
    with serve("app.main:app", database_url=url, secret_key=secret) as server:
        ctx = Context(
            base_url=server.base_url,
            database_url=url,
            server_pid=server.pid,
            smoke=args.smoke,
            anchor=anchor,
            secret_key=secret,
            against=against,
            against_label=label,
        )
        for name in args.only or list(BENCHMARKS):
            started = time.monotonic()
            for result in BENCHMARKS[name](ctx):
                result.show()
                results.append(result)
            print(f"   ({name}: {time.monotonic() - started:.0f} s)")
    info = machine()
    print("\n== summary", json.dumps(info))
    for r in results:
        if r.ratio is not None:
            print(f"   {r.name:<62} {r.ratio_name} {r.ratio:7.3f}  {r.verdict()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "at": datetime.now(UTC).isoformat(),
                    "size": size,
                    "machine": info,
                    "results": [r.__dict__ for r in results],
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
