"""The synthetic nation generator, checked through the API it feeds.

A tiny nation (3 kitchens, 9 past days) keeps this fast on both databases; `make bench`
builds the real sizes.
"""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.db import make_engine
from app.synthetic.generator import (
    FUTURE_DAYS,
    MANAGER_PASSWORD,
    SCHOOLS_PER_KITCHEN,
    GeneratorError,
    Plan,
    generate,
)
from app.synthetic.geography import PROVINCES, allocate_kitchens
from tests.builders import Headers, bearer, list_all

TODAY = date(2026, 11, 25)  # a Wednesday
# Every kitchen gets an incident, so the incident rows are exercised too.
PLAN = Plan(kitchens=3, days=9, seed=7, today=TODAY, incident_share=1.0)


def _school_days(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [d for d in days if d.weekday() != 6]  # Monday to Saturday


@pytest.fixture
def nation(settings: Settings, client: TestClient) -> dict[str, int]:
    engine = make_engine(settings)
    try:
        return generate(engine, PLAN)
    finally:
        engine.dispose()


def test_allocation_follows_population_and_covers_every_province() -> None:
    provinces = allocate_kitchens(2000)
    assert len(provinces) == 2000
    by_code = {p.code: provinces.count(p) for p in PROVINCES}
    assert min(by_code.values()) >= 1
    assert by_code["32"] == max(by_code.values())  # Jawa Barat, the most populous
    assert len(allocate_kitchens(3)) == 3


def test_generated_nation_reads_back_through_the_api(
    nation: dict[str, int], client: TestClient, admin: Headers
) -> None:
    kitchens = list_all(client, "/api/v1/kitchens", admin, limit=100)
    assert len(kitchens) == PLAN.kitchens == nation["kitchens"]
    past = _school_days(TODAY - timedelta(days=PLAN.days), TODAY - timedelta(days=1))
    every = _school_days(TODAY - timedelta(days=PLAN.days), TODAY + timedelta(days=FUTURE_DAYS))
    assert nation["menus"] == PLAN.kitchens * len(every)
    for kitchen in kitchens:
        zone = kitchen["timezone"]
        province = kitchen["region_code"][:2]
        expected = next(p.timezone for p in PROVINCES if p.code == province)
        assert zone == expected
        schools = list_all(client, f"/api/v1/kitchens/{kitchen['id']}/schools", admin, limit=100)
        assert len(schools) == SCHOOLS_PER_KITCHEN
        menus = list_all(client, f"/api/v1/kitchens/{kitchen['id']}/menus", admin, limit=100)
        assert sorted(m["service_date"] for m in menus) == [d.isoformat() for d in every]
        assert {m["status"] for m in menus if m["service_date"] > TODAY.isoformat()} == {"draft"}
        assert {m["status"] for m in menus if m["service_date"] <= TODAY.isoformat()} == {
            "approved"
        }
        counts = client.get(
            f"/api/v1/kitchens/{kitchen['id']}/meal-counts",
            params={"from": past[0].isoformat(), "to": TODAY.isoformat()},
            headers=admin,
        )
        assert counts.status_code == 200, counts.text
        days = counts.json()["items"]
        # Every past school day is reported but for the odd missed one; today is planned.
        assert len(past) - 2 <= len(days) - 1 <= len(past)
        assert days[0]["service_date"] == TODAY.isoformat()
        assert days[0]["totals"]["served"] == 0 or days[0]["totals"]["served"] is None
        enrolled = sum(sum(s["enrolment"].values()) for s in schools)
        assert days[0]["totals"]["planned"] == enrolled
        for day in days[1:]:
            totals = day["totals"]
            assert totals["planned"] == enrolled
            assert totals["returned"] <= totals["served"] <= totals["prepared"]
            for row in day["counts"]:
                assert row["returned"] <= row["served"] <= row["prepared"]


def test_stored_approval_check_is_what_the_service_computes(
    nation: dict[str, int], client: TestClient, admin: Headers
) -> None:
    kitchen = list_all(client, "/api/v1/kitchens", admin, limit=100)[0]
    menus = list_all(client, f"/api/v1/kitchens/{kitchen['id']}/menus", admin, limit=100)
    approved = [m for m in menus if m["status"] == "approved"]
    assert approved
    sunday = TODAY - timedelta(days=TODAY.weekday() + 1)
    for n, menu in enumerate(approved[:3]):
        stored = client.get(f"/api/v1/menus/{menu['id']}", headers=admin).json()
        assert (stored["override_reason"] is None) == (
            stored["nutrition_check"]["overall"] == "pass"
        )
        # The same lunch as a draft on a free day: the service computes its check live.
        twin = client.post(
            f"/api/v1/kitchens/{kitchen['id']}/menus",
            json={
                "service_date": (sunday - timedelta(weeks=n)).isoformat(),
                "meal_type": "lunch",
                "items": [
                    {"recipe_id": i["recipe_id"], "servings": i["servings"]}
                    for i in stored["items"]
                ],
                "portion_factors": stored["portion_factors"],
            },
            headers=admin,
        )
        assert twin.status_code == 201, twin.text
        live = client.get(f"/api/v1/menus/{twin.json()['id']}/nutrition-check", headers=admin)
        assert live.status_code == 200, live.text
        check = stored["nutrition_check"]

        # The generator stores the nutrition part; a synthetic nation has no prices, so the
        # checks' costs (unknown) are not part of the comparison.
        def nutrition(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in g.items() if k != "cost"} for g in groups]

        assert nutrition(check["groups"]) == nutrition(live.json()["groups"])
        assert check["overall"] == live.json()["overall"]
        assert check["incomplete_nutrients"] == live.json()["incomplete_nutrients"]


