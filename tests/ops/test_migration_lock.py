"""Replicas that start together: concurrent `alembic upgrade head` runs queue on PostgreSQL."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import app.models  # noqa: F401
from app.core.db import metadata
from tests.conftest import PG_URL, ROOT, _pg_exec, _pg_url_for

# The key migrations/env.py locks: the bytes of "dapurmig" (documented in docs/operations.md).
MIGRATION_LOCK_KEY = int.from_bytes(b"dapurmig", "big")


def _upgrade(url: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head"],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: int(conn.scalar(text(f'SELECT count(*) FROM "{table.name}"')) or 0)
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_concurrent_upgrades_queue_and_leave_one_schema(template_db: str, tmp_path: Path) -> None:
    name = f"{make_url(PG_URL).database}_migrate_{os.getpid()}"
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_exec(f'CREATE DATABASE "{name}"')
    url = _pg_url_for(name)
    holder = create_engine(url, isolation_level="AUTOCOMMIT")
    runs: list[subprocess.Popen[str]] = []
    try:
        with holder.connect() as conn:
            # Hold the lock, start both upgrades, and wait until both queue behind it: they
            # then start from the same moment, as replicas of one deployment would.
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            runs = [_upgrade(url, tmp_path), _upgrade(url, tmp_path)]
            deadline = time.monotonic() + 60
            waiting = 0
            while waiting < 2:
                assert time.monotonic() < deadline, "the upgrades never waited for the lock"
                assert all(run.poll() is None for run in runs), "an upgrade ended unlocked"
                time.sleep(0.1)
                waiting = int(
                    conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_locks l JOIN pg_database d "
                            "ON d.oid = l.database WHERE l.locktype = 'advisory' "
                            "AND NOT l.granted AND d.datname = current_database()"
                        )
                    )
                    or 0
                )
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], "\n".join(outputs)
        # One of them ran the migrations; the other found the database at head.
        assert sum("Running upgrade" in out for out in outputs) == 1, "\n".join(outputs)

        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
                diff = compare_metadata(
                    MigrationContext.configure(conn, opts={"compare_type": True}), metadata
                )
        finally:
            engine.dispose()
        heads = ScriptDirectory(str(ROOT / "migrations")).get_heads()
        assert [v for (v,) in versions] == heads
        assert diff == []
        # Reference data was loaded once: the same rows as a database migrated alone.
        assert _row_counts(url) == _row_counts(_pg_url_for(template_db))
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
        holder.dispose()
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
