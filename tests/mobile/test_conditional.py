"""docs/mobile.md: ETags and If-None-Match on GET, If-Match on PATCH and PUT."""

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    assert_problem,
    make_api_key,
    make_kitchen,
    make_manager,
    make_school,
    make_user,
)

STRONG_TAG = re.compile(r'^"[0-9a-f]{32}"$')
Headers = dict[str, str]


def get_tag(client: Any, url: str, headers: Headers) -> str:
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.text
    tag: str = resp.headers["etag"]
    assert STRONG_TAG.match(tag), tag
    return tag


@pytest.fixture
def kitchen(client: TestClient, admin: Headers) -> dict[str, Any]:
    return make_kitchen(client, admin, name="SPPG Cimahi")


def test_get_carries_a_strong_etag(
    client: TestClient, admin: Headers, kitchen: dict[str, Any]
) -> None:
    # A single resource is tagged from its version (a 304 then costs one indexed read).
    resp = client.get(f"/api/v1/kitchens/{kitchen['id']}", headers=admin)
    assert resp.status_code == 200
    assert STRONG_TAG.match(resp.headers["etag"])
    assert resp.headers["cache-control"] == "private, no-cache"
    # The same representation again: the same tag.
    assert get_tag(client, f"/api/v1/kitchens/{kitchen['id']}", admin) == resp.headers["etag"]


def test_list_etag_is_the_hash_of_its_body(client: TestClient, admin: Headers) -> None:
    resp = client.get("/api/v1/kitchens", headers=admin)
    assert resp.status_code == 200
    assert resp.headers["etag"] == '"' + hashlib.sha256(resp.content).hexdigest()[:32] + '"'


@pytest.mark.parametrize(
    "header",
    ["{tag}", "W/{tag}", '"0000", {tag}', '"0000",W/{tag} , "1111"', "*"],
)
def test_if_none_match_answers_304_without_body(
    client: TestClient, admin: Headers, kitchen: dict[str, Any], header: str
) -> None:
    url = f"/api/v1/kitchens/{kitchen['id']}"
    tag = get_tag(client, url, admin)
    resp = client.get(url, headers={**admin, "If-None-Match": header.format(tag=tag)})
    assert resp.status_code == 304
    assert resp.content == b""
    assert resp.headers["etag"] == tag
    assert "content-type" not in resp.headers


def test_if_none_match_with_another_tag_answers_200(
    client: TestClient, admin: Headers, kitchen: dict[str, Any]
) -> None:
    url = f"/api/v1/kitchens/{kitchen['id']}"
    tag = get_tag(client, url, admin)
    resp = client.get(url, headers={**admin, "If-None-Match": '"0123", W/"4567"'})
    assert resp.status_code == 200
    assert resp.json()["id"] == kitchen["id"]
    assert resp.headers["etag"] == tag


def test_list_pages_have_etags_and_answer_304(client: TestClient, admin: Headers) -> None:
    for _ in range(3):
        make_kitchen(client, admin)
    first_tag = get_tag(client, "/api/v1/kitchens?limit=2", admin)
    resp = client.get("/api/v1/kitchens?limit=2", headers={**admin, "If-None-Match": first_tag})
    assert resp.status_code == 304 and resp.content == b""
    cursor = client.get("/api/v1/kitchens?limit=2", headers=admin).json()["next_cursor"]
    second = f"/api/v1/kitchens?limit=2&cursor={cursor}"
    second_tag = get_tag(client, second, admin)
    assert second_tag != first_tag
    assert client.get(second, headers={**admin, "If-None-Match": second_tag}).status_code == 304
    # A page's tag is the tag of that page: the first page's tag does not match the second.
    assert client.get(second, headers={**admin, "If-None-Match": first_tag}).status_code == 200


def test_list_etag_changes_when_the_list_changes(client: TestClient, admin: Headers) -> None:
    kitchen = make_kitchen(client, admin)
    url = f"/api/v1/kitchens/{kitchen['id']}/schools"
    make_school(client, admin, kitchen["id"])
    tag = get_tag(client, url, admin)
    make_school(client, admin, kitchen["id"])
    resp = client.get(url, headers={**admin, "If-None-Match": tag})
    assert resp.status_code == 200
    assert len(resp.json()["items"]) == 2
    assert resp.headers["etag"] != tag


def test_every_get_in_the_api_is_tagged(client: TestClient, admin: Headers) -> None:
    kitchen = make_kitchen(client, admin)
    school = make_school(client, admin, kitchen["id"])
    user, _ = make_user(client, admin, "kitchen_manager", kitchen_ids=[kitchen["id"]])
    make_api_key(client, admin, "health_office", "32")
    for url in [
        "/api/v1/me",
        "/api/v1/kitchens",
        f"/api/v1/kitchens/{kitchen['id']}",
        f"/api/v1/kitchens/{kitchen['id']}/schools",
        f"/api/v1/schools/{school['id']}",
        "/api/v1/users",
        f"/api/v1/users/{user['id']}",
        "/api/v1/api-keys",
    ]:
        tag = get_tag(client, url, admin)
        assert client.get(url, headers={**admin, "If-None-Match": tag}).status_code == 304, url


