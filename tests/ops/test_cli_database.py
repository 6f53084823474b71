"""The operator CLI, run as operators run it (a subprocess), on databases that are not ready.

Every command on a missing, empty or unmigrated database prints one line that names the
database and says to run `alembic upgrade head`, exits non-zero and creates nothing;
`seed-demo` refuses to plant its published logins when ENVIRONMENT=production.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from app.auth.models import ApiKey, User
from tests.conftest import PG_URL, _pg_exec, _pg_url_for

STRONG_SECRET = "cli-test-secret-0123456789abcdef0123456789"


def run_cli(args: list[str], database_url: str, cwd: Path, **env: str) -> tuple[int, list[str]]:
    """`python -m app ARGS` with only the given settings: (exit code, non-empty output lines)."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd,  # no stray .env is read
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return done.returncode, lines


def commands(tmp_path: Path) -> list[list[str]]:
    """Every operator command, with arguments that would otherwise be valid."""
    csv = tmp_path / "foods.csv"
    csv.write_text("kode,nama\n", encoding="utf-8")
    return [
        ["seed-demo"],
        ["create-admin", "ops-admin", "--password", "ops-admin-password"],
        ["generate", "--size", "small", "--kitchens", "1", "--days", "1"],
        ["import-tkpi", str(csv)],
    ]


COMMAND_NAMES = ["seed-demo", "create-admin", "generate", "import-tkpi"]


def assert_one_line_hint(rc: int, lines: list[str], database: str) -> None:
    assert rc != 0, lines
    assert len(lines) == 1, "\n".join(lines)
    assert "alembic upgrade head" in lines[0]
    assert database in lines[0]
    assert "Traceback" not in lines[0]


@pytest.mark.parametrize("index", range(4), ids=COMMAND_NAMES)
def test_missing_sqlite_file_gets_one_line_and_is_not_created(tmp_path: Path, index: int) -> None:
    db = tmp_path / "dapur.db"
    rc, lines = run_cli(commands(tmp_path)[index], f"sqlite:///{db}", tmp_path)
    assert_one_line_hint(rc, lines, str(db))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foods.csv"]


@pytest.mark.parametrize("index", range(4), ids=COMMAND_NAMES)
def test_unmigrated_sqlite_file_gets_one_line_and_stays_as_it_was(
    tmp_path: Path, index: int
) -> None:
    db = tmp_path / "dapur.db"
    db.touch()  # what an earlier version of the CLI left behind
    rc, lines = run_cli(commands(tmp_path)[index], f"sqlite:///{db}", tmp_path)
    assert_one_line_hint(rc, lines, str(db))
    assert db.stat().st_size == 0


@pytest.mark.postgres_only
def test_unmigrated_postgres_database_gets_one_line_without_its_password(tmp_path: Path) -> None:
    name = f"{make_url(PG_URL).database}_cli_{os.getpid()}"
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_exec(f'CREATE DATABASE "{name}"')
    try:
        # The server trusts local connections, so a password in the URL is sent to no one;
        # it is there to be hidden.
        url = make_url(_pg_url_for(name)).set(password="not-to-be-printed")
        shown = url.render_as_string(hide_password=True)
        for args in commands(tmp_path):
            rc, lines = run_cli(args, url.render_as_string(hide_password=False), tmp_path)
            assert_one_line_hint(rc, lines, shown)
            assert "not-to-be-printed" not in lines[0]
        engine = create_engine(_pg_url_for(name))
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _demo_rows(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            users = conn.scalar(select(func.count()).select_from(User))
            keys = conn.scalar(select(func.count()).select_from(ApiKey))
            return int(users or 0), int(keys or 0)
    finally:
        engine.dispose()


def test_seed_demo_refuses_production_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    before = _demo_rows(database_url)
    rc, lines = run_cli(
        ["seed-demo"],
        database_url,
        tmp_path,
        ENVIRONMENT="production",
        SECRET_KEY=STRONG_SECRET,
    )
    assert rc != 0, lines
    assert len(lines) == 1 and "ENVIRONMENT=production" in lines[0], lines
    assert _demo_rows(database_url) == before

    # The same database and command outside production plant the demo: the refusal above
    # is the environment's doing, not a broken set-up.
    rc, lines = run_cli(["seed-demo"], database_url, tmp_path, SECRET_KEY=STRONG_SECRET)
    assert rc == 0, lines
    users, keys = _demo_rows(database_url)
    assert users > before[0] and keys > before[1]


def test_the_app_never_imports_the_demo(tmp_path: Path) -> None:
    probe = "import sys, app.main; sys.exit(3 if 'app.demo' in sys.modules else 0)"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dapur.db'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_database_problem_reports_a_migrated_database_as_ready(database_url: str) -> None:
    from app.cli import database_problem

    assert database_problem(database_url) is None
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    finally:
        engine.dispose()
    problem = database_problem(database_url)
    assert problem and "revision 0001" in problem and "alembic upgrade head" in problem
