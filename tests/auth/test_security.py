"""Issue 15's security defects, each with its regression test."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.builders import assert_problem, make_kitchen, make_school, make_user
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, serve

TOKEN = "/api/v1/auth/token"
Headers = dict[str, str]


def _login(client: Any, username: str, password: str) -> Any:
    return client.post(TOKEN, data={"username": username, "password": password})


def _bearer(resp: Any) -> Headers:
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@pytest.fixture
def server_with(settings: Settings) -> Any:
    """Serve an app on this test's database with some settings changed."""
    servers: list[tuple[Any, threading.Thread]] = []

    def start(**changes: Any) -> str:
        url, server, thread = serve(create_app(settings.model_copy(update=changes)))
        servers.append((server, thread))
        return url

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


# -- 1. a burst of guesses cannot outrun the throttle ----------------------------------------


def test_a_burst_of_guesses_checks_at_most_the_limit(server_with: Any) -> None:
    url = server_with(login_max_failures=5, login_max_failures_per_client=100)
    barrier = threading.Barrier(20)

    def guess(i: int) -> int:
        with httpx.Client(base_url=url, timeout=60) as c:
            barrier.wait()
            return int(_login(c, ADMIN_USERNAME, f"wrong-password-{i}").status_code)

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(guess, range(20)))
    # Exactly five passwords were checked; every other attempt was refused unchecked.
    assert statuses == [401] * 5 + [429] * 15, statuses
    # The right password, right after the burst, is refused too: the window is used up.
    with httpx.Client(base_url=url, timeout=60) as c:
        assert_problem(_login(c, ADMIN_USERNAME, ADMIN_PASSWORD), 429, "too_many_login_attempts")


# -- 2. concurrent logins cannot exhaust memory -----------------------------------------------


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_forty_concurrent_logins_are_bounded_in_memory(server_with: Any) -> None:
    # The real argon2 cost (64 MiB a hash), two at once and eight waiting per process.
    url = server_with(
        environment="development",
        login_max_failures_per_client=1000,
        login_max_concurrent_hashes=2,
        login_hash_queue=8,
    )
    baseline = _rss_mib()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_mib())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    barrier = threading.Barrier(40)

    def login(i: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=120) as c:
            barrier.wait()
            return _login(c, f"nobody-{i}", "wrong-password-x")

    try:
        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(login, range(40)))
    finally:
        done.set()
        sampler.join()
    statuses = sorted(r.status_code for r in answers)
    busy = [r for r in answers if r.status_code == 503]
    assert set(statuses) <= {401, 503}, statuses
    assert busy and all(int(r.headers["retry-after"]) >= 1 for r in busy)
    assert {r.json()["code"] for r in busy} == {"hashing_busy"}
    growth = peak - baseline
    print(f"RSS {baseline:.0f} MiB -> peak {peak:.0f} MiB (+{growth:.0f} MiB) for 40 logins")
    # Unbounded, forty 64 MiB hashes would take 2.5 GiB; two at a time take ~130 MiB.
    assert growth < 400, f"+{growth:.0f} MiB"


# -- 3. tokens end with a change of password, role, scope or active state ---------------------


@pytest.mark.parametrize(
    "change",
    [
        {"password": "another-password-1"},
        {"role": "health_office", "region_code": "32"},
        {"kitchen_ids": []},
        {"active": False},
    ],
)
def test_a_change_ends_earlier_tokens(
    client: TestClient, admin: Headers, change: dict[str, Any]
) -> None:
    kitchen = make_kitchen(client, admin)
    user, headers = make_user(client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    resp = client.patch(f"/api/v1/users/{user['id']}", json=change, headers=admin)
    assert resp.status_code == 200, resp.text
    assert_problem(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_reactivation_does_not_revive_old_tokens(client: TestClient, admin: Headers) -> None:
    user, headers = make_user(
        client, admin, "health_office", region_code="32", password="password-for-tests"
    )
    url = f"/api/v1/users/{user['id']}"
    assert client.patch(url, json={"active": False}, headers=admin).status_code == 200
    assert client.patch(url, json={"active": True}, headers=admin).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=headers), 401, "invalid_token")
    # A fresh login works again.
    fresh = _bearer(_login(client, user["username"], "password-for-tests"))
    assert client.get("/api/v1/me", headers=fresh).status_code == 200


