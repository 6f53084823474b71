"""Builders for test data, through the public API. One module per domain lives beside this.

Each builder takes a TestClient (or httpx.Client) and the headers of a caller allowed to
create the object, sends the real request, asserts it succeeded and returns the JSON.
"""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

Headers = dict[str, str]
_seq = itertools.count(1)


def unique(prefix: str = "") -> str:
    """A short string unique within the test run."""
    return f"{prefix}{next(_seq):06d}"


@contextmanager
def recorded_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app sends to its database inside the block.

    The app's engines are made per event loop (app/core/db.py), so this listens on every
    engine: inside the block, only the app under test talks to a database.
    """
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def make_kitchen(client: TestClient, admin: Headers, **fields: Any) -> dict[str, Any]:
    body = {"code": unique("K-"), "name": "SPPG Test", "region_code": "32.73.01", **fields}
    resp = client.post("/api/v1/kitchens", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_school(
    client: TestClient, headers: Headers, kitchen_id: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "npsn": f"{next(_seq) % 100_000_000:08d}",
        "name": "SD Negeri Test",
        "level": "sd",
        "enrolment": {"7-9": 100, "10-12-m": 40, "10-12-f": 42},
        **fields,
    }
    resp = client.post(f"/api/v1/kitchens/{kitchen_id}/schools", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_user(
    client: TestClient, admin: Headers, role: str, **fields: Any
) -> tuple[dict[str, Any], Headers]:
    """A user created by admin and logged in: (user JSON, its headers)."""
    password = fields.pop("password", None) or "password-" + unique()
    body = {
        "username": unique("user"),
        "password": password,
        "full_name": "Test User",
        "role": role,
        **fields,
    }
    resp = client.post("/api/v1/users", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    token = client.post(
        "/api/v1/auth/token", data={"username": body["username"], "password": password}
    )
    assert token.status_code == 200, token.text
    return resp.json(), bearer(token.json()["access_token"])


def make_manager(client: TestClient, admin: Headers, *kitchen_ids: str) -> Headers:
    """Headers of a kitchen manager of the given kitchens."""
    return make_user(client, admin, "kitchen_manager", kitchen_ids=list(kitchen_ids))[1]


def make_api_key(
    client: TestClient, admin: Headers, role: str, region_code: str | None
) -> tuple[dict[str, Any], Headers]:
    """An office API key: (its JSON, including `key`, and X-API-Key headers)."""
    resp = client.post(
        "/api/v1/api-keys",
        json={"name": unique("key-"), "role": role, "region_code": region_code},
        headers=admin,
    )
    assert resp.status_code == 201, resp.text
    return resp.json(), {"X-API-Key": resp.json()["key"]}


def assert_problem(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is problem+json with this status (and code)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    if code is not None:
        assert body["code"] == code, body
    return body


def list_all(
    client: TestClient, url: str, headers: Headers, limit: int = 2
) -> list[dict[str, Any]]:
    """Every item of a paginated list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        resp = client.get(url, params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