def test_managers_log_in_and_see_only_their_kitchen(
    nation: dict[str, int], client: TestClient, admin: Headers
) -> None:
    first, second, *_ = list_all(client, "/api/v1/kitchens", admin, limit=100)
    token = client.post(
        "/api/v1/auth/token",
        data={"username": first["code"].lower(), "password": MANAGER_PASSWORD},
    )
    assert token.status_code == 200, token.text
    manager = bearer(token.json()["access_token"])
    assert [k["id"] for k in list_all(client, "/api/v1/kitchens", manager)] == [first["id"]]
    assert client.get(f"/api/v1/kitchens/{second['id']}", headers=manager).status_code == 404


def test_generator_refuses_a_database_with_kitchens(
    nation: dict[str, int], settings: Settings
) -> None:
    engine = make_engine(settings)
    try:
        with pytest.raises(GeneratorError, match="already has kitchens"):
            generate(engine, PLAN)
    finally:
        engine.dispose()


def test_deliveries_certificates_and_incidents_read_back(
    nation: dict[str, int], client: TestClient, admin: Headers
) -> None:
    """Every past school day has each school's lunch delivery, mostly on time; kitchens
    carry certificates; incidents, when drawn, trace through the API."""
    past = _school_days(TODAY - timedelta(days=PLAN.days), TODAY - timedelta(days=1))
    assert nation["deliveries"] == PLAN.kitchens * SCHOOLS_PER_KITCHEN * len(past)
    flags: dict[str, int] = {}
    kitchens = list_all(client, "/api/v1/kitchens", admin, limit=100)
    for kitchen in kitchens:
        assert kitchen["hygiene_status"] in {"valid", "expiring", "expired", "missing"}
        assert kitchen["status"] == "active"
        rows = list_all(client, f"/api/v1/kitchens/{kitchen['id']}/deliveries", admin, limit=1000)
        assert {r["service_date"] for r in rows} == {d.isoformat() for d in past}
        for row in rows:
            for flag in row["flags"]:
                flags[flag] = flags.get(flag, 0) + 1
            if row["consumption_started_at"] is not None:
                assert row["departed_at"] <= row["arrived_at"] <= row["consumption_started_at"]
    assert "no_cooking_record" not in flags
    assert flags.get("over_4h", 0) < nation["deliveries"] / 2  # most lunches are on time
    report = client.get(
        "/api/v1/integrations/health/deliveries",
        params={"from": past[0].isoformat(), "to": past[-1].isoformat(), "limit": 1000},
        headers=admin,
    )
    assert report.status_code == 200, report.text
    incidents = list_all(client, "/api/v1/incidents", admin)
    assert len(incidents) == nation["incidents"] == PLAN.kitchens
    for incident in incidents:
        trace = client.get(f"/api/v1/incidents/{incident['id']}/trace", headers=admin).json()
        assert trace["menus"] and trace["deliveries"] and trace["food_safety_checks"]
        assert len(trace["at_risk_schools"]) == SCHOOLS_PER_KITCHEN - 1
