"""`seed-demo`: the demo world, made through the async services, read back through the API."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.core.localtime import local_today
from app.demo import AGRICULTURE_KEY, HEALTH_KEY, MANAGER
from tests.builders.reports import DEMAND, HEALTH, get_rows


@pytest.fixture
def seed_demo(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner of the CLI against this test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _seed(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data ready" in result.output


def test_demo_world_reads_back_and_seeding_twice_changes_nothing(
    seed_demo: CliRunner, client: TestClient
) -> None:
    _seed(seed_demo)
    today = local_today("Asia/Jakarta")
    window = {"from": (today - timedelta(days=14)).isoformat(), "to": today.isoformat()}
    health = {"X-API-Key": HEALTH_KEY}
    nutrition = get_rows(client, f"{HEALTH}/nutrition", health, **window)
    checks = get_rows(client, f"{HEALTH}/food-safety", health, **window)
    counts = get_rows(client, f"{HEALTH}/meal-counts", health, **window)
    demand = get_rows(client, DEMAND, {"X-API-Key": AGRICULTURE_KEY}, period="week", **window)
    assert nutrition and counts and demand
    assert {r["kitchen_code"] for r in nutrition} == {"SPPG-3273-001"}
    # One check a past school day; one of them dispatched late, so the office sees a flag.
    assert len(checks) == len({r["service_date"] for r in nutrition})
    assert [r["flags"] for r in checks if r["flags"]] == [["dispatch_over_4h"]]
    login = client.post("/api/v1/auth/token", data={"username": MANAGER[0], "password": MANAGER[1]})
    assert login.status_code == 200, login.text

    _seed(seed_demo)
    assert get_rows(client, f"{HEALTH}/nutrition", health, **window) == nutrition
    assert get_rows(client, f"{HEALTH}/food-safety", health, **window) == checks


def test_demo_world_has_deliveries_certificates_and_an_incident(
    seed_demo: CliRunner, client: TestClient
) -> None:
    _seed(seed_demo)
    today = local_today("Asia/Jakarta")
    window = {"from": (today - timedelta(days=14)).isoformat(), "to": today.isoformat()}
    health = {"X-API-Key": HEALTH_KEY}
    deliveries = get_rows(client, f"{HEALTH}/deliveries", health, **window)
    assert deliveries and {r["kitchen_code"] for r in deliveries} == {"SPPG-3273-001"}
    flagged = {flag for r in deliveries for flag in r["flags"]}
    assert {"over_4h", "over_6h", "short_delivery"} <= flagged
    assert sum(1 for r in deliveries if r["flags"]) <= 6  # most lunches are on time
    kitchens = get_rows(client, f"{HEALTH}/kitchens", health)
    assert [(k["kitchen_code"], k["hygiene_status"]) for k in kitchens] == [
        ("SPPG-3273-002", "expired"),
        ("SPPG-3273-001", "expiring"),
    ]
    (incident,) = client.get("/api/v1/incidents", headers=health).json()["items"]
    trace = client.get(f"/api/v1/incidents/{incident['id']}/trace", headers=health).json()
    assert trace["deliveries"][0]["flags"] == ["over_4h", "over_6h"]
    assert trace["menus"] and trace["at_risk_schools"]

    _seed(seed_demo)
    assert get_rows(client, f"{HEALTH}/deliveries", health, **window) == deliveries
