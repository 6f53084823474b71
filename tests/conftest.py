"""Test harness: every test gets a fresh database built by `alembic upgrade head`.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test). The schema is migrated once per run
into a template; each test then gets a copy (a file copy on SQLite, CREATE DATABASE ...
TEMPLATE on PostgreSQL), so tests are isolated, may commit, and may run concurrent
requests against a real server.
"""

import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.main import create_app
from tests.problem_codes import CodeRecorder, save

pytest_plugins = ["tests.problem_codes"]

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TEST_DATABASE_URL")
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"
SECRET = "test-secret-key-0123456789abcdef0123456789"
_counter = itertools.count()


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + make_url(PG_URL).database if PG_URL else 'SQLite'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def alembic_upgrade(url: str) -> None:
    """Build the whole schema and reference data the way operators do."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def _pg_admin_url() -> str:
    assert PG_URL
    return PG_URL


def _pg_exec(sql: str) -> None:
    engine = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _pg_url_for(dbname: str) -> str:
    return make_url(_pg_admin_url()).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to copy for each test: a file path or a PostgreSQL database name."""
    if PG_URL:
        base = make_url(PG_URL).database or "test"
        name = f"{base}_tmpl_{os.getpid()}"
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_exec(f'CREATE DATABASE "{name}"')
        alembic_upgrade(_pg_url_for(name))
        yield name
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        alembic_upgrade(f"sqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the migrated database for this test."""
    if PG_URL:
        name = f"{template_db.rsplit('_tmpl_', 1)[0]}_{os.getpid()}_{next(_counter)}"
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        yield _pg_url_for(name)
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "dapur.db"
        shutil.copyfile(template_db, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=database_url,
        secret_key=SECRET,
        first_admin_username=ADMIN_USERNAME,
        first_admin_password=ADMIN_PASSWORD,
        access_token_minutes=30,
        db_timeout_seconds=5,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def recorded(app: FastAPI) -> Iterator[CodeRecorder]:
    """The app, noting every problem code it answers (tests/problem_codes.py)."""
    recorder = CodeRecorder(app)
    yield recorder
    save(recorder)


@pytest.fixture
def client(app: FastAPI, recorded: CodeRecorder) -> Iterator[TestClient]:
    """An HTTP client for the app (startup runs, so the first admin exists)."""
    with TestClient(recorded, raise_server_exceptions=False) as c:  # type: ignore[arg-type]
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    """Headers of the first admin, logged in through /auth/token."""
    resp = client.post(
        "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Serve `app` with a real uvicorn on a free port: (base URL, server, thread)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture
def live_server(recorded: CodeRecorder) -> Iterator[str]:
    """The app served by a real uvicorn on a free local port, for concurrency tests."""
    url, server, thread = serve(recorded)  # type: ignore[arg-type]
    yield url
    server.should_exit = True
    thread.join(timeout=10)
