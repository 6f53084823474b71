"""Deliveries: one per school, date and meal type; times in order; flags from the rules;
writes that survive a flaky network (Idempotency-Key on POST, If-Match on PATCH)."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all, make_school
from tests.builders.deliveries import delivery_body, make_delivery, patch_delivery, suspend
from tests.builders.menus import MISSING, OpsWorld, make_ops_world, make_safety_check

DAY = "2026-03-02"
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    return make_ops_world(client, admin)


@pytest.fixture
def school(client: TestClient, world: OpsWorld) -> dict[str, Any]:
    return make_school(client, world.admin, world.a["id"], enrolment={"7-9": 120})


def _url(world: OpsWorld) -> str:
    return f"/api/v1/kitchens/{world.a['id']}/deliveries"


def test_create_returns_utc_and_computed_flags(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    make_safety_check(client, world.manager_a, world.a["id"], cooked_at=f"{DAY}T05:00:00+07:00")
    made = make_delivery(client, world.manager_a, world.a["id"], school["id"], DAY)
    assert made["kitchen_id"] == world.a["id"] and made["school_id"] == school["id"]
    assert made["meal_type"] == "lunch" and made["portions"] == 120
    assert datetime.fromisoformat(made["departed_at"]) == datetime(2026, 3, 2, 9, tzinfo=WIB)
    assert made["departed_at"].endswith(("Z", "+00:00"))
    assert datetime.fromisoformat(made["cooked_at"]) == datetime(2026, 3, 2, 5, tzinfo=WIB)
    # The day is long over and nobody recorded an arrival.
    assert made["flags"] == ["not_received"]
    assert made["arrived_at"] is None and made["received_portions"] is None
    got = client.get(f"/api/v1/deliveries/{made['id']}", headers=world.health_a)
    assert got.status_code == 200 and got.json() == made


@pytest.mark.parametrize(
    ("cooked", "patch", "flags"),
    [
        # Four hours from cooking to eating is the target, six the limit; exactly is not over.
        ("05:00", {"arrived_at": "08:30", "consumption_started_at": "09:00"}, []),
        ("05:00", {"arrived_at": "08:30", "consumption_started_at": "09:01"}, ["over_4h"]),
        ("05:00", {"arrived_at": "09:30", "consumption_started_at": "11:00"}, ["over_4h"]),
        (
            "05:00",
            {"arrived_at": "09:30", "consumption_started_at": "11:01"},
            ["over_4h", "over_6h"],
        ),
        # Without a consumption time, the hours run to arrival.
        ("03:00", {"arrived_at": "09:30"}, ["over_4h", "over_6h"]),
        ("06:00", {"arrived_at": "09:30"}, []),
        # Fewer portions received than sent.
        ("06:00", {"arrived_at": "09:30", "received_portions": 119}, ["short_delivery"]),
        ("06:00", {"arrived_at": "09:30", "received_portions": 120}, []),
        # No food-safety check that day: hours cannot be counted, and that is a flag.
        (None, {"arrived_at": "09:30", "consumption_started_at": "20:00"}, ["no_cooking_record"]),
        (None, {}, ["not_received", "no_cooking_record"]),
    ],
)
def test_flags(
    client: TestClient,
    world: OpsWorld,
    school: dict[str, Any],
    cooked: str | None,
    patch: dict[str, Any],
    flags: list[str],
) -> None:
    if cooked is not None:
        make_safety_check(
            client,
            world.manager_a,
            world.a["id"],
            cooked_at=f"{DAY}T{cooked}:00+07:00",
            dispatched_at=None,
        )
    made = make_delivery(
        client, world.manager_a, world.a["id"], school["id"], DAY,
        departed_at=f"{DAY}T07:00:00+07:00",
    )  # fmt: skip
    body = {k: (f"{DAY}T{v}:00+07:00" if k.endswith("_at") else v) for k, v in patch.items()}
    done = patch_delivery(client, world.manager_a, made["id"], **body) if body else made
    assert done["flags"] == flags
    listed = client.get(_url(world), params={"from": DAY, "to": DAY}, headers=world.admin).json()
    assert [d["flags"] for d in listed["items"]] == [flags]


def test_hours_count_from_the_cooking_the_delivery_carried(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    """Breakfast cooked at 03:00 and lunch at 08:00: the lunch that left at 09:00 is
    measured from 08:00, not from the night's cooking."""
    kid = world.a["id"]
    for cooked in ("03:00", "08:00"):
        make_safety_check(
            client, world.admin, kid, cooked_at=f"{DAY}T{cooked}:00+07:00", dispatched_at=None
        )
    other = make_school(client, world.admin, kid)
    breakfast = make_delivery(
        client,
        world.admin,
        kid,
        other["id"],
        DAY,
        meal_type="breakfast",
        departed_at=f"{DAY}T05:00:00+07:00",
    )
    lunch = make_delivery(client, world.admin, kid, school["id"], DAY)
    assert datetime.fromisoformat(breakfast["cooked_at"]) == datetime(2026, 3, 2, 3, tzinfo=WIB)
    assert datetime.fromisoformat(lunch["cooked_at"]) == datetime(2026, 3, 2, 8, tzinfo=WIB)
    late = patch_delivery(
        client, world.admin, lunch["id"], consumption_started_at=f"{DAY}T12:30:00+07:00"
    )
    assert late["flags"] == ["over_4h"]  # 4.5 h after 08:00 (9.5 h after 03:00)
    # Departing before any cooking recorded that day (a late check): the day's earliest.
    early = make_delivery(
        client,
        world.admin,
        kid,
        school["id"],
        DAY,
        meal_type="snack",
        departed_at=f"{DAY}T02:00:00+07:00",
    )
    assert datetime.fromisoformat(early["cooked_at"]) == datetime(2026, 3, 2, 3, tzinfo=WIB)


