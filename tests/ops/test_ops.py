"""Health, readiness, metrics, error shape, migrations."""

import re
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

import app.models  # noqa: F401
from app.core.config import Settings
from app.core.db import metadata
from app.main import create_app
from tests.builders import assert_problem


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_database_is_unreachable(settings: Settings) -> None:
    if settings.is_sqlite:
        broken = settings.model_copy(update={"database_url": "sqlite:////nonexistent/dir/x.db"})
    else:
        broken = settings.model_copy(
            update={
                "database_url": "postgresql+psycopg://postgres@127.0.0.1:1/none",
                "db_timeout_seconds": 1,
            }
        )
    with TestClient(create_app(broken.model_copy(update={"first_admin_username": None}))) as c:
        assert_problem(c.get("/readyz"), 503, "database_unavailable")
        assert c.get("/healthz").status_code == 200


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    client.get("/healthz")
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert 'dapur_http_requests_total{method="GET",route="/healthz",status="200"}' in resp.text
    # The pool opened at least the connection that created the first admin at start-up.
    opened = re.search(r"^dapur_db_connections_opened_total (\S+)$", resp.text, re.M)
    assert opened and float(opened.group(1)) >= 1
    assert re.search(r"^dapur_db_connections_in_use 0\.0$", resp.text, re.M)


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nowhere"), 404, "not_found")
    assert_problem(client.put("/healthz"), 405, "method_not_allowed")


def test_unhandled_error_is_500_without_internals(app: FastAPI, client: TestClient) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("SELECT secret FROM users -- stack detail")

    resp = client.get("/boom", headers={"X-Request-ID": "req-123"})
    body = assert_problem(resp, 500, "internal_error")
    assert "SELECT" not in resp.text and "Traceback" not in resp.text
    assert body["request_id"] == "req-123"
    assert resp.headers["x-request-id"] == "req-123"


def test_every_operation_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), f"{method.upper()} {path} has no summary"


def test_migrations_match_models(database_url: str) -> None:
    """Fails when a model changes without a migration (or the reverse)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_production_refuses_placeholder_secret() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key="change-me")  # type: ignore[call-arg]
    ok = Settings(_env_file=None, environment="production", secret_key="x" * 40)  # type: ignore[call-arg]
    assert ok.environment == "production"


def test_405_lists_every_method_of_the_path(client: TestClient, admin: dict[str, str]) -> None:
    """Regression (found by fuzzing): Allow named only one route's method."""
    resp = client.delete("/api/v1/users", headers=admin)
    assert_problem(resp, 405, "method_not_allowed")
    assert {m.strip() for m in resp.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}


def test_unparseable_form_body_is_422(client: TestClient) -> None:
    """Regression (found by fuzzing): FastAPI answered 400 for a body it cannot parse."""
    resp = client.post(
        "/api/v1/auth/token",
        content=b"\xff\xfe=\x00",
        headers={"Content-Type": "multipart/form-data; boundary=nothing"},
    )
    assert_problem(resp, 422, "validation_error")


def test_the_root_says_where_to_start(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.json()["docs"] == "/docs" and resp.json()["api"] == "/api/v1"


def test_the_development_secret_signs_without_a_weak_key_warning() -> None:
    import warnings

    from app.core.security import create_access_token, decode_access_token

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        token = create_access_token(
            uuid.uuid4(), token_version=1, secret=settings.secret_key, minutes=5
        )
        assert decode_access_token(token, secret=settings.secret_key) is not None
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key=settings.secret_key)  # type: ignore[call-arg]


def test_access_log_lines_carry_the_request_id(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import threading
    import time

    import httpx
    import uvicorn

    from tests.conftest import _free_port

    caplog.set_level(logging.INFO, logger="uvicorn.access")
    port = _free_port()
    # log_config=None: uvicorn leaves logging alone, so its access lines reach caplog.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        resp = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "req-a1"})
        assert resp.status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/healthz" in line and "request_id=req-a1" in line for line in lines), lines
