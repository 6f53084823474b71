"""Backups made the way docs/operations.md says, restored into a new database, served again."""

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.main import create_app
from tests.builders import bearer, make_kitchen, make_school, make_user
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, _pg_exec, alembic_upgrade


def _data_through_the_api(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    kitchen = make_kitchen(client, admin, region_code="32.73.01")
    school = make_school(client, admin, kitchen["id"], enrolment={"7-9": 123})
    manager, _ = make_user(client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]])
    return {"kitchen": kitchen, "school": school, "manager": manager}


def _assert_served(settings: Settings, url: str, data: dict[str, Any]) -> None:
    """The restored database, migrated to head (a no-op), serves the same data."""
    alembic_upgrade(url)
    restored = settings.model_copy(update={"database_url": url, "first_admin_username": None})
    with TestClient(create_app(restored), raise_server_exceptions=False) as c:
        login = c.post(
            "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        admin = bearer(login.json()["access_token"])
        kitchen = data["kitchen"]
        assert c.get(f"/api/v1/kitchens/{kitchen['id']}", headers=admin).json() == kitchen
        assert (
            c.get(f"/api/v1/schools/{data['school']['id']}", headers=admin).json()
            == (data["school"])
        )
        assert (
            c.get(f"/api/v1/users/{data['manager']['id']}", headers=admin).json()
            == (data["manager"])
        )
        events = c.get(
            "/api/v1/audit-events", params={"resource_id": kitchen["id"]}, headers=admin
        ).json()["items"]
        assert [e["action"] for e in events] == ["create"]
        # The copy is a working database, not a read-only snapshot.
        assert (
            c.post(
                "/api/v1/kitchens",
                json={"code": "K-after-restore", "name": "n", "region_code": "32"},
                headers=admin,
            ).status_code
            == 201
        )


def test_sqlite_online_backup_restores(
    client: TestClient, admin: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite backup; the PostgreSQL one is below")
    data = _data_through_the_api(client, admin)
    source = make_url(settings.database_url).database
    assert source
    # Python's online backup API, while the service has the database open.
    copy = tmp_path / "backup-api.db"
    src, dst = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    _assert_served(settings, f"sqlite:///{copy}", data)
    # The sqlite3 shell's .backup, as the operations guide shows it.
    if shutil.which("sqlite3"):
        shell_copy = tmp_path / "backup-shell.db"
        subprocess.run(["sqlite3", source, f".backup '{shell_copy}'"], check=True)
        _assert_served(settings, f"sqlite:///{shell_copy}", data)


@pytest.mark.postgres_only
def test_postgres_dump_restores_into_a_new_database(
    client: TestClient, admin: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not on PATH")
    data = _data_through_the_api(client, admin)
    url = make_url(settings.database_url)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = tmp_path / "dapur.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq], check=True)
    target = f"{url.database}_restored"
    _pg_exec(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    _pg_exec(f'CREATE DATABASE "{target}"')
    try:
        target_url = url.set(database=target)
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                target_url.set(drivername="postgresql").render_as_string(hide_password=False),
                str(dump),
            ],
            check=True,
        )
        _assert_served(settings, target_url.render_as_string(hide_password=False), data)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