def test_errors_are_not_tagged_and_ignore_if_none_match(client: TestClient, admin: Headers) -> None:
    url = "/api/v1/kitchens/9b2e4f7a-0000-4000-8000-000000000000"
    resp = client.get(url, headers={**admin, "If-None-Match": "*"})
    assert_problem(resp, 404, "not_found")
    assert "etag" not in resp.headers
    assert_problem(client.get("/api/v1/kitchens", headers={"If-None-Match": "*"}), 401)


def test_etag_changes_when_the_resource_changes(
    client: TestClient, admin: Headers, kitchen: dict[str, Any]
) -> None:
    url = f"/api/v1/kitchens/{kitchen['id']}"
    old = get_tag(client, url, admin)
    assert client.patch(url, json={"name": "SPPG Cimahi Utara"}, headers=admin).status_code == 200
    resp = client.get(url, headers={**admin, "If-None-Match": old})
    assert resp.status_code == 200
    assert resp.json()["name"] == "SPPG Cimahi Utara"
    assert resp.headers["etag"] != old


def test_if_match_current_applies_and_stale_gets_412_changing_nothing(
    client: TestClient, admin: Headers, kitchen: dict[str, Any]
) -> None:
    url = f"/api/v1/kitchens/{kitchen['id']}"
    first = get_tag(client, url, admin)
    resp = client.patch(url, json={"name": "Renamed once"}, headers={**admin, "If-Match": first})
    assert resp.status_code == 200, resp.text
    assert resp.json()["name"] == "Renamed once"
    second = get_tag(client, url, admin)
    assert second != first

    # Another client still holds the first tag: refused, nothing changed.
    stale = client.patch(
        url,
        json={"name": "Lost update", "capacity_per_day": 9},
        headers={**admin, "If-Match": first},
    )
    assert_problem(stale, 412, "precondition_failed")
    after = client.get(url, headers=admin)
    assert after.json()["name"] == "Renamed once"
    assert after.json()["capacity_per_day"] is None
    assert after.headers["etag"] == second

    # Weak tags never match If-Match (strong comparison); a list with the current tag does.
    assert_problem(
        client.patch(url, json={"name": "x"}, headers={**admin, "If-Match": f"W/{second}"}), 412
    )
    listed = client.patch(
        url, json={"name": "Renamed twice"}, headers={**admin, "If-Match": f'"0000", {second}'}
    )
    assert listed.status_code == 200
    star = client.patch(url, json={"name": "Renamed thrice"}, headers={**admin, "If-Match": "*"})
    assert star.status_code == 200
    assert client.get(url, headers=admin).json()["name"] == "Renamed thrice"


@pytest.mark.parametrize("what", ["school", "user"])
def test_if_match_on_other_resources(client: TestClient, admin: Headers, what: str) -> None:
    kitchen = make_kitchen(client, admin)
    if what == "school":
        obj = make_school(client, admin, kitchen["id"])
        url, change, field = f"/api/v1/schools/{obj['id']}", {"name": "SD Baru"}, "name"
    else:
        obj, _ = make_user(client, admin, "health_office", region_code="32")
        url, change, field = f"/api/v1/users/{obj['id']}", {"full_name": "Nama Baru"}, "full_name"
    tag = get_tag(client, url, admin)
    ok = client.patch(url, json=change, headers={**admin, "If-Match": tag})
    assert ok.status_code == 200, ok.text
    stale = client.patch(url, json={field: "Never"}, headers={**admin, "If-Match": tag})
    assert_problem(stale, 412, "precondition_failed")
    assert client.get(url, headers=admin).json()[field] == change[field]


def test_if_match_respects_scope_and_roles(client: TestClient, admin: Headers) -> None:
    a = make_kitchen(client, admin, region_code="32.73.01")
    b = make_kitchen(client, admin, region_code="35.78.02")
    school = make_school(client, admin, a["id"])
    url = f"/api/v1/schools/{school['id']}"
    tag = get_tag(client, url, admin)
    manager_a = make_manager(client, admin, a["id"])
    manager_b = make_manager(client, admin, b["id"])
    _, health = make_api_key(client, admin, "health_office", "32.73")
    _, agri = make_api_key(client, admin, "agriculture_office", "32")

    # The manager's GET shows the same bytes, so the admin's tag is the manager's tag.
    assert get_tag(client, url, manager_a) == tag
    # Another kitchen's manager learns nothing: 404, as without the header.
    assert_problem(
        client.patch(url, json={"name": "x"}, headers={**manager_b, "If-Match": tag}), 404
    )
    # A role that may read but not write: the write's own 403 once the tag matches.
    assert_problem(
        client.patch(url, json={"name": "x"}, headers={**health, "If-Match": tag}),
        403,
        "role_forbidden",
    )
    # A role that may not even read: 403, never a hint of the current tag.
    resp = client.patch(url, json={"name": "x"}, headers={**agri, "If-Match": '"0000"'})
    assert_problem(resp, 403, "role_forbidden")
    assert_problem(client.patch(url, json={"name": "x"}, headers={"If-Match": tag}), 401)
    resp = client.patch(url, json={"name": "Dari manajer"}, headers={**manager_a, "If-Match": tag})
    assert resp.status_code == 200, resp.text
    assert client.get(url, headers=admin).json()["name"] == "Dari manajer"


