"""Failed logins are throttled per username and per client, across processes."""

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.builders import assert_problem, make_user
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.reliability.conftest import ClientFactory

TOKEN = "/api/v1/auth/token"


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post(TOKEN, data={"username": username, "password": password})


def _retry_after(resp: Any) -> int:
    body = assert_problem(resp, 429, "too_many_login_attempts")
    assert "password" not in body["detail"].lower()
    return int(resp.headers["Retry-After"])


def test_username_is_blocked_after_max_failures_even_with_the_right_password(
    client_with: ClientFactory,
) -> None:
    with client_with(login_max_failures=3, login_window_seconds=300) as c:
        for _ in range(3):
            assert_problem(_login(c, ADMIN_USERNAME, "wrong-password-1"), 401)
        started = time.time()
        blocked = _login(c, ADMIN_USERNAME, ADMIN_PASSWORD)
        wait = _retry_after(blocked)
        # The oldest of the 3 failures was made moments ago: it frees up in about 300 s.
        assert 300 - (time.time() - started) - 5 <= wait <= 300
        assert "access_token" not in blocked.text


def test_unknown_username_is_throttled_exactly_like_a_real_one(
    client_with: ClientFactory,
) -> None:
    with client_with(login_max_failures=2) as c:
        answers = {}
        for name in (ADMIN_USERNAME, "no-such-user"):
            statuses = [_login(c, name, "wrong-password-1").status_code for _ in range(3)]
            last = _login(c, name, "wrong-password-1")
            answers[name] = (statuses, last.status_code, last.json()["code"], last.json()["title"])
        assert answers[ADMIN_USERNAME] == answers["no-such-user"]
        assert answers["no-such-user"] == (
            [401, 401, 429],
            429,
            "too_many_login_attempts",
            "Too Many Requests",
        )


def test_username_counter_ignores_case(client_with: ClientFactory) -> None:
    with client_with(login_max_failures=2) as c:
        assert_problem(_login(c, "Admin", "wrong-password-1"), 401)
        assert_problem(_login(c, "ADMIN", "wrong-password-1"), 401)
        _retry_after(_login(c, ADMIN_USERNAME, ADMIN_PASSWORD))


def test_a_successful_login_resets_the_username_counter(client_with: ClientFactory) -> None:
    with client_with(login_max_failures=3, login_max_failures_per_client=100) as c:
        for _ in range(2):
            assert_problem(_login(c, ADMIN_USERNAME, "wrong-password-1"), 401)
        assert _login(c, ADMIN_USERNAME, ADMIN_PASSWORD).status_code == 200
        # Three fresh failures are allowed again; the fourth attempt is refused.
        for _ in range(3):
            assert_problem(_login(c, ADMIN_USERNAME, "wrong-password-1"), 401)
        _retry_after(_login(c, ADMIN_USERNAME, ADMIN_PASSWORD))


def test_other_usernames_are_unaffected_by_one_blocked_username(
    client_with: ClientFactory,
) -> None:
    with client_with(login_max_failures=2, login_max_failures_per_client=100) as c:
        token = _login(c, ADMIN_USERNAME, ADMIN_PASSWORD).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        user, _ = make_user(c, admin, "admin")
        for _ in range(2):
            _login(c, ADMIN_USERNAME, "wrong-password-1")
        _retry_after(_login(c, ADMIN_USERNAME, ADMIN_PASSWORD))
        assert_problem(_login(c, user["username"], "wrong-password-1"), 401)


def test_one_client_spraying_many_usernames_is_blocked(client_with: ClientFactory) -> None:
    with client_with(login_max_failures=5, login_max_failures_per_client=4) as c:
        for i in range(4):
            assert_problem(_login(c, f"guess-{i}", "wrong-password-1"), 401)
        # The client has used its failures: even a correct login from it waits.
        _retry_after(_login(c, ADMIN_USERNAME, ADMIN_PASSWORD))


def test_block_lifts_when_the_window_has_passed(client_with: ClientFactory) -> None:
    with client_with(login_max_failures=2, login_window_seconds=1) as c:
        for _ in range(2):
            assert_problem(_login(c, ADMIN_USERNAME, "wrong-password-1"), 401)
        assert _retry_after(_login(c, ADMIN_USERNAME, ADMIN_PASSWORD)) == 1
        time.sleep(1.2)
        assert _login(c, ADMIN_USERNAME, ADMIN_PASSWORD).status_code == 200


def test_failures_are_shared_by_every_process_on_the_database(
    client_with: ClientFactory,
) -> None:
    """Two app instances (as two workers would be) count against the same database."""
    with client_with(login_max_failures=3) as first, client_with(login_max_failures=3) as second:
        for c in (first, second, first):
            assert_problem(_login(c, ADMIN_USERNAME, "wrong-password-1"), 401)
        _retry_after(_login(second, ADMIN_USERNAME, ADMIN_PASSWORD))
        _retry_after(_login(first, ADMIN_USERNAME, ADMIN_PASSWORD))


def test_attempted_usernames_and_passwords_are_not_stored(
    client_with: ClientFactory, database_url: str
) -> None:
    with client_with() as c:
        assert_problem(_login(c, "Secret-Typed-Into-Username", "the-password-typed"), 401)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM login_failures")).scalars().all()
        audit = conn.execute(text("SELECT * FROM audit_events")).all()
    engine.dispose()
    assert sorted(k.split(":")[0] for k in keys) == ["client", "username"]
    stored = repr(keys) + repr(audit)
    assert "Secret-Typed" not in stored and "secret-typed" not in stored
    assert "the-password-typed" not in stored
