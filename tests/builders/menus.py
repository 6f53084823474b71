"""Builders for kitchen operations: a world of kitchens and callers, menus, counts, checks."""

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import Headers, make_api_key, make_kitchen, make_manager

MISSING = "9b2e4f7a-0000-4000-8000-000000000000"


@dataclass
class OpsWorld:
    """Kitchen A in Bandung (32.73) and kitchen B in Surabaya (35.78), and every caller."""

    a: dict[str, Any]
    b: dict[str, Any]
    admin: Headers
    manager_a: Headers
    manager_b: Headers
    health_a: Headers  # health office of 32.73: reads A
    health_other: Headers  # health office of 35: reads B only
    agri_a: Headers  # agriculture office of 32: no access to operations at all


def make_ops_world(client: TestClient, admin: Headers, **kitchen_a: Any) -> OpsWorld:
    a = make_kitchen(client, admin, **{"region_code": "32.73.01", **kitchen_a})
    b = make_kitchen(client, admin, region_code="35.78.02")
    return OpsWorld(
        a=a,
        b=b,
        admin=admin,
        manager_a=make_manager(client, admin, a["id"]),
        manager_b=make_manager(client, admin, b["id"]),
        health_a=make_api_key(client, admin, "health_office", "32.73")[1],
        health_other=make_api_key(client, admin, "health_office", "35")[1],
        agri_a=make_api_key(client, admin, "agriculture_office", "32")[1],
    )


def put_counts(
    client: TestClient, headers: Headers, kitchen_id: str, day: str, counts: list[dict[str, Any]]
) -> dict[str, Any]:
    resp = client.put(
        f"/api/v1/kitchens/{kitchen_id}/meal-counts/{day}", json={"counts": counts}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_safety_check(
    client: TestClient, headers: Headers, kitchen_id: str, **fields: Any
) -> dict[str, Any]:
    """A check of `service_date` (default 2026-03-02), cooked at 03:00 and dispatched at
    06:00 WIB that day unless told otherwise."""
    day = fields.get("service_date", "2026-03-02")
    body = {
        "service_date": day,
        "cooked_at": f"{day}T03:00:00+07:00",
        "dispatched_at": f"{day}T06:00:00+07:00",
        "sample_retained": True,
        "organoleptic_ok": True,
        "core_temp_c": 80.0,
        **fields,
    }
    resp = client.post(
        f"/api/v1/kitchens/{kitchen_id}/food-safety-checks", json=body, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_menu(
    client: TestClient,
    headers: Headers,
    kitchen_id: str,
    items: list[tuple[str, float]],
    **fields: Any,
) -> dict[str, Any]:
    """A draft menu of (recipe_id, servings) pairs; lunch on 2026-03-02 unless told."""
    body = {
        "service_date": "2026-03-02",
        "meal_type": "lunch",
        "items": [{"recipe_id": r, "servings": s} for r, s in items],
        **fields,
    }
    resp = client.post(f"/api/v1/kitchens/{kitchen_id}/menus", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def nutrition_check(client: TestClient, headers: Headers, menu_id: str) -> dict[str, Any]:
    resp = client.get(f"/api/v1/menus/{menu_id}/nutrition-check", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]
