"""Fixtures of the dashboard tests: the world, and signing in through the form."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.dashboard.world import Person, World, make_world

LOGIN = "/dashboard/login"


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> World:
    return make_world(client, admin)


def form_token(html: str) -> str:
    """The CSRF token of the page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, who: Person, *, next_: str | None = None) -> str:
    """Sign in through the form; the client then holds the session cookie. Returns where
    the browser was sent."""
    page = client.get(LOGIN, params={"next": next_} if next_ else None)
    assert page.status_code == 200, page.text
    data = {"username": who.username, "password": who.password, "csrf_token": form_token(page.text)}
    if next_:
        data["next"] = next_
    resp = client.post(LOGIN, data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    assert "dapur_session" in client.cookies
    return resp.headers["location"]
