"""Builders for the reports offices pull: a small programme of kitchens, schools and callers."""

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import Headers, make_api_key, make_kitchen, make_manager, make_school

HEALTH = "/api/v1/integrations/health"
DEMAND = "/api/v1/integrations/agriculture/ingredient-demand"


@dataclass
class Programme:
    """Kitchens in two regencies of West Java (32.73 Kota Bandung, 32.04 Kab. Bandung) and
    one in East Java (35.78), their schools, and a caller of every kind.

    Kitchens A1 and A2 share the district 32.73.01, so region sums add them up.
    """

    admin: Headers
    a1: dict[str, Any]
    a2: dict[str, Any]
    b: dict[str, Any]
    c: dict[str, Any]
    sa1: dict[str, Any]  # A1: 7-9: 100, 10-12-m: 40
    sa2: dict[str, Any]  # A1: 7-9: 60
    sa3: dict[str, Any]  # A2: 7-9: 20
    sb: dict[str, Any]  # B: 7-9: 50, 13-15-f: 30
    sc: dict[str, Any]  # C: 7-9: 10
    manager_a1: Headers
    health_3273: Headers
    health_32: Headers
    health_35: Headers
    agri_3273: Headers
    agri_32: Headers


def make_programme(client: TestClient, admin: Headers) -> Programme:
    a1 = make_kitchen(client, admin, code="K-3273-1", region_code="32.73.01")
    a2 = make_kitchen(client, admin, code="K-3273-2", region_code="32.73.01")
    b = make_kitchen(client, admin, code="K-3204-1", region_code="32.04.05")
    c = make_kitchen(client, admin, code="K-3578-1", region_code="35.78.02")
    return Programme(
        admin=admin,
        a1=a1,
        a2=a2,
        b=b,
        c=c,
        sa1=make_school(
            client, admin, a1["id"], npsn="30000001", enrolment={"7-9": 100, "10-12-m": 40}
        ),
        sa2=make_school(client, admin, a1["id"], npsn="30000002", enrolment={"7-9": 60}),
        sa3=make_school(client, admin, a2["id"], npsn="30000003", enrolment={"7-9": 20}),
        sb=make_school(
            client, admin, b["id"], npsn="30000004", enrolment={"7-9": 50, "13-15-f": 30}
        ),
        sc=make_school(client, admin, c["id"], npsn="30000005", enrolment={"7-9": 10}),
        manager_a1=make_manager(client, admin, a1["id"]),
        health_3273=make_api_key(client, admin, "health_office", "32.73")[1],
        health_32=make_api_key(client, admin, "health_office", "32")[1],
        health_35=make_api_key(client, admin, "health_office", "35")[1],
        agri_3273=make_api_key(client, admin, "agriculture_office", "32.73")[1],
        agri_32=make_api_key(client, admin, "agriculture_office", "32")[1],
    )


def count(school: dict[str, Any], group: str, *values: int | None) -> dict[str, Any]:
    """A count line: planned, prepared, served, returned (trailing ones may be left out)."""
    line: dict[str, Any] = {"school_id": school["id"], "target_group": group}
    for field, value in zip(("planned", "prepared", "served", "returned"), values, strict=False):
        line[field] = value
    return line


def get_rows(
    client: TestClient, url: str, headers: Headers, limit: int = 1000, **params: Any
) -> list[dict[str, Any]]:
    """Every JSON row of a report, following next_cursor."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = client.get(url, params=query, headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/json")
        page = resp.json()
        rows.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def get_csv(client: TestClient, url: str, headers: Headers, **params: Any) -> list[list[str]]:
    """The report as CSV, parsed: header line first."""
    resp = client.get(url, params={**params, "format": "csv"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(resp.text)))


def get_dhis2(
    client: TestClient, url: str, headers: Headers, **params: Any
) -> list[dict[str, Any]]:
    """The report's DHIS2 data values."""
    resp = client.get(url, params={**params, "format": "dhis2"}, headers=headers)
    assert resp.status_code == 200, resp.text
    body = json.loads(resp.text)
    assert list(body) == ["dataValues"]
    return body["dataValues"]  # type: ignore[no-any-return]


def csv_text(value: Any) -> str:
    """How a JSON value reads in the CSV rendering."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)
