"""Meal counts (docs/menus.md): the day-replacing PUT, its rules, totals, 'today', scope."""

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_school, recorded_statements
from tests.builders.menus import MISSING, OpsWorld, make_ops_world, put_counts

PAST = "2026-03-02"


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    return make_ops_world(client, admin)


@pytest.fixture
def schools(client: TestClient, world: OpsWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    s1 = make_school(client, world.admin, world.a["id"], enrolment={"7-9": 100, "10-12-m": 40})
    s2 = make_school(client, world.admin, world.a["id"], enrolment={"7-9": 30})
    return s1, s2


def url(world: OpsWorld, day: str = PAST) -> str:
    return f"/api/v1/kitchens/{world.a['id']}/meal-counts/{day}"


def by_pair(counts: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["school_id"], c["target_group"]): c for c in counts}


def test_put_defaults_planned_to_enrolment_and_totals_known_values(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, s2 = schools
    counts = [
        {
            "school_id": s1["id"],
            "target_group": "7-9",
            "prepared": 100,
            "served": 95,
            "returned": 3,
        },
        {"school_id": s1["id"], "target_group": "10-12-m", "planned": 38},
        {"school_id": s2["id"], "target_group": "7-9", "prepared": 31},
        # s2 has no enrolment row for 13-15-f: planned defaults to 0.
        {"school_id": s2["id"], "target_group": "13-15-f"},
    ]
    body = put_counts(client, world.manager_a, world.a["id"], PAST, counts)
    assert body["kitchen_id"] == world.a["id"] and body["service_date"] == PAST
    got = by_pair(body["counts"])
    assert len(got) == 4
    assert got[(s1["id"], "7-9")] == {
        "school_id": s1["id"],
        "target_group": "7-9",
        "planned": 100,
        "prepared": 100,
        "served": 95,
        "returned": 3,
    }
    assert got[(s1["id"], "10-12-m")]["planned"] == 38
    assert got[(s1["id"], "10-12-m")]["served"] is None
    assert got[(s2["id"], "7-9")]["planned"] == 30
    assert got[(s2["id"], "13-15-f")]["planned"] == 0
    assert body["totals"] == {
        "planned": 100 + 38 + 30 + 0,
        "prepared": 100 + 31,
        "served": 95,
        "returned": 3,
    }
    assert body["created_at"] and body["updated_at"]
    again = client.get(url(world), headers=world.manager_a)
    assert again.status_code == 200
    assert again.json() == body


def test_put_sends_the_same_statements_for_one_count_or_thirty(
    app: FastAPI, client: TestClient, world: OpsWorld
) -> None:
    """A day is written in a fixed number of statements, however many counts it holds."""
    groups = ("7-9", "10-12-m", "10-12-f")
    many = [
        {"school_id": make_school(client, world.admin, world.a["id"])["id"], "target_group": g}
        for _ in range(10)
        for g in groups
    ]
    put_counts(client, world.manager_a, world.a["id"], PAST, many[:1])  # warm caches
    sent = []
    for day, counts in (("2026-03-03", many[:1]), ("2026-03-04", many)):
        with recorded_statements(app) as seen:
            body = put_counts(client, world.manager_a, world.a["id"], day, counts)
        assert len(body["counts"]) == len(counts)
        sent.append(len(seen))
    assert sent[0] == sent[1], sent
    stored = client.get(url(world, "2026-03-04"), headers=world.manager_a).json()
    assert stored["counts"] == body["counts"]
    assert stored["totals"]["planned"] == sum(c["planned"] for c in body["counts"])


def test_totals_are_null_when_no_value_is_known(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    body = put_counts(
        client,
        world.manager_a,
        world.a["id"],
        PAST,
        [{"school_id": s1["id"], "target_group": "7-9"}],
    )
    assert body["totals"] == {"planned": 100, "prepared": None, "served": None, "returned": None}
    empty = put_counts(client, world.manager_a, world.a["id"], PAST, [])
    assert empty["counts"] == []
    assert empty["totals"] == {"planned": None, "prepared": None, "served": None, "returned": None}


def test_put_replaces_the_day_and_a_retry_leaves_one_set(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, s2 = schools
    first = [
        {"school_id": s1["id"], "target_group": "7-9", "planned": 90},
        {"school_id": s2["id"], "target_group": "7-9", "planned": 30},
    ]
    put_counts(client, world.manager_a, world.a["id"], PAST, first)
    retried = put_counts(client, world.manager_a, world.a["id"], PAST, first)
    assert len(retried["counts"]) == 2 and retried["totals"]["planned"] == 120
    second = [{"school_id": s2["id"], "target_group": "10-12-f", "planned": 7}]
    replaced = put_counts(client, world.manager_a, world.a["id"], PAST, second)
    assert [(c["school_id"], c["target_group"]) for c in replaced["counts"]] == [
        (s2["id"], "10-12-f")
    ]
    assert replaced["totals"]["planned"] == 7
    days = client.get(f"/api/v1/kitchens/{world.a['id']}/meal-counts", headers=world.manager_a)
    assert [d["service_date"] for d in days.json()["items"]] == [PAST]
    assert days.json()["items"][0]["counts"] == replaced["counts"]


@pytest.mark.parametrize(
    ("count", "field"),
    [
        ({"planned": -1}, "planned"),
        ({"prepared": 2**31}, "prepared"),  # above a 32-bit column (§11)
        ({"prepared": -1}, "prepared"),
        ({"served": -1}, "served"),
        ({"returned": -1}, "returned"),
        ({"served": 1.5}, "served"),
        ({"planned": 2.0}, "planned"),
        ({"prepared": "3"}, "prepared"),
        ({"served": True}, "served"),
        ({"target_group": "5-6"}, "target_group"),
        ({"target_group": "10-12"}, "target_group"),
        ({"prepared": 10, "served": 11}, "served"),
        ({"served": 10, "returned": 11}, "returned"),
    ],
)
def test_invalid_count_is_422_at_its_location(
    client: TestClient,
    world: OpsWorld,
    schools: tuple[dict[str, Any], dict[str, Any]],
    count: dict[str, Any],
    field: str,
) -> None:
    s1, s2 = schools
    counts = [
        {"school_id": s2["id"], "target_group": "7-9", "planned": 5},
        {"school_id": s1["id"], "target_group": "7-9", **count},
    ]
    resp = client.put(url(world), json={"counts": counts}, headers=world.manager_a)
    body = assert_problem(resp, 422, "validation_error")
    assert ["body", "counts", 1, field] in [e["loc"][:4] for e in body["errors"]], body
    assert client.get(url(world), headers=world.manager_a).status_code == 404  # nothing stored


def test_equal_values_are_within_the_rules(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    count = {"school_id": s1["id"], "target_group": "7-9", "prepared": 10, "served": 10}
    body = put_counts(client, world.manager_a, world.a["id"], PAST, [{**count, "returned": 10}])
    assert body["totals"] == {"planned": 100, "prepared": 10, "served": 10, "returned": 10}
    zero = put_counts(
        client,
        world.manager_a,
        world.a["id"],
        PAST,
        [{**count, "planned": 0, "prepared": 0, "served": 0, "returned": 0}],
    )
    assert zero["totals"] == {"planned": 0, "prepared": 0, "served": 0, "returned": 0}


def test_unknown_pairs_are_not_compared(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """served without prepared, returned without served: nothing to compare against."""
    s1, s2 = schools
    body = put_counts(
        client,
        world.manager_a,
        world.a["id"],
        PAST,
        [
            {"school_id": s1["id"], "target_group": "7-9", "served": 500},
            {"school_id": s2["id"], "target_group": "7-9", "returned": 4},
        ],
    )
    assert body["totals"] == {"planned": 130, "prepared": None, "served": 500, "returned": 4}


def test_duplicate_school_and_group_is_422(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    counts = [
        {"school_id": s1["id"], "target_group": "7-9"},
        {"school_id": s1["id"], "target_group": "10-12-m"},
        {"school_id": s1["id"], "target_group": "7-9", "planned": 3},
    ]
    resp = client.put(url(world), json={"counts": counts}, headers=world.manager_a)
    body = assert_problem(resp, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "counts", 2]]


def test_school_of_another_kitchen_or_none_is_422_school_not_in_kitchen(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    foreign = make_school(client, world.admin, world.b["id"])
    for school_id in (foreign["id"], MISSING):
        counts = [
            {"school_id": s1["id"], "target_group": "7-9"},
            {"school_id": school_id, "target_group": "7-9"},
        ]
        resp = client.put(url(world), json={"counts": counts}, headers=world.manager_a)
        body = assert_problem(resp, 422, "school_not_in_kitchen")
        assert body["errors"][0]["loc"] == ["body", "counts", 1, "school_id"]
    # Kitchen B's own manager may report that school for kitchen B.
    put_counts(
        client,
        world.manager_b,
        world.b["id"],
        PAST,
        [{"school_id": foreign["id"], "target_group": "7-9"}],
    )


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Jayapura"])
def test_served_and_returned_wait_for_the_kitchens_own_today(
    client: TestClient, admin: dict[str, str], tz: str
) -> None:
    """UTC+14 and UTC-11: at any hour one of them is on a different date than UTC."""
    world = make_ops_world(client, admin, timezone=tz)
    school = make_school(client, admin, world.a["id"], enrolment={"7-9": 10})
    today = datetime.now(ZoneInfo(tz)).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    base = {"school_id": school["id"], "target_group": "7-9", "prepared": 10}
    put_counts(client, world.manager_a, world.a["id"], today.isoformat(), [{**base, "served": 9}])
    put_counts(client, world.manager_a, world.a["id"], today.isoformat(), [{**base, "returned": 1}])
    # Planned and prepared counts may be reported ahead of the day.
    ahead = put_counts(client, world.manager_a, world.a["id"], tomorrow, [base])
    assert ahead["totals"]["prepared"] == 10
    for field in ("served", "returned"):
        resp = client.put(
            url(world, tomorrow),
            json={"counts": [{**base, "served": 5, field: 5}]},
            headers=world.manager_a,
        )
        body = assert_problem(resp, 422, "validation_error")
        assert ["body", "counts", 0, field] in [e["loc"] for e in body["errors"]]


def test_list_is_newest_first_within_the_range(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    days = ["2026-03-02", "2026-03-04", "2026-03-03", "2026-03-09"]
    for i, day in enumerate(days):
        counts = [{"school_id": s1["id"], "target_group": "7-9", "planned": i}]
        put_counts(client, world.manager_a, world.a["id"], day, counts)
    put_counts(
        client,
        world.manager_b,
        world.b["id"],
        "2026-03-03",
        [
            {
                "school_id": make_school(client, world.admin, world.b["id"])["id"],
                "target_group": "7-9",
            }
        ],
    )
    base = f"/api/v1/kitchens/{world.a['id']}/meal-counts"

    def dates(**params: str) -> list[str]:
        resp = client.get(base, params=params, headers=world.manager_a)
        assert resp.status_code == 200, resp.text
        return [d["service_date"] for d in resp.json()["items"]]

    assert dates() == ["2026-03-09", "2026-03-04", "2026-03-03", "2026-03-02"]
    assert dates(**{"from": "2026-03-03", "to": "2026-03-04"}) == ["2026-03-04", "2026-03-03"]
    assert dates(**{"from": "2026-03-05"}) == ["2026-03-09"]
    assert dates(to="2026-03-02") == ["2026-03-02"]
    items = client.get(base, headers=world.manager_a).json()["items"]
    assert [d["totals"]["planned"] for d in items] == [3, 1, 2, 0]
    assert_problem(
        client.get(base, params={"from": "2026-03-05", "to": "2026-03-04"}, headers=world.admin),
        422,
    )


def test_single_day_404_when_not_reported(client: TestClient, world: OpsWorld) -> None:
    assert_problem(client.get(url(world), headers=world.manager_a), 404)
    assert_problem(client.get(url(world, "2026-02-30"), headers=world.manager_a), 422)


def test_access_rules(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    body = {"counts": [{"school_id": s1["id"], "target_group": "7-9"}]}
    put_counts(client, world.admin, world.a["id"], PAST, body["counts"])
    listing = f"/api/v1/kitchens/{world.a['id']}/meal-counts"
    for reader in (world.admin, world.manager_a, world.health_a):
        assert client.get(listing, headers=reader).status_code == 200
        assert client.get(url(world), headers=reader).json()["totals"]["planned"] == 100
    for outsider in (world.manager_b, world.health_other):
        assert_problem(client.get(listing, headers=outsider), 404)
        assert_problem(client.get(url(world), headers=outsider), 404)
    assert_problem(client.put(url(world), json=body, headers=world.manager_b), 404)
    assert_problem(client.get(listing, headers=world.agri_a), 403)
    assert_problem(client.get(url(world), headers=world.agri_a), 403)
    for writer_forbidden in (world.health_a, world.health_other, world.agri_a):
        assert_problem(client.put(url(world), json=body, headers=writer_forbidden), 403)
    assert_problem(client.get(listing), 401)
    assert_problem(client.put(url(world), json=body), 401)
    missing = f"/api/v1/kitchens/{MISSING}/meal-counts"
    assert_problem(client.get(missing, headers=world.admin), 404)


@pytest.mark.postgres_only
def test_concurrent_puts_of_a_day_leave_one_complete_set(
    client: TestClient, live_server: str, admin: dict[str, str]
) -> None:
    world = make_ops_world(client, admin)
    schools = [make_school(client, admin, world.a["id"]) for _ in range(2)]
    pairs = [(s["id"], g) for s in schools for g in ("7-9", "10-12-m", "10-12-f")]
    # Body k reports the first (k % 6) + 1 pairs, each with planned = k: a mix would show.
    bodies = [
        {
            "counts": [
                {"school_id": s, "target_group": g, "planned": k} for s, g in pairs[: k % 6 + 1]
            ]
        }
        for k in range(12)
    ]
    day = "2026-03-05"
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> None:
        with httpx.Client(base_url=live_server, headers=world.manager_a, timeout=30) as http:
            barrier.wait()
            statuses.append(
                http.put(
                    f"/api/v1/kitchens/{world.a['id']}/meal-counts/{day}", json=body
                ).status_code
            )

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(bodies)
    final = client.get(f"/api/v1/kitchens/{world.a['id']}/meal-counts/{day}", headers=admin).json()
    planned = {c["planned"] for c in final["counts"]}
    assert len(planned) == 1, final
    k = planned.pop()
    assert len(final["counts"]) == k % 6 + 1
    assert final["totals"]["planned"] == k * (k % 6 + 1)
    listing = client.get(f"/api/v1/kitchens/{world.a['id']}/meal-counts", headers=admin).json()
    assert [d["service_date"] for d in listing["items"]] == [day]


def test_put_answers_with_the_etag_get_then_gives(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools
    body = {"counts": [{"school_id": s1["id"], "target_group": "7-9"}]}
    put = client.put(url(world), json=body, headers=world.manager_a)
    assert put.status_code == 200, put.text
    got = client.get(url(world), headers=world.health_a)
    assert got.headers["etag"] == put.headers["etag"]
    cached = client.get(
        url(world), headers={**world.manager_a, "If-None-Match": got.headers["etag"]}
    )
    assert cached.status_code == 304
    # The same counts again are a new report of the day: its tag moves.
    again = client.put(url(world), json=body, headers=world.manager_a)
    assert again.headers["etag"] != put.headers["etag"]
    assert client.get(url(world), headers=world.manager_a).headers["etag"] == again.headers["etag"]


def test_if_match_on_put_compares_with_the_days_tag(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, _ = schools

    def put(planned: int, if_match: str | None) -> Any:
        headers = {**world.manager_a, **({"If-Match": if_match} if if_match else {})}
        counts = [{"school_id": s1["id"], "target_group": "7-9", "planned": planned}]
        return client.put(url(world), json={"counts": counts}, headers=headers)

    # A day not reported yet has no tag to compare with: If-Match is ignored.
    first = put(1, '"0123456789abcdef0123456789abcdef"')
    assert first.status_code == 200, first.text
    second = put(2, first.headers["etag"])
    assert second.status_code == 200, second.text
    assert_problem(put(3, first.headers["etag"]), 412, "precondition_failed")
    stored = client.get(url(world), headers=world.manager_a)
    assert stored.json()["totals"]["planned"] == 2
    assert stored.headers["etag"] == second.headers["etag"]
    assert put(4, "*").status_code == 200


def test_every_rule_error_of_the_day_is_reported_at_once(
    client: TestClient, world: OpsWorld, schools: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    s1, s2 = schools
    foreign = make_school(client, world.admin, world.b["id"])
    counts = [
        {"school_id": s1["id"], "target_group": "7-9", "prepared": 5, "served": 6},
        {"school_id": foreign["id"], "target_group": "7-9"},
        {"school_id": s2["id"], "target_group": "7-9", "served": 3, "returned": 4},
        {"school_id": s1["id"], "target_group": "7-9"},
    ]
    resp = client.put(url(world), json={"counts": counts}, headers=world.manager_a)
    body = assert_problem(resp, 422, "school_not_in_kitchen")
    assert [e["loc"] for e in body["errors"]] == [
        ["body", "counts", 0, "served"],
        ["body", "counts", 1, "school_id"],
        ["body", "counts", 2, "returned"],
        ["body", "counts", 3],
    ]
    del counts[1]
    body = assert_problem(
        client.put(url(world), json={"counts": counts}, headers=world.manager_a), 422
    )
    assert body["code"] == "validation_error" and len(body["errors"]) == 3
    assert client.get(url(world), headers=world.manager_a).status_code == 404
