"""Who may pull which report (docs/api.md), the region rule and the date-range rule (§8)."""

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_api_key, make_kitchen, make_user
from tests.builders.menus import make_safety_check
from tests.builders.reports import DEMAND, HEALTH, get_rows

HEALTH_REPORTS = [f"{HEALTH}/nutrition", f"{HEALTH}/meal-counts", f"{HEALTH}/food-safety"]
ALL_REPORTS = [*HEALTH_REPORTS, DEMAND]
RANGE = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.mark.parametrize("url", ALL_REPORTS)
def test_anonymous_and_bad_keys_get_401(client: TestClient, url: str) -> None:
    assert_problem(client.get(url, params=RANGE), 401)
    assert_problem(client.get(url, params=RANGE, headers={"X-API-Key": "dpr_nope"}), 401)


@pytest.mark.parametrize("url", ALL_REPORTS)
def test_kitchen_managers_get_403(client: TestClient, admin: dict[str, str], url: str) -> None:
    kitchen = make_kitchen(client, admin, region_code="32.73.01")
    manager = make_user(client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]])[1]
    assert_problem(client.get(url, params=RANGE, headers=manager), 403, "role_forbidden")


@pytest.mark.parametrize("url", HEALTH_REPORTS)
def test_agriculture_offices_get_403_on_health_reports(
    client: TestClient, admin: dict[str, str], url: str
) -> None:
    key = make_api_key(client, admin, "agriculture_office", "32.73")[1]
    user = make_user(client, admin, "agriculture_office", region_code="32")[1]
    assert_problem(client.get(url, params=RANGE, headers=key), 403, "role_forbidden")
    assert_problem(client.get(url, params=RANGE, headers=user), 403, "role_forbidden")
    # The role is refused before the query is looked at.
    assert_problem(client.get(url, headers=key), 403, "role_forbidden")


def test_health_offices_get_403_on_demand(client: TestClient, admin: dict[str, str]) -> None:
    key = make_api_key(client, admin, "health_office", "32.73")[1]
    user = make_user(client, admin, "health_office", region_code="32")[1]
    assert_problem(client.get(DEMAND, params=RANGE, headers=key), 403, "role_forbidden")
    assert_problem(client.get(DEMAND, params=RANGE, headers=user), 403, "role_forbidden")


@pytest.mark.parametrize(
    ("url", "role"),
    [*((u, "health_office") for u in HEALTH_REPORTS), (DEMAND, "agriculture_office")],
)
def test_offices_and_admin_may_pull(
    client: TestClient, admin: dict[str, str], url: str, role: str
) -> None:
    key = make_api_key(client, admin, role, "32.73")[1]
    user = make_user(client, admin, role, region_code="32")[1]
    for headers in (key, user, admin):
        resp = client.get(url, params=RANGE, headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("url", "role"), [(f"{HEALTH}/meal-counts", "health_office"), (DEMAND, "agriculture_office")]
)
@pytest.mark.parametrize(
    ("region", "status"),
    [
        ("32.73", 200),
        ("32.73.01", 200),
        ("32.73.01.2001", 200),
        ("32", 403),
        ("32.04", 403),
        ("35", 403),
        ("32.7", 422),
    ],
)
def test_region_must_lie_within_the_callers(
    client: TestClient, admin: dict[str, str], url: str, role: str, region: str, status: int
) -> None:
    key = make_api_key(client, admin, role, "32.73")[1]
    resp = client.get(url, params={**RANGE, "region_code": region}, headers=key)
    if status == 403:
        assert_problem(resp, 403, "region_forbidden")
    elif status == 422:
        assert_problem(resp, 422, "validation_error")
    else:
        assert resp.status_code == 200, resp.text
    # Admin is national: any region.
    assert client.get(url, params={**RANGE, "region_code": "35"}, headers=admin).status_code == 200


def test_office_sees_only_its_region_by_default(client: TestClient, admin: dict[str, str]) -> None:
    inside = make_kitchen(client, admin, region_code="32.73.01")
    outside = make_kitchen(client, admin, region_code="32.04.01")
    for kitchen in (inside, outside):
        make_safety_check(client, admin, kitchen["id"], service_date="2026-03-02")
    make_kitchen(client, admin, region_code="32.73")  # no checks: nothing to report
    key = make_api_key(client, admin, "health_office", "32.73")[1]
    rows = get_rows(client, f"{HEALTH}/food-safety", key, **RANGE)
    assert [r["kitchen_id"] for r in rows] == [inside["id"]]
    every = get_rows(client, f"{HEALTH}/food-safety", admin, **RANGE)
    assert {r["kitchen_id"] for r in every} == {inside["id"], outside["id"]}


