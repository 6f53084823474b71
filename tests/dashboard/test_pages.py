"""The dashboard over HTTP: signing in and out, the session cookie, CSRF, who sees what,
and each page's numbers against the API's for the same user and filters."""

import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

import app.dashboard.session as dashboard_session
from app.core.types import utcnow
from app.dashboard.session import issue_session, read_session
from tests.builders import bearer, make_kitchen
from tests.conftest import SECRET
from tests.dashboard import expected
from tests.dashboard.conftest import LOGIN, form_token, sign_in
from tests.dashboard.html import element_attrs, shown, tables
from tests.dashboard.world import World

PAGES = ("/dashboard/overview", "/dashboard/agriculture")


def _cookie_header(resp: object, name: str) -> str:
    headers = resp.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, headers
    return str(found[0])


def test_sign_in_sets_an_http_only_lax_cookie_and_returns_to_the_page(
    client: TestClient, world: World
) -> None:
    first = client.get("/dashboard/overview?region=32.73", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"{LOGIN}?next=")
    page = client.get(first.headers["location"])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    login_cookie = _cookie_header(page, "dapur_login").lower()
    assert "httponly" in login_cookie and "samesite=lax" in login_cookie
    data = {
        "username": world.health_32.username,
        "password": world.health_32.password,
        "csrf_token": form_token(page.text),
        "next": "/dashboard/overview?region=32.73",
    }
    resp = client.post(LOGIN, data=data, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/dashboard/overview?region=32.73"
    cookie = _cookie_header(resp, "dapur_session").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
    assert "secure" not in cookie  # plain HTTP here; see the HTTPS test
    assert client.get("/dashboard/overview?region=32.73").status_code == 200


def test_the_cookie_is_secure_over_https(client: TestClient, world: World) -> None:
    client.base_url = "https://testserver"  # type: ignore[assignment]
    page = client.get(LOGIN)
    assert "secure" in _cookie_header(page, "dapur_login").lower()
    resp = client.post(
        LOGIN,
        data={
            "username": world.admin.username,
            "password": world.admin.password,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert "secure" in _cookie_header(resp, "dapur_session").lower()
    assert client.get("/dashboard/overview").status_code == 200


def test_sign_in_without_the_forms_token_is_refused(client: TestClient, world: World) -> None:
    client.get(LOGIN)
    data = {"username": world.admin.username, "password": world.admin.password}
    for token in (None, "forged", form_token(client.get(LOGIN).text) + "0"):
        resp = client.post(
            LOGIN, data={**data, **({"csrf_token": token} if token else {})}, follow_redirects=False
        )
        assert resp.status_code == 403, resp.text
        assert "dapur_session" not in client.cookies
    # A token is bound to its own nonce cookie: another browser's token does not work.
    other = TestClient(client.app)
    stolen = form_token(other.get(LOGIN).text)
    resp = client.post(LOGIN, data={**data, "csrf_token": stolen}, follow_redirects=False)
    assert resp.status_code == 403


def test_wrong_passwords_count_against_the_apis_throttle(client: TestClient, world: World) -> None:
    who = world.health_32
    for _ in range(5):
        page = client.get(LOGIN)
        resp = client.post(
            LOGIN,
            data={
                "username": who.username,
                "password": "wrong",
                "csrf_token": form_token(page.text),
            },
        )
        assert resp.status_code == 401
        assert "Incorrect username or password" in resp.text
    page = client.get(LOGIN)
    resp = client.post(
        LOGIN,
        data={
            "username": who.username,
            "password": who.password,
            "csrf_token": form_token(page.text),
        },
    )
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) > 0
    api = client.post(
        "/api/v1/auth/token", data={"username": who.username, "password": who.password}
    )
    assert api.status_code == 429


def test_api_credentials_never_open_a_page(client: TestClient, world: World) -> None:
    headers = [world.p.health_32, world.health_32.headers, world.admin.headers]
    for page in PAGES:
        for h in headers:
            resp = client.get(page, headers=h, follow_redirects=False)
            assert resp.status_code == 303 and resp.headers["location"].startswith(LOGIN)


def test_a_session_cookie_is_no_bearer_token_and_the_reverse(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.admin)
    cookie = client.cookies["dapur_session"]
    assert client.get("/api/v1/me", headers=bearer(cookie)).status_code == 401
    client.cookies.clear()
    token = world.admin.headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set("dapur_session", token, path="/dashboard")
    resp = client.get("/dashboard/overview", follow_redirects=False)
    assert resp.status_code == 303


def test_changing_the_password_ends_the_session(client: TestClient, world: World) -> None:
    sign_in(client, world.health_32)
    assert client.get("/dashboard/overview").status_code == 200
    resp = client.patch(
        f"/api/v1/users/{world.health_32.user_id}",
        json={"password": "another-password-2"},
        headers=world.admin.headers,
    )
    assert resp.status_code == 200, resp.text
    stale = client.cookies["dapur_session"]
    resp = client.get("/dashboard/overview", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith(LOGIN)
    # The sign-in form does not take the revoked session for a live one.
    client.cookies.set("dapur_session", stale, path="/dashboard")
    assert client.get(LOGIN, follow_redirects=False).status_code == 200


def test_a_session_past_half_its_life_is_renewed(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = uuid.UUID(world.health_32.user_id)
    issued = utcnow() - timedelta(minutes=20)
    monkeypatch.setattr(dashboard_session, "utcnow", lambda: issued)
    old = issue_session(user, token_version=1, secret=SECRET, minutes=30)
    monkeypatch.undo()
    client.cookies.set("dapur_session", old, path="/dashboard")
    resp = client.get("/dashboard/overview")
    assert resp.status_code == 200
    value = _cookie_header(resp, "dapur_session").split(";")[0].split("=", 1)[1]
    renewed = read_session(value, secret=SECRET)
    before = read_session(old, secret=SECRET)
    assert renewed is not None and before is not None
    assert renewed.session_id == before.session_id
    assert renewed.expires_at > before.expires_at
    # A fresh session is left as it is.
    again = client.get("/dashboard/overview")
    assert "dapur_session" not in again.headers.get("set-cookie", "")


def test_an_expired_or_forged_session_is_sent_to_sign_in(client: TestClient, world: World) -> None:
    user = uuid.UUID(world.health_32.user_id)
    for value in (
        issue_session(user, token_version=1, secret=SECRET, minutes=-1),
        issue_session(
            user, token_version=1, secret="another-secret-0123456789abcdef0123", minutes=5
        ),
    ):
        client.cookies.set("dapur_session", value, path="/dashboard")
        resp = client.get("/dashboard/overview", follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith(LOGIN)
    client.cookies.set(
        "dapur_session",
        issue_session(user, token_version=1, secret=SECRET, minutes=5),
        path="/dashboard",
    )
    assert client.get("/dashboard/overview").status_code == 200


def test_sign_out_needs_the_sessions_token(client: TestClient, world: World) -> None:
    sign_in(client, world.health_32)
    page = client.get("/dashboard/overview")
    resp = client.post("/dashboard/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert resp.status_code == 403
    assert client.get("/dashboard/overview").status_code == 200
    resp = client.post(
        "/dashboard/logout", data={"csrf_token": form_token(page.text)}, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == LOGIN
    assert "dapur_session" not in client.cookies
    resp = client.get("/dashboard/overview", follow_redirects=False)
    assert resp.status_code == 303


def test_only_dashboard_paths_are_followed_after_sign_in(client: TestClient, world: World) -> None:
    for target in ("https://evil.example/", "//evil.example/dashboard", "/api/v1/me", "/\\evil"):
        client.cookies.clear()
        assert sign_in(client, world.admin, next_=target) == "/dashboard"


def test_pages_carry_a_strict_content_security_policy(client: TestClient, world: World) -> None:
    sign_in(client, world.admin)
    for path in (*PAGES, LOGIN, f"/dashboard/kitchens/{world.p.a1['id']}"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        csp = resp.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert resp.headers["cache-control"] == "no-store"
        assert "<script" not in resp.text
    assert client.get("/api/v1/me", headers=world.admin.headers).headers[
        "content-security-policy"
    ] == ("default-src 'none'; frame-ancestors 'none'")


def test_scope_follows_the_apis_policies(client: TestClient, world: World) -> None:
    a1, c = world.p.a1["id"], world.p.c["id"]
    cases = {
        world.health_35: {
            "/dashboard/overview": 200,
            "/dashboard/overview?region=32": 404,
            "/dashboard/overview?region=32.73": 404,
            "/dashboard/overview?region=bogus": 404,
            f"/dashboard/kitchens/{a1}": 404,
            f"/dashboard/kitchens/{c}": 200,
            "/dashboard/agriculture": 403,
        },
        world.agri_32: {
            "/dashboard/agriculture": 200,
            "/dashboard/agriculture?region=32.73": 200,
            "/dashboard/agriculture?region=35": 404,
            "/dashboard/agriculture.csv?region=35": 404,
            "/dashboard/overview": 403,
            f"/dashboard/kitchens/{a1}": 403,
        },
        world.manager_a1: {
            f"/dashboard/kitchens/{a1}": 200,
            f"/dashboard/kitchens/{c}": 404,
            f"/dashboard/kitchens/{world.p.a2['id']}": 404,
            "/dashboard/overview": 403,
            "/dashboard/agriculture": 403,
        },
        world.admin: {
            "/dashboard/overview": 200,
            "/dashboard/overview?region=35.78": 200,
            f"/dashboard/kitchens/{c}": 200,
            "/dashboard/agriculture": 200,
            f"/dashboard/kitchens/{a1}?date=2026-13-01": 422,
            f"/dashboard/kitchens/{a1}?date=2026-11-301": 422,
            "/dashboard/kitchens/not-a-uuid": 422,
        },
    }
    for who, pages in cases.items():
        client.cookies.clear()
        sign_in(client, who)
        for path, status in pages.items():
            resp = client.get(path)
            assert resp.status_code == status, (who.username, path, resp.text[:300])
            assert resp.headers["content-type"].startswith(
                "text/csv" if status == 200 and ".csv" in path else "text/html"
            )


def test_other_regions_never_appear_in_a_health_offices_overview(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.health_35)
    html = client.get("/dashboard/overview").text
    for kitchen in (world.p.a1, world.p.a2, world.p.b):
        assert kitchen["id"] not in html and kitchen["code"] not in html
    assert set(tables(html)["parts"]) == {"35.78"}


def test_overview_numbers_equal_the_apis_at_every_level(client: TestClient, world: World) -> None:
    first, last = world.today - timedelta(days=29), world.today
    cases = [
        (world.health_32, None, "32"),
        (world.health_32, "32.73", "32.73"),
        (world.health_32, "32.73.01", "32.73.01"),
        (world.admin, None, None),
    ]
    for who, asked, region in cases:
        client.cookies.clear()
        sign_in(client, who)
        html = client.get("/dashboard/overview", params={"region": asked} if asked else None).text
        attrs = element_attrs(html, "overview")
        assert (attrs["data-from"], attrs["data-to"]) == (first.isoformat(), last.isoformat())
        want = expected.overview(client, who.headers, region, first, last, today=world.today)
        assert shown(tables(html), want) == want, (who.username, region)


def test_an_earlier_window_is_the_apis_for_those_days(client: TestClient, world: World) -> None:
    sign_in(client, world.health_32)
    last = world.today - timedelta(days=5)
    html = client.get("/dashboard/overview", params={"to": last.isoformat()}).text
    want = expected.overview(
        client,
        world.health_32.headers,
        "32",
        last - timedelta(days=29),
        last,
        today=world.today,
    )
    assert shown(tables(html), want) == want


def test_kitchen_page_numbers_equal_the_apis(client: TestClient, world: World) -> None:
    for who in (world.health_32, world.manager_a1, world.admin):
        client.cookies.clear()
        sign_in(client, who)
        for day in (world.today, world.today - timedelta(days=4)):
            html = client.get(
                f"/dashboard/kitchens/{world.p.a1['id']}", params={"date": day.isoformat()}
            ).text
            want = expected.kitchen(client, who.headers, world.p.a1["id"], day, today=world.today)
            assert shown(tables(html), want) == want
            # Staff and shifts only for those who may read staff through the API.
            assert ("day-shifts" in tables(html)) == (who is not world.health_32)


def test_agriculture_page_and_csv_equal_the_apis(client: TestClient, world: World) -> None:
    for who, region, level in ((world.agri_32, "32", "province"), (world.admin, None, "province")):
        client.cookies.clear()
        sign_in(client, who)
        html = client.get("/dashboard/agriculture").text
        attrs = element_attrs(html, "agriculture")
        first, last = attrs["data-from"], attrs["data-to"]
        want = expected.demand(
            client, who.headers, region, date.fromisoformat(first), date.fromisoformat(last), level
        )
        assert shown(tables(html), want) == want
        for table in want:
            assert set(tables(html)[table]) == {*want[table], "total"}
        csv = client.get("/dashboard/agriculture.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        params = {
            "from": first,
            "to": last,
            "period": "week",
            "by": "commodity",
            "region_level": level,
            "format": "csv",
            **({"region_code": region} if region else {}),
        }
        api = client.get(
            "/api/v1/integrations/agriculture/ingredient-demand", params=params, headers=who.headers
        )
        assert csv.text == api.text


def test_text_from_the_data_is_escaped(client: TestClient, world: World) -> None:
    make_kitchen(
        client, world.admin.headers, region_code="32.73.02", name='<script>alert("x")</script>'
    )
    sign_in(client, world.health_32)
    html = client.get("/dashboard/overview", params={"region": "32.73"}).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script" not in html
