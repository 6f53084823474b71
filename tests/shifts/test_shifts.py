"""Shifts: validation, kitchen-local dates, coverage, changes and deletion."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all, recorded_statements
from tests.builders.shifts import (
    assign,
    local,
    make_assignment,
    make_shift,
    make_staff,
    shift_body,
)

JKT = "Asia/Jakarta"
WIT = "Asia/Jayapura"


def test_create_shift_returns_utc_and_empty_coverage(
    client: TestClient, world: dict[str, Any]
) -> None:
    start = local(JKT, 2027, 3, 1, 2, 0)
    body = shift_body(start, hours=8, requirements={"cook": 2, "portioning": 1}, name="Pagi")
    resp = client.post(
        f"/api/v1/kitchens/{world['a']['id']}/shifts", json=body, headers=world["manager"]
    )
    assert resp.status_code == 201, resp.text
    shift = resp.json()
    assert shift["name"] == "Pagi" and shift["kitchen_id"] == world["a"]["id"]
    starts = datetime.fromisoformat(shift["starts_at"])
    assert starts.utcoffset() == timedelta(0)
    assert starts == start and starts.hour == 19  # 02:00 WIB is 19:00 UTC the day before
    assert datetime.fromisoformat(shift["ends_at"]) == start + timedelta(hours=8)
    assert shift["local_date"] == "2027-03-01"
    assert shift["requirements"] == {"cook": 2, "portioning": 1}
    assert shift["assignments"] == []
    assert shift["coverage"] == {
        "cook": {"required": 2, "assigned": 0},
        "portioning": {"required": 1, "assigned": 0},
    }
    assert shift["fully_staffed"] is False
    assert shift["created_at"] and shift["updated_at"]
    got = client.get(f"/api/v1/shifts/{shift['id']}", headers=world["manager"])
    assert got.status_code == 200 and got.json() == shift


def test_shift_length_limits(client: TestClient, world: dict[str, Any]) -> None:
    url = f"/api/v1/kitchens/{world['a']['id']}/shifts"
    start = local(JKT, 2027, 3, 1, 20, 0)
    ok = client.post(url, json=shift_body(start, hours=12), headers=world["manager"])
    assert ok.status_code == 201, ok.text
    for end in (start + timedelta(hours=12, minutes=1), start, start - timedelta(hours=1)):
        resp = client.post(url, json=shift_body(start, ends_at=end), headers=world["manager"])
        body = assert_problem(resp, 422, "validation_error")
        assert body["errors"][0]["loc"] == ["body", "ends_at"]


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "2027-03-01T02:00:00", "ends_at": "2027-03-01T10:00:00"},
        {"requirements": {"chef": 1}},
        {"requirements": {"cook": 0}},
        {"requirements": {"cook": -1}},
        {"requirements": {"cook": 1.5}},
        {"requirements": {"cook": "2"}},
        {"requirements": {"cook": True}},
        {"requirements": {"cook": 2**31}},  # above a 32-bit column (§11)
        {"name": ""},
        {"name": "\u200b\u200b \u200b"},  # blank once invisible characters go (§11)
        {"name": "x" * 101},
        {"colour": "red"},
        {"starts_at": "0001-01-01T02:00:00+07:00", "ends_at": "0001-01-01T10:00:00+07:00"},
    ],
)
def test_shift_validation(
    client: TestClient, world: dict[str, Any], change: dict[str, Any]
) -> None:
    body = {**shift_body(local(JKT, 2027, 3, 1, 6)), **change}
    resp = client.post(
        f"/api/v1/kitchens/{world['a']['id']}/shifts", json=body, headers=world["manager"]
    )
    assert_problem(resp, 422, "validation_error")


def test_requirements_may_be_missing_only_as_empty_object(
    client: TestClient, world: dict[str, Any]
) -> None:
    body = shift_body(local(JKT, 2027, 3, 1, 6))
    del body["requirements"]
    url = f"/api/v1/kitchens/{world['a']['id']}/shifts"
    assert_problem(client.post(url, json=body, headers=world["manager"]), 422)
    empty = client.post(url, json={**body, "requirements": {}}, headers=world["manager"])
    assert empty.status_code == 201
    assert empty.json()["coverage"] == {} and empty.json()["fully_staffed"] is True


def test_coverage_and_fully_staffed(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(
        client, admin, k, local(JKT, 2027, 3, 1, 6), requirements={"cook": 2, "driver": 1}
    )
    cooks = [make_staff(client, admin, k, role="cook") for _ in range(3)]
    driver = make_staff(client, admin, k, role="driver", food_handler_cert_expires_on=None)
    make_assignment(client, admin, shift["id"], cooks[0]["id"])
    make_assignment(client, admin, shift["id"], driver["id"])
    got = client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()
    assert got["coverage"] == {
        "cook": {"required": 2, "assigned": 1},
        "driver": {"required": 1, "assigned": 1},
    }
    assert got["fully_staffed"] is False
    make_assignment(client, admin, shift["id"], cooks[1]["id"])
    got = client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()
    assert got["coverage"]["cook"] == {"required": 2, "assigned": 2}
    assert got["fully_staffed"] is True
    # More than required is allowed and still fully staffed.
    make_assignment(client, admin, shift["id"], cooks[2]["id"])
    got = client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()
    assert got["coverage"]["cook"] == {"required": 2, "assigned": 3}
    assert got["fully_staffed"] is True
    assert {a["staff_id"] for a in got["assignments"]} == {c["id"] for c in cooks} | {driver["id"]}
    by_staff = {a["staff_id"]: a for a in got["assignments"]}
    assert by_staff[driver["id"]]["role"] == "driver"
    assert by_staff[driver["id"]]["shift_id"] == shift["id"]
    assert by_staff[driver["id"]]["clock_in_at"] is None
    assert by_staff[driver["id"]]["clock_out_at"] is None


def test_list_filters_on_kitchen_local_dates(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """In Jayapura (UTC+9) a shift at 02:00 on 2 March is still 1 March in UTC."""
    k = world["wit"]["id"]
    before = make_shift(client, admin, k, local(WIT, 2027, 3, 1, 23, 59), hours=6)
    early = make_shift(client, admin, k, local(WIT, 2027, 3, 2, 0, 0), hours=6)
    night = make_shift(client, admin, k, local(WIT, 2027, 3, 2, 2, 0), hours=6)
    late = make_shift(client, admin, k, local(WIT, 2027, 3, 3, 23, 59), hours=6)
    after = make_shift(client, admin, k, local(WIT, 2027, 3, 4, 0, 0), hours=6)
    assert night["starts_at"].startswith("2027-03-01T17:00")  # the UTC date differs
    assert night["local_date"] == "2027-03-02"
    url = f"/api/v1/kitchens/{k}/shifts"

    def ids(**params: str) -> set[str]:
        resp = client.get(url, params=params, headers=world["manager"])
        assert resp.status_code == 200, resp.text
        return {s["id"] for s in resp.json()["items"]}

    assert ids(**{"from": "2027-03-02", "to": "2027-03-03"}) == {
        early["id"],
        night["id"],
        late["id"],
    }
    assert ids(**{"from": "2027-03-02", "to": "2027-03-02"}) == {early["id"], night["id"]}
    assert ids(**{"from": "2027-03-01", "to": "2027-03-01"}) == {before["id"]}
    assert ids(**{"from": "2027-03-04"}) == {after["id"]}
    assert ids(to="2027-03-01") == {before["id"]}
    assert len(ids()) == 5
    assert len(list_all(client, url, admin, limit=2)) == 5
    assert_problem(
        client.get(url, params={"from": "2027-03-03", "to": "2027-03-02"}, headers=admin), 422
    )
    assert_problem(client.get(url, params={"from": "03/02/2027"}, headers=admin), 422)


def test_list_is_built_with_a_bounded_number_of_queries(
    app: FastAPI, client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    url = f"/api/v1/kitchens/{k}/shifts"

    def queries() -> int:
        with recorded_statements(app) as statements:
            assert client.get(url, headers=admin).status_code == 200
        return len(statements)

    cook = make_staff(client, admin, k)
    first = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    make_assignment(client, admin, first["id"], cook["id"])
    one = queries()
    for day in range(2, 12):
        shift = make_shift(client, admin, k, local(JKT, 2027, 3, day, 6))
        make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    assert queries() == one


def test_patch_moves_assignments_with_the_shift(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    cook = make_staff(client, admin, k)
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), hours=8)
    assignment = make_assignment(client, admin, shift["id"], cook["id"])
    new_start = local(JKT, 2027, 3, 1, 14)
    resp = client.patch(
        f"/api/v1/shifts/{shift['id']}",
        json={
            "name": "Siang",
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=8)).isoformat(),
        },
        headers=world["manager"],
    )
    assert resp.status_code == 200, resp.text
    moved = resp.json()
    assert moved["name"] == "Siang"
    assert datetime.fromisoformat(moved["starts_at"]) == new_start
    (copy,) = moved["assignments"]
    assert copy["id"] == assignment["id"]
    assert datetime.fromisoformat(copy["starts_at"]) == new_start
    assert datetime.fromisoformat(copy["ends_at"]) == new_start + timedelta(hours=8)
    # The rules now see the new times: the old slot is free, the new one is taken.
    old_slot = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), hours=8)
    assert assign(client, admin, old_slot["id"], cook["id"]).status_code == 201
    new_slot = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 21), hours=2)
    assert_problem(assign(client, admin, new_slot["id"], cook["id"]), 409, "shift_overlap")


def test_patch_validates_the_merged_times(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    start = local(JKT, 2027, 3, 1, 6)
    shift = make_shift(client, admin, world["a"]["id"], start, hours=8)
    url = f"/api/v1/shifts/{shift['id']}"
    too_long = (start + timedelta(hours=12, minutes=1)).isoformat()
    assert_problem(client.patch(url, json={"ends_at": too_long}, headers=admin), 422)
    after_end = (start + timedelta(hours=9)).isoformat()
    assert_problem(client.patch(url, json={"starts_at": after_end}, headers=admin), 422)
    assert_problem(client.patch(url, json={"starts_at": "2027-03-01T05:00:00"}, headers=admin), 422)
    assert_problem(client.patch(url, json={"requirements": None}, headers=admin), 422)
    twelve = (start + timedelta(hours=12)).isoformat()
    assert client.patch(url, json={"ends_at": twelve}, headers=admin).status_code == 200


def test_patch_requirements(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(
        client, admin, k, local(JKT, 2027, 3, 1, 6), requirements={"cook": 2, "driver": 1}
    )
    cook = make_staff(client, admin, k)
    make_assignment(client, admin, shift["id"], cook["id"])
    url = f"/api/v1/shifts/{shift['id']}"
    dropped = client.patch(url, json={"requirements": {"driver": 1}}, headers=admin)
    body = assert_problem(dropped, 409, "role_not_required")
    assert "cook" in body["detail"]
    resp = client.patch(url, json={"requirements": {"cook": 1, "washer": 2}}, headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["requirements"] == {"cook": 1, "washer": 2}
    assert resp.json()["coverage"] == {
        "cook": {"required": 1, "assigned": 1},
        "washer": {"required": 2, "assigned": 0},
    }
    assert resp.json()["fully_staffed"] is False


def test_patch_refuses_moves_that_break_a_rule_and_changes_nothing(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    cook = make_staff(client, admin, k, food_handler_cert_expires_on="2027-03-06")
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), hours=8)
    make_assignment(client, admin, shift["id"], cook["id"])
    selasa = make_shift(client, admin, k, local(JKT, 2027, 3, 2, 6), hours=8, name="Selasa")
    make_assignment(client, admin, selasa["id"], cook["id"])
    for day, hours in ((3, 10), (4, 10), (5, 10), (6, 12)):
        other = make_shift(client, admin, k, local(JKT, 2027, 3, day, 6), hours=hours)
        make_assignment(client, admin, other["id"], cook["id"])
    # The week (Mon 1 to Sun 7 March) now holds 8 + 8 + 10 + 10 + 10 + 12 = 58 h.
    url = f"/api/v1/shifts/{shift['id']}"

    def move(start: datetime, hours: float) -> Any:
        end = start + timedelta(hours=hours)
        body = {"starts_at": start.isoformat(), "ends_at": end.isoformat()}
        return client.patch(url, json=body, headers=admin)

    overlap = assert_problem(move(local(JKT, 2027, 3, 2, 10), 8), 409, "shift_overlap")
    assert "Selasa" in overlap["detail"] and overlap["conflicting_shift_id"] == selasa["id"]
    expired = assert_problem(move(local(JKT, 2027, 3, 7, 6), 8), 409, "certificate_expired")
    assert expired["expires_on"] == "2027-03-06"
    weekly = assert_problem(
        move(local(JKT, 2027, 3, 1, 6), 8 + 1 / 60), 409, "weekly_hours_exceeded"
    )
    assert weekly["week_hours"] == round(58 + 1 / 60, 2)
    got = client.get(url, headers=admin).json()
    assert datetime.fromisoformat(got["ends_at"]) == local(JKT, 2027, 3, 1, 14)
    assert datetime.fromisoformat(got["assignments"][0]["ends_at"]) == local(JKT, 2027, 3, 1, 14)
    # Same length an hour later keeps the week at exactly 58 h: allowed.
    assert move(local(JKT, 2027, 3, 1, 7), 8).status_code == 200


def test_delete_shift_cascades_to_assignments(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    cook = make_staff(client, admin, k)
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    assignment = make_assignment(client, admin, shift["id"], cook["id"])
    resp = client.delete(f"/api/v1/shifts/{shift['id']}", headers=world["manager"])
    assert resp.status_code == 204 and resp.content == b""
    assert_problem(client.get(f"/api/v1/shifts/{shift['id']}", headers=admin), 404)
    assert_problem(
        client.post(f"/api/v1/assignments/{assignment['id']}/clock-in", json={}, headers=admin),
        404,
    )
    # The cook is free again for the same hours.
    again = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    assert assign(client, admin, again["id"], cook["id"]).status_code == 201


def test_shift_with_attendance_cannot_be_deleted(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    a = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    clocked = client.post(f"/api/v1/assignments/{a['id']}/clock-in", json={}, headers=admin)
    assert clocked.status_code == 200
    assert_problem(
        client.delete(f"/api/v1/shifts/{shift['id']}", headers=admin), 409, "attendance_recorded"
    )
    assert_problem(
        client.delete(f"/api/v1/shifts/{shift['id']}/assignments/{a['id']}", headers=admin),
        409,
        "attendance_recorded",
    )
    assert client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).status_code == 200


def test_utc_and_offset_inputs_mean_the_same_instant(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["wita"]["id"]
    body = shift_body(datetime(2027, 3, 1, 22, 0, tzinfo=UTC), hours=8)
    resp = client.post(f"/api/v1/kitchens/{k}/shifts", json=body, headers=admin)
    assert resp.status_code == 201
    assert resp.json()["local_date"] == "2027-03-02"  # 06:00 WITA
    assert datetime.fromisoformat(resp.json()["starts_at"]) == local("Asia/Makassar", 2027, 3, 2, 6)