def test_if_match_on_a_missing_object_is_404(client: TestClient, admin: Headers) -> None:
    resp = client.patch(
        "/api/v1/kitchens/9b2e4f7a-0000-4000-8000-000000000000",
        json={"name": "x"},
        headers={**admin, "If-Match": '"0000"'},
    )
    assert_problem(resp, 404, "not_found")


def _counts_url(client: TestClient, admin: Headers) -> tuple[str, dict[str, Any]]:
    kitchen = make_kitchen(client, admin)
    school = make_school(client, admin, kitchen["id"])
    return f"/api/v1/kitchens/{kitchen['id']}/meal-counts/2026-03-02", school


def _counts(school: dict[str, Any], planned: int) -> dict[str, Any]:
    return {"counts": [{"school_id": school["id"], "target_group": "7-9", "planned": planned}]}


def test_if_match_on_put(client: TestClient, admin: Headers) -> None:
    url, school = _counts_url(client, admin)
    # No current representation (the GET answers 404): the write answers as it would
    # without the header (RFC 9110 §13.2.2), here creating the day. Days are never
    # deleted, so no client can hold a tag for one that is gone.
    resp = client.put(url, json=_counts(school, 1), headers={**admin, "If-Match": '"0000"'})
    assert resp.status_code == 200, resp.text

    tag = get_tag(client, url, admin)
    resp = client.put(url, json=_counts(school, 2), headers={**admin, "If-Match": tag})
    assert resp.status_code == 200
    stale = client.put(url, json=_counts(school, 3), headers={**admin, "If-Match": tag})
    assert_problem(stale, 412, "precondition_failed")
    assert client.get(url, headers=admin).json()["totals"]["planned"] == 2
    assert client.put(url, json=_counts(school, 4), headers={**admin, "If-Match": "*"}).is_success


def _race(base: list[str], headers: Headers, url: str, tag: str, n: int) -> list[httpx.Response]:
    barrier = threading.Barrier(n)

    def patch(i: int) -> httpx.Response:
        with httpx.Client(base_url=base[i % len(base)], timeout=30) as c:
            barrier.wait()
            return c.patch(url, json={"name": f"writer {i}"}, headers={**headers, "If-Match": tag})

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(patch, range(n)))


def _one_writer_wins(base: list[str], admin: Headers) -> None:
    with httpx.Client(base_url=base[0], timeout=30) as c:
        kitchen = make_kitchen(c, admin)  # type: ignore[arg-type]
        url = f"/api/v1/kitchens/{kitchen['id']}"
        tag = get_tag(c, url, admin)
        results = _race(base, admin, url, tag, 4)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 412, 412, 412], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200)
        assert c.get(url, headers=admin).json()["name"] == winner.json()["name"]


def test_concurrent_writes_with_one_tag_let_exactly_one_through(
    live_server: str, admin: Headers
) -> None:
    _one_writer_wins([live_server], admin)


@pytest.mark.postgres_only
def test_concurrent_writes_through_two_processes_let_exactly_one_through(
    live_server: str, second_server: str, admin: Headers
) -> None:
    _one_writer_wins([live_server, second_server], admin)


def test_a_write_answer_carries_the_new_etag(
    client: TestClient, admin: Headers, kitchen: dict[str, Any]
) -> None:
    url = f"/api/v1/kitchens/{kitchen['id']}"
    tag = get_tag(client, url, admin)
    names = ["Satu", "Dua", "Tiga"]
    for name in names:
        resp = client.patch(url, json={"name": name}, headers={**admin, "If-Match": tag})
        assert resp.status_code == 200, resp.text
        assert resp.headers["etag"] != tag
        tag = resp.headers["etag"]
        # The tag a write returns is the tag a GET now returns.
        assert get_tag(client, url, admin) == tag
    assert client.get(url, headers=admin).json()["name"] == names[-1]


def test_a_put_answer_carries_the_etag_a_get_gives(client: TestClient, admin: Headers) -> None:
    url, school = _counts_url(client, admin)
    created = client.put(url, json=_counts(school, 1), headers=admin)
    assert created.status_code == 200
    assert created.headers["etag"] == get_tag(client, url, admin)
    second = client.put(
        url, json=_counts(school, 2), headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert second.status_code == 200
    assert second.headers["etag"] == get_tag(client, url, admin)
    assert_problem(
        client.put(
            url, json=_counts(school, 3), headers={**admin, "If-Match": created.headers["etag"]}
        ),
        412,
    )
