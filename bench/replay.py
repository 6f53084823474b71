"""The database's share of a read, alone: its statements replayed by pgbench.

Each request is sent once to the application in this process, which records every SQL
statement it sends (with its parameters, as literals). pgbench, a C client with no HTTP and
no Python in the way, then replays those statements at the same concurrency as wrk, each
request's statements one pgbench transaction, prepared once per pgbench connection
(`-M prepared`) as psycopg prepares the application's after a few uses. What PostgreSQL
spends per transaction there is the least it spends on such a request on this machine.

Only reads are replayed, and only a few requests' worth (REQUESTS): pgbench prepares each
script's statements anew on each connection, so many distinct scripts would measure
preparation, not execution. (The application's statements carry parameters and are
prepared once for all kitchens; literals cannot be.) Writes are left out for the same
reason, and because a few kitchens' writes would queue on each other's locks. The
replay also leaves out the pool's liveness pings.
"""

import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from app.synthetic.generator import MANAGER_PASSWORD
from bench.common import Context, CpuAccount

REQUESTS = 4


def available() -> bool:
    return shutil.which("pgbench") is not None


def record(ctx: Context, reads: list[tuple[str, str]]) -> list[str]:
    """One pgbench script per (path, kitchen code): the statements the application sent
    for a GET of the path signed by that kitchen's manager."""
    settings = Settings(
        _env_file=None,
        environment="production",
        database_url=ctx.database_url,
        secret_key=secrets.token_urlsafe(48),
        log_level="WARNING",
    )
    seen: list[str] = []
    scripts = []
    with psycopg.connect(ctx.libpq_url) as conn, TestClient(create_app(settings)) as client:
        literal = psycopg.ClientCursor(conn)

        def keep(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
            for one in params if many else [params]:
                seen.append(_inline(literal, statement, one) if one else statement)

        tokens: dict[str, str] = {}
        for path, code in reads:
            if code not in tokens:
                form = {"username": code.lower(), "password": MANAGER_PASSWORD}
                token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
                tokens[code] = f"Bearer {token}"
            headers = {"Authorization": tokens[code]}
            seen.clear()
            event.listen(Engine, "before_cursor_execute", keep)
            try:
                resp = client.get(path, headers=headers)
            finally:
                event.remove(Engine, "before_cursor_execute", keep)
            resp.raise_for_status()
            # Reads run in autocommit in the application too: one statement, one transaction.
            scripts.append("".join(" ".join(s.split()) + ";\n" for s in seen))
    return scripts


_POSITIONAL = re.compile(r"\$(\d+)")


def _inline(literal: Any, statement: str, params: Any) -> str:
    """The statement with its parameters written in, for psycopg's (`%(name)s`, `%s`) and
    asyncpg's (`$1`) placeholders alike."""
    if isinstance(params, tuple | list) and _POSITIONAL.search(statement):
        values = [literal.mogrify("%s", (value,)) for value in params]
        return _POSITIONAL.sub(lambda m: values[int(m.group(1)) - 1], statement)
    return str(literal.mogrify(statement, params))


def pgbench(ctx: Context, scripts: list[str], *, clients: int, seconds: int) -> dict[str, Any]:
    """Replay the scripts with pgbench; transactions per second and CPU per transaction."""
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, script in enumerate(scripts):
            path = Path(folder) / f"request-{i:03d}.sql"
            path.write_text(script)
            files += ["-f", str(path)]
        with CpuAccount(ctx.server_pid, ctx.server.database) as cpu:
            out = subprocess.run(
                ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "1",
                 "-T", str(seconds), *files, ctx.libpq_url],
                capture_output=True, text=True,
            )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr.strip()[-2000:]}")
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    assert done and tps, out.stdout
    transactions = int(done.group(1))
    return {
        "tps": float(tps.group(1)),
        "transactions": transactions,
        "failed": int(failed.group(1)) if failed else 0,
        "statements": sum(s.count(";\n") for s in scripts) / len(scripts),
        "cpu_ms": {k: 1000 * v / transactions for k, v in cpu.seconds.items()},
        "busy": cpu.busy,
    }
