"""Builders for deliveries, incidents, certificates and suspensions, through the public API."""

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import Headers


def delivery_body(school_id: str, day: str, **fields: Any) -> dict[str, Any]:
    """A lunch of 120 portions leaving at 09:00 WIB on `day` unless told otherwise."""
    return {
        "service_date": day,
        "school_id": school_id,
        "meal_type": "lunch",
        "portions": 120,
        "departed_at": f"{day}T09:00:00+07:00",
        **fields,
    }


def make_delivery(
    client: TestClient, headers: Headers, kitchen_id: str, school_id: str, day: str, **fields: Any
) -> dict[str, Any]:
    resp = client.post(
        f"/api/v1/kitchens/{kitchen_id}/deliveries",
        json=delivery_body(school_id, day, **fields),
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def patch_delivery(
    client: TestClient, headers: Headers, delivery_id: str, **fields: Any
) -> dict[str, Any]:
    resp = client.patch(f"/api/v1/deliveries/{delivery_id}", json=fields, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_incident(
    client: TestClient, headers: Headers, school_id: str, meal_date: str, **fields: Any
) -> dict[str, Any]:
    body = {"school_id": school_id, "meal_date": meal_date, "cases": 12, **fields}
    resp = client.post("/api/v1/incidents", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def put_certificate(
    client: TestClient,
    headers: Headers,
    kitchen_id: str,
    *,
    issued_on: str = "2025-01-10",
    expires_on: str = "2028-01-09",
    number: str = "SLHS/3273/0001/2025",
) -> dict[str, Any]:
    resp = client.put(
        f"/api/v1/kitchens/{kitchen_id}/hygiene-certificate",
        json={"number": number, "issued_on": issued_on, "expires_on": expires_on},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def suspend(
    client: TestClient,
    headers: Headers,
    kitchen_id: str,
    reason: str = "Suspected outbreak: kitchen closed pending laboratory results",
) -> dict[str, Any]:
    resp = client.post(
        f"/api/v1/kitchens/{kitchen_id}/suspension", json={"reason": reason}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]