@pytest.mark.parametrize("url", ALL_REPORTS)
@pytest.mark.parametrize(
    ("date_from", "date_to", "status"),
    [
        ("2026-03-02", "2026-03-02", 200),  # one day
        ("2026-01-01", "2027-01-02", 200),  # 366 days apart (a leap-year's worth)
        ("2026-01-01", "2027-01-03", 422),  # 367 days apart
        ("2026-03-02", "2026-03-01", 422),  # `to` before `from`
        ("2026-02-30", "2026-03-01", 422),  # not a date
    ],
)
def test_date_range_rules(
    client: TestClient, admin: dict[str, str], url: str, date_from: str, date_to: str, status: int
) -> None:
    resp = client.get(url, params={"from": date_from, "to": date_to}, headers=admin)
    if status == 200:
        assert resp.status_code == 200, resp.text
    else:
        body = assert_problem(resp, 422, "validation_error")
        assert body["errors"][0]["loc"][0] == "query"


@pytest.mark.parametrize("url", ALL_REPORTS)
def test_from_and_to_are_required(client: TestClient, admin: dict[str, str], url: str) -> None:
    body = assert_problem(client.get(url, params={"to": "2026-03-01"}, headers=admin), 422)
    assert body["errors"][0]["loc"] == ["query", "from"]
    body = assert_problem(client.get(url, params={"from": "2026-03-01"}, headers=admin), 422)
    assert body["errors"][0]["loc"] == ["query", "to"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (DEMAND, {"format": "dhis2"}),
        (f"{HEALTH}/food-safety", {"format": "xml"}),
        (f"{HEALTH}/meal-counts", {"group_by": "village"}),
        (DEMAND, {"period": "year"}),
        (DEMAND, {"by": "recipe"}),
        (DEMAND, {"region_level": "village"}),
        (f"{HEALTH}/nutrition", {"limit": 1001}),
        (f"{HEALTH}/nutrition", {"limit": 0}),
    ],
)
def test_unknown_options_are_422(
    client: TestClient, admin: dict[str, str], url: str, params: dict[str, object]
) -> None:
    assert_problem(client.get(url, params={**RANGE, **params}, headers=admin), 422)


def test_cursors_belong_to_their_report(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin, region_code="32.73.01")
    for day in ("2026-03-02", "2026-03-03"):
        make_safety_check(client, admin, kitchen["id"], service_date=day)
    page = client.get(f"{HEALTH}/food-safety", params={**RANGE, "limit": 1}, headers=admin)
    cursor = page.json()["next_cursor"]
    assert cursor
    for url in (f"{HEALTH}/meal-counts", f"{HEALTH}/nutrition", DEMAND):
        resp = client.get(url, params={**RANGE, "cursor": cursor}, headers=admin)
        assert_problem(resp, 422, "invalid_cursor")
    for bad in ("not-a-cursor", "WyJmb29kLXNhZmV0eSJd", "e30"):
        resp = client.get(f"{HEALTH}/food-safety", params={**RANGE, "cursor": bad}, headers=admin)
        assert_problem(resp, 422, "invalid_cursor")


def test_revoked_key_gets_401(client: TestClient, admin: dict[str, str]) -> None:
    created, headers = make_api_key(client, admin, "agriculture_office", "32")
    assert client.get(DEMAND, params=RANGE, headers=headers).status_code == 200
    resp = client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)
    assert resp.status_code == 204, resp.text
    assert_problem(client.get(DEMAND, params=RANGE, headers=headers), 401)


@pytest.mark.parametrize("url", ALL_REPORTS)
@pytest.mark.parametrize(
    "params",
    [
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "2099-12-31", "to": "2101-01-01"},
        {"from": "1999-12-31", "to": "2000-01-01"},
    ],
)
def test_dates_outside_2000_to_2100_are_422(
    client: TestClient, admin: dict[str, str], url: str, params: dict[str, str]
) -> None:
    body = assert_problem(client.get(url, params=params, headers=admin), 422, "validation_error")
    assert body["errors"][0]["loc"][0] == "query"
    for fmt in ("csv", "dhis2"):
        resp = client.get(url, params={**params, "format": fmt}, headers=admin)
        assert_problem(resp, 422, "validation_error")


@pytest.mark.parametrize("url", HEALTH_REPORTS)
@pytest.mark.parametrize("since", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+07:00"])
def test_updated_since_outside_the_calendar_is_422(
    client: TestClient, admin: dict[str, str], url: str, since: str
) -> None:
    resp = client.get(url, params={**RANGE, "updated_since": since}, headers=admin)
    body = assert_problem(resp, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["query", "updated_since"]


@pytest.mark.parametrize("url", ALL_REPORTS)
def test_the_edges_of_the_calendar_are_served(
    client: TestClient, admin: dict[str, str], url: str
) -> None:
    for params in (
        {"from": "2000-01-01", "to": "2000-01-07"},
        {"from": "2100-12-25", "to": "2100-12-31"},
    ):
        resp = client.get(url, params={**params, "period": "month"}, headers=admin)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"items": [], "next_cursor": None}
