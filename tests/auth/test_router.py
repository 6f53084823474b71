"""Login, tokens, API keys, users: through HTTP."""

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import (
    assert_problem,
    bearer,
    make_api_key,
    make_kitchen,
    make_user,
    unique,
)
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME


def test_login_issues_a_bearer_token(client: TestClient) -> None:
    resp = client.post(
        "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == ADMIN_USERNAME
    assert me.json()["role"] == "admin"


def test_wrong_password_and_unknown_user_get_the_same_401(client: TestClient) -> None:
    wrong = client.post(
        "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": "not-the-password"}
    )
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "nobody-here", "password": "not-the-password"}
    )
    a, b = assert_problem(wrong, 401), assert_problem(unknown, 401)
    assert (
        (a["code"], a["detail"])
        == (b["code"], b["detail"])
        == ("invalid_credentials", "Incorrect username or password")
    )


def test_no_token_bad_token_and_expired_token_are_401(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/me"), 401, "not_authenticated")
    assert_problem(client.get("/api/v1/me", headers=bearer("garbage")), 401, "invalid_token")
    import jwt

    from tests.conftest import SECRET

    expired = jwt.encode({"sub": "00000000-0000-0000-0000-000000000000", "exp": 1}, SECRET)
    assert_problem(client.get("/api/v1/me", headers=bearer(expired)), 401)


def test_token_signed_with_another_key_is_401(client: TestClient, admin: dict[str, str]) -> None:
    import jwt

    me = client.get("/api/v1/me", headers=admin).json()
    forged = jwt.encode(
        {"sub": me["id"], "exp": 4_000_000_000}, "another-secret-key-xxxxxxxxxxxxxxxxxxxxx"
    )
    assert_problem(client.get("/api/v1/me", headers=bearer(forged)), 401)


def test_create_user_never_returns_password(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin)
    resp = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "siti",
            "password": "long-enough-pw",
            "full_name": "Siti",
            "role": "kitchen_manager",
            "kitchen_ids": [kitchen["id"]],
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert "password" not in body and "password_hash" not in body
    assert "long-enough-pw" not in resp.text
    assert body["kitchen_ids"] == [kitchen["id"]]
    assert body["active"] is True
    got = client.get(f"/api/v1/users/{body['id']}", headers=admin)
    assert got.status_code == 200 and "password" not in got.text


def test_duplicate_username_is_409(client: TestClient, admin: dict[str, str]) -> None:
    body = {
        "username": "dup-user",
        "password": "long-enough-pw",
        "full_name": "A",
        "role": "health_office",
        "region_code": "32",
    }
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    assert_problem(client.post("/api/v1/users", json=body, headers=admin), 409, "username_taken")


def test_short_password_and_bad_role_are_422(client: TestClient, admin: dict[str, str]) -> None:
    short = {"username": "shorty", "password": "123456789", "full_name": "A", "role": "admin"}
    body = assert_problem(
        client.post("/api/v1/users", json=short, headers=admin), 422, "validation_error"
    )
    assert body["errors"][0]["loc"] == ["body", "password"]
    bad_role = {**short, "password": "long-enough-pw", "role": "superuser"}
    assert_problem(client.post("/api/v1/users", json=bad_role, headers=admin), 422)
    bad_region = {
        **short,
        "password": "long-enough-pw",
        "role": "health_office",
        "region_code": "3273",
    }
    assert_problem(client.post("/api/v1/users", json=bad_region, headers=admin), 422)


def test_manager_of_unknown_kitchen_is_422(client: TestClient, admin: dict[str, str]) -> None:
    body = {
        "username": "mgr1",
        "password": "long-enough-pw",
        "full_name": "A",
        "role": "kitchen_manager",
        "kitchen_ids": ["9b2e4f7a-0000-4000-8000-000000000000"],
    }
    assert_problem(client.post("/api/v1/users", json=body, headers=admin), 422, "unknown_kitchen")


def test_deactivated_user_is_locked_out_at_once(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin)
    password = "password-" + unique()
    user = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "leaver",
            "password": password,
            "full_name": "Leaver",
            "role": "kitchen_manager",
            "kitchen_ids": [kitchen["id"]],
        },
    ).json()
    token = client.post(
        "/api/v1/auth/token", data={"username": "leaver", "password": password}
    ).json()["access_token"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    resp = client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin)
    assert resp.status_code == 200 and resp.json()["active"] is False

    assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    assert_problem(client.get(f"/api/v1/kitchens/{kitchen['id']}", headers=bearer(token)), 401)
    relogin = client.post("/api/v1/auth/token", data={"username": "leaver", "password": password})
    assert_problem(relogin, 401, "invalid_credentials")


def test_users_and_api_keys_are_admin_only(client: TestClient, admin: dict[str, str]) -> None:
    kitchen = make_kitchen(client, admin)
    _, manager = make_user(client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]])
    _, health = make_api_key(client, admin, "health_office", "32")
    _, agri = make_api_key(client, admin, "agriculture_office", None)
    user_body = {
        "username": "x-user",
        "password": "long-enough-pw",
        "full_name": "X",
        "role": "admin",
    }
    key_body = {"name": "k", "role": "health_office", "region_code": "32"}
    for headers in (manager, health, agri):
        assert_problem(client.post("/api/v1/users", json=user_body, headers=headers), 403)
        assert_problem(client.get("/api/v1/users", headers=headers), 403)
        assert_problem(client.post("/api/v1/api-keys", json=key_body, headers=headers), 403)
        assert_problem(client.get("/api/v1/api-keys", headers=headers), 403)
    assert_problem(client.get("/api/v1/users"), 401)


def test_api_key_is_shown_once_and_revocable(client: TestClient, admin: dict[str, str]) -> None:
    created, headers = make_api_key(client, admin, "health_office", "32.73")
    assert created["key"].startswith("dpr_")
    assert created["role"] == "health_office" and created["region_code"] == "32.73"
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "health_office" and me.json()["region_code"] == "32.73"

    listed = client.get("/api/v1/api-keys", headers=admin)
    assert listed.status_code == 200
    assert created["key"] not in listed.text
    assert [k["id"] for k in listed.json()["items"]] == [created["id"]]

    assert client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=headers), 401, "invalid_api_key")
    assert_problem(client.get("/api/v1/me", headers={"X-API-Key": "dpr_made_up"}), 401)


def test_api_key_roles_are_office_roles_only(client: TestClient, admin: dict[str, str]) -> None:
    body = {"name": "bad", "role": "admin", "region_code": None}
    assert_problem(client.post("/api/v1/api-keys", json=body, headers=admin), 422)
    assert_problem(
        client.delete("/api/v1/api-keys/9b2e4f7a-0000-4000-8000-000000000000", headers=admin), 404
    )


def test_users_list_pages_without_repeats(client: TestClient, admin: dict[str, str]) -> None:
    for _ in range(4):
        make_user(client, admin, "health_office", region_code="32")
    from tests.builders import list_all

    users = list_all(client, "/api/v1/users", admin, limit=2)
    ids = [u["id"] for u in users]
    assert len(ids) == len(set(ids)) == 5  # four plus the first admin


def test_first_admin_is_created_once_by_several_workers(settings: Any) -> None:
    """Workers of one deployment start together; each tries to create the first admin."""
    import threading

    from app.main import create_app

    apps = [create_app(settings) for _ in range(4)]
    errors: list[BaseException] = []

    def start(app: Any) -> None:
        try:
            with TestClient(app):
                pass
        except BaseException as exc:  # a failed start-up is what this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with TestClient(apps[0]) as c:
        resp = c.post(
            "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        )
        assert resp.status_code == 200