def test_a_name_change_keeps_tokens(client: TestClient, admin: Headers) -> None:
    user, headers = make_user(client, admin, "health_office", region_code="32")
    resp = client.patch(
        f"/api/v1/users/{user['id']}", json={"full_name": "Nama Lain"}, headers=admin
    )
    assert resp.status_code == 200
    assert client.get("/api/v1/me", headers=headers).json()["full_name"] == "Nama Lain"


# -- 5. the last admin, blank and NUL passwords ------------------------------------------------


def test_the_last_admin_cannot_demote_or_deactivate_itself(
    client: TestClient, admin: Headers
) -> None:
    me = client.get("/api/v1/me", headers=admin).json()
    url = f"/api/v1/users/{me['id']}"
    for change in ({"active": False}, {"role": "health_office", "region_code": "32"}):
        assert_problem(client.patch(url, json=change, headers=admin), 409, "last_admin")
    assert client.get("/api/v1/me", headers=admin).json()["role"] == "admin"
    # With a second admin, the first may step down.
    make_user(client, admin, "admin")
    assert client.patch(url, json={"active": False}, headers=admin).status_code == 200


@pytest.mark.parametrize("password", [" " * 10, "\u200b" * 12, "password\u0000-with-nul"])
def test_blank_or_nul_passwords_are_422(client: TestClient, admin: Headers, password: str) -> None:
    body = {"username": "pw-test", "password": password, "full_name": "X", "role": "admin"}
    assert_problem(client.post("/api/v1/users", json=body, headers=admin), 422)
    assert all(
        u["username"] != "pw-test"
        for u in client.get("/api/v1/users", headers=admin).json()["items"]
    )


def test_nul_in_the_login_form_is_422(client: TestClient) -> None:
    assert_problem(_login(client, "admin\u0000", "whatever-password"), 422, "validation_error")


def test_a_json_login_gets_a_hint_about_the_form(client: TestClient) -> None:
    resp = client.post(TOKEN, json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    body = assert_problem(resp, 422, "validation_error")
    assert "x-www-form-urlencoded" in body["detail"]


# -- 6. a replay checks current access ---------------------------------------------------------


def test_a_replay_after_losing_the_kitchen_is_404(client: TestClient, admin: Headers) -> None:
    kitchen = make_kitchen(client, admin)
    user, manager = make_user(
        client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]], password="password-for-tests"
    )
    body = {"npsn": "87654321", "name": "SD Replay", "level": "sd", "enrolment": {"7-9": 5}}
    headers = {**manager, "Idempotency-Key": "school-1"}
    url = f"/api/v1/kitchens/{kitchen['id']}/schools"
    assert client.post(url, json=body, headers=headers).status_code == 201
    other = make_kitchen(client, admin)
    resp = client.patch(
        f"/api/v1/users/{user['id']}", json={"kitchen_ids": [other["id"]]}, headers=admin
    )
    assert resp.status_code == 200
    again = _bearer(_login(client, user["username"], "password-for-tests"))
    replay = client.post(url, json=body, headers={**again, "Idempotency-Key": "school-1"})
    assert_problem(replay, 404, "not_found")
    assert "87654321" not in replay.text


# -- 8. no SQL parameters in the logs ---------------------------------------------------------


def test_a_failing_statement_is_logged_without_its_parameters(
    client: TestClient, admin: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    kitchen = make_kitchen(client, admin)
    make_school(client, admin, kitchen["id"])
    caplog.set_level(logging.INFO, logger="app")
    logger = logging.getLogger("app")
    logger.propagate = True
    try:
        # Two schools with one NPSN in one request cannot both be stored; whatever the
        # database says of it, the secret in the request must not reach the log.
        secret = "password-SECRET-in-params"
        body = {"username": "log-test", "password": secret, "full_name": "X", "role": "admin"}
        client.post("/api/v1/users", json=body, headers=admin)
        client.post("/api/v1/users", json=body, headers=admin)
    finally:
        logger.propagate = False
    assert secret not in caplog.text
    assert "$argon2" not in caplog.text
