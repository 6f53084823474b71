"""Every write that changes the day view changes its ETag: generated from the route table.

The day view answers `If-None-Match` with 304 without building the view: its tag is made of
the versions of what it reads (app/dayview/service.py). This proves those versions move
with every write that shows in the view. Each write route of the application that admin
may call is made once, with the authorization matrix's world, rows and bodies
(tests/reliability/test_authz_matrix.py); kitchen A's day view of the date the world's
objects use is read before and after. When the body changed, the ETag must have changed,
and the old tag must no longer answer 304. A write route without a row in the matrix
fails here too.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.builders.menus import make_menu
from tests.reliability.test_authz_matrix import (
    ADMIN,
    API,
    ROUTES,
    api_routes,
    build_world,
    expected_status,
    request_args,
)

DAY = "2026-03-02"  # the world's shift, food-safety check and meal counts are of this day
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Writes the world's objects make visible in the view: if none of these changed the body,
# the test would prove nothing.
SHOWN = {
    ("PATCH", "/schools/{school_id}"),
    ("PATCH", "/shifts/{shift_id}"),
    ("PATCH", "/menus/{menu_id}"),
    ("PATCH", "/deliveries/{delivery_id}"),
    ("PUT", "/kitchens/{kitchen_id}/hygiene-certificate"),
}


def test_every_write_that_changes_the_day_view_changes_its_etag(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    writes = {(m, p) for m, p in api_routes(app) if m in WRITES}
    rows = [row for row in ROUTES if row.method in WRITES]
    missing = writes - {(row.method, row.path) for row in rows}
    assert not missing, f"write routes without a row in the authorization matrix: {missing}"

    world = build_world(client, admin)
    a = str(world.a["id"])
    # A menu on the view's day, so that menu writes show in it.
    world.ops["menu"] = make_menu(
        client, admin, a, [(world.ops["recipe"]["id"], 1)], service_date=DAY
    )
    view = f"{API}/kitchens/{a}/today"

    def day_view() -> tuple[str, Any]:
        resp = client.get(view, params={"date": DAY}, headers=admin)
        assert resp.status_code == 200, resp.text
        return resp.headers["etag"], resp.json()

    changed, wrong = set(), []
    for row in rows:
        if expected_status(row, ADMIN) >= 400:
            continue
        url, kwargs = request_args(world, row, ADMIN)
        tag, before = day_view()
        resp = client.request(row.method, url, **kwargs)
        assert resp.status_code == expected_status(row, ADMIN), (row, resp.text)
        new_tag, after = day_view()
        if after == before:
            continue
        changed.add((row.method, row.path))
        cached = client.get(view, params={"date": DAY}, headers={**admin, "If-None-Match": tag})
        if new_tag == tag or cached.status_code != 200:
            wrong.append(f"{row.method} {row.path}: the view changed, its ETag did not")
    assert not wrong, "\n".join(wrong)
    assert changed >= SHOWN, f"these writes should have changed the view: {SHOWN - changed}"
