"""Builders for staff, shifts, assignments and attendance, through the public API."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.builders import Headers, unique

FAR_FUTURE = "2099-12-31"


def local(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment on a kitchen's wall clock (aware, in the kitchen's zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


def make_staff(
    client: TestClient, headers: Headers, kitchen_id: str, **fields: Any
) -> dict[str, Any]:
    """A staff member; a cook with a certificate valid for decades unless told otherwise."""
    body = {
        "full_name": unique("Staf "),
        "role": "cook",
        "food_handler_cert_expires_on": FAR_FUTURE,
        **fields,
    }
    resp = client.post(f"/api/v1/kitchens/{kitchen_id}/staff", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def shift_body(
    starts_at: datetime,
    *,
    hours: float = 8,
    ends_at: datetime | None = None,
    requirements: dict[str, int] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    end = ends_at if ends_at is not None else starts_at + timedelta(hours=hours)
    return {
        "name": name or unique("Shift "),
        "starts_at": starts_at.isoformat(),
        "ends_at": end.isoformat(),
        "requirements": requirements
        if requirements is not None
        else {"cook": 4, "portioning": 2, "driver": 1},
    }


def make_shift(
    client: TestClient, headers: Headers, kitchen_id: str, starts_at: datetime, **kw: Any
) -> dict[str, Any]:
    """A shift of `hours` (default 8) from `starts_at`, or until `ends_at`."""
    resp = client.post(
        f"/api/v1/kitchens/{kitchen_id}/shifts", json=shift_body(starts_at, **kw), headers=headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def assign(client: TestClient, headers: Headers, shift_id: str, staff_id: str) -> Any:
    """The raw response of assigning a staff member to a shift."""
    return client.post(
        f"/api/v1/shifts/{shift_id}/assignments", json={"staff_id": staff_id}, headers=headers
    )


def make_assignment(
    client: TestClient, headers: Headers, shift_id: str, staff_id: str
) -> dict[str, Any]:
    resp = assign(client, headers, shift_id, staff_id)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def clock(
    client: TestClient, headers: Headers, assignment_id: str, which: str, at: datetime | None
) -> Any:
    """The raw response of clocking in or out (`which` is "in" or "out")."""
    body = {"at": at.isoformat()} if at is not None else {}
    return client.post(
        f"/api/v1/assignments/{assignment_id}/clock-{which}", json=body, headers=headers
    )
