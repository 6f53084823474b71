"""docs/mobile.md: Idempotency-Key on POST: replays, key reuse, per-caller keys, concurrency."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.config import Settings
from app.main import create_app
from tests.builders import (
    assert_problem,
    list_all,
    make_kitchen,
    make_user,
    unique,
)
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.mobile.conftest import Notes

Headers = dict[str, str]


def key_body(name: str | None = None) -> dict[str, Any]:
    return {"name": name or unique("dinkes-"), "role": "health_office", "region_code": "32.73"}


def keys_named(client: Any, admin: Headers, name: str) -> list[dict[str, Any]]:
    return [k for k in list_all(client, "/api/v1/api-keys", admin, limit=100) if k["name"] == name]


def test_replay_returns_the_first_answer_and_creates_nothing(
    client: TestClient, admin: Headers
) -> None:
    body = key_body()
    headers = {**admin, "Idempotency-Key": "create-dinkes-key-1"}
    first = client.post("/api/v1/api-keys", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    for _ in range(2):
        again = client.post("/api/v1/api-keys", json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == first.headers["content-type"]
        # The very same answer, the one-time key included: the first request's, not a new one.
        assert again.content == first.content
    assert len(keys_named(client, admin, body["name"])) == 1


def test_replay_of_a_kitchen_creates_exactly_one(client: TestClient, admin: Headers) -> None:
    body = {"code": unique("K-"), "name": "SPPG Replay", "region_code": "32.73.01"}
    headers = {**admin, "Idempotency-Key": "kitchen-1"}
    first = client.post("/api/v1/kitchens", json=body, headers=headers)
    again = client.post("/api/v1/kitchens", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    kitchens = list_all(client, "/api/v1/kitchens", admin, limit=100)
    assert [k["id"] for k in kitchens if k["code"] == body["code"]] == [first.json()["id"]]


def test_a_refusal_is_replayed_too(client: TestClient, admin: Headers) -> None:
    taken = make_kitchen(client, admin)
    body = {"code": taken["code"], "name": "Duplicate", "region_code": "32"}
    headers = {**admin, "Idempotency-Key": "dup-code"}
    first = client.post("/api/v1/kitchens", json=body, headers=headers)
    assert_problem(first, 409, "kitchen_code_taken")
    again = client.post("/api/v1/kitchens", json=body, headers=headers)
    assert_problem(again, 409, "kitchen_code_taken")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


def test_same_key_with_another_body_is_422_and_creates_nothing(
    client: TestClient, admin: Headers
) -> None:
    headers = {**admin, "Idempotency-Key": "reused-key"}
    body = key_body()
    assert client.post("/api/v1/api-keys", json=body, headers=headers).status_code == 201
    other = key_body()
    assert_problem(
        client.post("/api/v1/api-keys", json=other, headers=headers), 422, "idempotency_key_reused"
    )
    assert keys_named(client, admin, other["name"]) == []
    # Another path or query under the same key is another request as well.
    assert_problem(
        client.post("/api/v1/api-keys?x=1", json=body, headers=headers),
        422,
        "idempotency_key_reused",
    )


def test_keys_belong_to_their_caller(client: TestClient, admin: Headers) -> None:
    _, other_admin = make_user(client, admin, "admin")
    _, manager = make_user(client, admin, "kitchen_manager")
    name = unique("shared-")
    for headers in (admin, other_admin):
        resp = client.post(
            "/api/v1/api-keys", json=key_body(name), headers={**headers, "Idempotency-Key": "k-1"}
        )
        assert resp.status_code == 201
        assert "idempotent-replayed" not in resp.headers
    assert len(keys_named(client, admin, name)) == 2
    # A third caller's request under that key is its own, and gets its own answer (403).
    resp = client.post(
        "/api/v1/api-keys", json=key_body(name), headers={**manager, "Idempotency-Key": "k-1"}
    )
    assert_problem(resp, 403, "role_forbidden")
    assert "idempotent-replayed" not in resp.headers


def test_api_key_callers_have_keys_of_their_own(client: TestClient, admin: Headers) -> None:
    created = client.post("/api/v1/api-keys", json=key_body(), headers=admin).json()
    office = {"X-API-Key": created["key"], "Idempotency-Key": "office-1"}
    first = client.post(
        "/api/v1/kitchens", json={"code": "X", "name": "n", "region_code": "32"}, headers=office
    )
    assert_problem(first, 403, "role_forbidden")
    # Access is checked before a key is claimed or replayed, as for a fresh request: the
    # office is refused again, and its key holds nothing.
    again = client.post(
        "/api/v1/kitchens", json={"code": "X", "name": "n", "region_code": "32"}, headers=office
    )
    assert_problem(again, 403, "role_forbidden")
    assert "idempotent-replayed" not in again.headers


@pytest.mark.parametrize("key", ["", "has space", "ä-umlaut", "x" * 256])
def test_invalid_keys_are_422(client: TestClient, admin: Headers, key: str) -> None:
    resp = client.post(
        "/api/v1/api-keys",
        json=key_body(),
        headers={**admin, "Idempotency-Key": key.encode()},  # type: ignore[dict-item]
    )
    body = assert_problem(resp, 422, "invalid_idempotency_key")
    assert body["errors"][0]["loc"] == ["header", "Idempotency-Key"]


def test_longest_valid_key_works(client: TestClient, admin: Headers) -> None:
    headers = {**admin, "Idempotency-Key": "~" * 255}
    body = key_body()
    assert client.post("/api/v1/api-keys", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/api-keys", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"


def test_anonymous_posts_are_not_recorded(client: TestClient, admin: Headers) -> None:
    user, _ = make_user(client, admin, "kitchen_manager")
    headers = {"Idempotency-Key": "login"}
    first = client.post(
        "/api/v1/auth/token",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
        headers=headers,
    )
    assert first.status_code == 200
    # Another login under the same key is not "reused": logins are never stored.
    wrong = client.post(
        "/api/v1/auth/token",
        data={"username": user["username"], "password": "wrong-password"},
        headers=headers,
    )
    assert_problem(wrong, 401, "invalid_credentials")
    assert "idempotent-replayed" not in wrong.headers
    # Without credentials a key changes nothing: 401 as always.
    assert_problem(
        client.post("/api/v1/api-keys", json=key_body(), headers={"Idempotency-Key": "x"}), 401
    )


@pytest.mark.parametrize("mode", ["raise", "503"])
def test_a_failed_request_releases_its_key(
    client: TestClient, admin: Headers, notes: Notes, mode: str
) -> None:
    headers = {**admin, "Idempotency-Key": f"flaky-{mode}"}
    first = client.post(f"/api/v1/test-flaky/{mode}", json={"text": "a"}, headers=headers)
    assert first.status_code in (500, 503)
    retry = client.post(f"/api/v1/test-flaky/{mode}", json={"text": "a"}, headers=headers)
    assert retry.status_code == 201
    assert retry.json() == {"text": "a", "call": 2}
    assert "idempotent-replayed" not in retry.headers
    replay = client.post(f"/api/v1/test-flaky/{mode}", json={"text": "a"}, headers=headers)
    assert replay.json() == {"text": "a", "call": 2}
    assert replay.headers["idempotent-replayed"] == "true"
    assert notes.calls[mode] == 2


def test_a_retry_while_the_first_runs_waits_and_replays_its_answer(
    live_server: str, admin: Headers, notes: Notes
) -> None:
    headers = {**admin, "Idempotency-Key": "slow-1"}
    results: dict[str, httpx.Response] = {}

    def first() -> None:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            results["first"] = c.post("/api/v1/test-slow", json={"text": "a"}, headers=headers)

    thread = threading.Thread(target=first)
    thread.start()
    with httpx.Client(base_url=live_server, timeout=30) as c:
        deadline = time.monotonic() + 5
        while notes.calls.get("slow", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        during = c.post("/api/v1/test-slow", json={"text": "a"}, headers=headers)
        thread.join()
    assert results["first"].status_code == 201
    # The retry queued behind the first (on the key's row) and got its answer.
    assert during.status_code == 201 and during.headers["idempotent-replayed"] == "true"
    assert during.content == results["first"].content
    assert notes.calls["slow"] == 1


def _concurrent_retries(base_url: str, admin: Headers, n: int) -> None:
    body = key_body()
    headers = {**admin, "Idempotency-Key": "concurrent-1"}
    barrier = threading.Barrier(n)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            barrier.wait()
            return c.post("/api/v1/api-keys", json=body, headers=headers)

    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(post, range(n)))
    created = [r for r in results if r.status_code == 201]
    originals = [r for r in created if "idempotent-replayed" not in r.headers]
    assert len(originals) == 1, [(r.status_code, r.text) for r in results]
    for r in results:
        assert r.status_code == 201, r.text
        assert r.content == originals[0].content
    with httpx.Client(base_url=base_url) as c:
        assert len(keys_named(c, admin, body["name"])) == 1


@pytest.mark.postgres_only
def test_concurrent_retries_create_exactly_one_postgres(live_server: str, admin: Headers) -> None:
    _concurrent_retries(live_server, admin, 8)


def test_concurrent_retries_create_exactly_one(live_server: str, admin: Headers) -> None:
    _concurrent_retries(live_server, admin, 6)


def test_keys_survive_a_restart(settings: Settings, client: TestClient, admin: Headers) -> None:
    body = key_body()
    headers = {**admin, "Idempotency-Key": "before-restart"}
    first = client.post("/api/v1/api-keys", json=body, headers=headers)
    assert first.status_code == 201
    with TestClient(create_app(settings)) as restarted:
        again = restarted.post("/api/v1/api-keys", json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        assert len(keys_named(restarted, admin, body["name"])) == 1


def test_expired_keys_are_forgotten(client: TestClient, admin: Headers, database_url: str) -> None:
    body = key_body()
    headers = {**admin, "Idempotency-Key": "old-key"}
    assert client.post("/api/v1/api-keys", json=body, headers=headers).status_code == 201
    engine = create_engine(database_url)
    with engine.begin() as conn:
        expires = conn.execute(text("SELECT expires_at FROM idempotency_records")).scalar_one()
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        # Kept at least 24 hours (the default TTL).
        assert expires - datetime.now(UTC) > timedelta(hours=23, minutes=59)
        conn.execute(text("UPDATE idempotency_records SET expires_at = created_at"))
    engine.dispose()
    # Past its expiry the key is free again: the request runs anew.
    again = client.post("/api/v1/api-keys", json=body, headers=headers)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert len(keys_named(client, admin, body["name"])) == 2


def test_ttl_below_24_hours_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings(_env_file=None, idempotency_ttl_hours=23)  # type: ignore[call-arg]


def test_expired_keys_are_purged_by_the_cli(
    client: TestClient, admin: Headers, database_url: str, tmp_path: Any
) -> None:
    import os
    import subprocess
    import sys

    for key in ("keep", "drop"):
        body = key_body()
        assert client.post(
            "/api/v1/api-keys", json=body, headers={**admin, "Idempotency-Key": key}
        ).status_code == 201
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE idempotency_records SET expires_at = created_at WHERE key = 'drop'")
        )
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "test"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "purge-idempotency"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "deleted 1 expired keys" in done.stdout
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM idempotency_records")).scalars().all()
    engine.dispose()
    assert keys == ["keep"]