def test_flags_follow_a_corrected_cooking_record_and_move_the_etag(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    kid = world.a["id"]
    check = make_safety_check(
        client, world.admin, kid, cooked_at=f"{DAY}T07:00:00+07:00", dispatched_at=None
    )
    made = make_delivery(client, world.admin, kid, school["id"], DAY)
    patch_delivery(client, world.admin, made["id"], arrived_at=f"{DAY}T10:00:00+07:00")
    first = client.get(f"/api/v1/deliveries/{made['id']}", headers=world.admin)
    assert first.json()["flags"] == []
    fixed = client.patch(
        f"/api/v1/food-safety-checks/{check['id']}",
        json={"cooked_at": f"{DAY}T04:00:00+07:00"},
        headers=world.admin,
    )
    assert fixed.status_code == 200, fixed.text
    again = client.get(
        f"/api/v1/deliveries/{made['id']}",
        headers={**world.admin, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 200 and again.json()["flags"] == ["over_4h"]
    assert again.headers["etag"] != first.headers["etag"]


def test_today_is_not_yet_not_received(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    today = datetime.now(WIB).date()
    kid = world.a["id"]
    made = make_delivery(
        client,
        world.admin,
        kid,
        school["id"],
        str(today),
        departed_at=datetime.now(WIB).replace(microsecond=0).isoformat(),
    )
    assert made["flags"] == ["no_cooking_record"]


def test_one_delivery_per_school_date_and_meal_type(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    kid = world.a["id"]
    first = make_delivery(client, world.manager_a, kid, school["id"], DAY)
    again = client.post(
        _url(world), json=delivery_body(school["id"], DAY, portions=5), headers=world.manager_a
    )
    assert assert_problem(again, 409, "delivery_exists")["delivery_id"] == first["id"]
    make_delivery(client, world.manager_a, kid, school["id"], DAY, meal_type="snack")
    make_delivery(client, world.manager_a, kid, school["id"], "2026-03-03")


def test_a_retried_post_creates_one_delivery(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    """The driver's phone loses the answer and sends the same POST again."""
    body = delivery_body(school["id"], DAY)
    headers = {**world.manager_a, "Idempotency-Key": "driver-7f3a-2026-03-02-lunch"}
    first = client.post(_url(world), json=body, headers=headers)
    retry = client.post(_url(world), json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers.get("idempotent-replayed") == "true"
    assert len(list_all(client, _url(world), world.manager_a)) == 1
    reused = client.post(_url(world), json={**body, "portions": 3}, headers=headers)
    assert_problem(reused, 422, "idempotency_key_reused")


def test_patch_takes_if_match(client: TestClient, world: OpsWorld, school: dict[str, Any]) -> None:
    made = make_delivery(client, world.manager_a, world.a["id"], school["id"], DAY)
    url = f"/api/v1/deliveries/{made['id']}"
    tag = client.get(url, headers=world.manager_a).headers["etag"]
    arrived = {"arrived_at": f"{DAY}T09:40:00+07:00", "received_by": "Ibu Ratna"}
    ok = client.patch(url, json=arrived, headers={**world.manager_a, "If-Match": tag})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] != tag
    assert ok.headers["etag"] == client.get(url, headers=world.manager_a).headers["etag"]
    # A second phone still holding the old tag must not overwrite the first one's record.
    stale = client.patch(
        url, json={"received_portions": 100}, headers={**world.manager_a, "If-Match": tag}
    )
    assert_problem(stale, 412, "precondition_failed")
    assert client.get(url, headers=world.manager_a).json()["received_portions"] is None
    # Replaying the applied PATCH with its new tag is harmless.
    new_tag = ok.headers["etag"]
    same = client.patch(url, json=arrived, headers={**world.manager_a, "If-Match": new_tag})
    assert same.status_code == 200 and same.json()["received_by"] == "Ibu Ratna"
    # Optional fields may be cleared; required ones may not.
    cleared = patch_delivery(client, world.manager_a, made["id"], received_by=None)
    assert cleared["received_by"] is None
    assert_problem(client.patch(url, json={"portions": None}, headers=world.manager_a), 422)


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"arrived_at": f"{DAY}T08:59:00+07:00"}, "arrived_at"),
        (
            {
                "arrived_at": f"{DAY}T10:00:00+07:00",
                "consumption_started_at": f"{DAY}T09:59:00+07:00",
            },
            "consumption_started_at",
        ),
        ({"consumption_started_at": f"{DAY}T08:00:00+07:00"}, "consumption_started_at"),
        (
            {"departed_at": f"{DAY}T11:00:00+07:00", "arrived_at": f"{DAY}T10:00:00+07:00"},
            "arrived_at",
        ),
        ({"received_portions": 121}, "received_portions"),
        ({"departed_at": "2026-03-04T08:00:00+07:00"}, "departed_at"),
        ({"arrived_at": "2026-03-02T10:00:00"}, "arrived_at"),  # no offset
        ({"arrival_temp_c": 400}, "arrival_temp_c"),
        ({"notes": "a\u0000b"}, None),
    ],
)
def test_times_must_run_in_order(
    client: TestClient,
    world: OpsWorld,
    school: dict[str, Any],
    patch: dict[str, Any],
    where: str | None,
) -> None:
    made = make_delivery(client, world.manager_a, world.a["id"], school["id"], DAY)
    resp = client.patch(f"/api/v1/deliveries/{made['id']}", json=patch, headers=world.manager_a)
    body = assert_problem(resp, 422)
    if where is not None:
        assert any(e["loc"][-1] == where for e in body["errors"]), body
    assert client.get(f"/api/v1/deliveries/{made['id']}", headers=world.manager_a).json() == made


def test_create_refuses_bad_bodies(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    other_kitchens = make_school(client, world.admin, world.b["id"])
    resp = client.post(
        _url(world), json=delivery_body(other_kitchens["id"], DAY), headers=world.manager_a
    )
    assert_problem(resp, 422, "school_not_in_kitchen")
    resp = client.post(_url(world), json=delivery_body(MISSING, DAY), headers=world.manager_a)
    assert_problem(resp, 422, "school_not_in_kitchen")
    for bad in (
        {"departed_at": "2026-02-27T09:00:00+07:00"},  # days before the service date
        {"portions": -1},
        {"portions": 2**31},
        {"meal_type": "dinner"},
        {"departed_at": "2026-03-02 09:00"},
        {"extra": 1},
    ):
        resp = client.post(
            _url(world), json=delivery_body(school["id"], DAY, **bad), headers=world.manager_a
        )
        assert_problem(resp, 422)
    # Food leaving the evening before (kitchen-local) is fine.
    made = make_delivery(
        client, world.manager_a, world.a["id"], school["id"], DAY,
        departed_at="2026-03-01T22:00:00+07:00",
    )  # fmt: skip
    assert made["service_date"] == DAY


def test_a_suspended_kitchen_sends_no_deliveries_but_records_those_on_the_road(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    kid = world.a["id"]
    on_the_road = make_delivery(client, world.manager_a, kid, school["id"], DAY)
    suspend(client, world.health_a, kid)
    resp = client.post(
        _url(world), json=delivery_body(school["id"], "2026-03-03"), headers=world.manager_a
    )
    assert_problem(resp, 409, "kitchen_suspended")
    arrived = patch_delivery(
        client, world.manager_a, on_the_road["id"], arrived_at=f"{DAY}T09:45:00+07:00"
    )
    assert arrived["flags"] == ["no_cooking_record"]


def test_list_filters_and_pages(
    client: TestClient, world: OpsWorld, school: dict[str, Any]
) -> None:
    kid = world.a["id"]
    other = make_school(client, world.admin, kid)
    start = date(2026, 3, 2)
    for n in range(3):
        day = str(start + timedelta(days=n))
        make_delivery(client, world.manager_a, kid, school["id"], day)
        make_delivery(client, world.manager_a, kid, other["id"], day)
    assert len(list_all(client, _url(world), world.manager_a)) == 6
    got = client.get(
        _url(world), params={"from": "2026-03-03", "to": "2026-03-04"}, headers=world.health_a
    )
    assert {d["service_date"] for d in got.json()["items"]} == {"2026-03-03", "2026-03-04"}
    assert len(got.json()["items"]) == 4
    mine = client.get(_url(world), params={"school_id": other["id"]}, headers=world.manager_a)
    assert {d["school_id"] for d in mine.json()["items"]} == {other["id"]}
    backwards = client.get(
        _url(world), params={"from": "2026-03-04", "to": "2026-03-03"}, headers=world.manager_a
    )
    assert_problem(backwards, 422)


def test_access(client: TestClient, world: OpsWorld, school: dict[str, Any]) -> None:
    made = make_delivery(client, world.manager_a, world.a["id"], school["id"], DAY)
    one = f"/api/v1/deliveries/{made['id']}"
    for headers, status in (
        (world.manager_b, 404),
        (world.health_other, 404),
        (world.agri_a, 403),
        (world.health_a, 200),
    ):
        assert client.get(one, headers=headers).status_code == status
        assert client.get(_url(world), headers=headers).status_code == status
    # Health offices read deliveries; only the kitchen's staff record them.
    body = delivery_body(school["id"], "2026-03-05")
    assert_problem(client.post(_url(world), json=body, headers=world.health_a), 403)
    assert_problem(client.patch(one, json={"notes": "x"}, headers=world.health_a), 403)
    assert_problem(client.patch(one, json={"notes": "x"}, headers=world.manager_b), 404)
    assert_problem(client.get(f"/api/v1/deliveries/{MISSING}", headers=world.admin), 404)
