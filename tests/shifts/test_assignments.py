"""The six assignment refusals of docs/shifts.md, their boundaries and their order."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem
from tests.builders.shifts import assign, local, make_assignment, make_shift, make_staff

JKT = "Asia/Jakarta"
WITA = "Asia/Makassar"
WIT = "Asia/Jayapura"
MISSING = "9b2e4f7a-0000-4000-8000-000000000000"


def test_assignment_is_created_with_the_staff_role(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    cook = make_staff(client, admin, k, role="cook")
    resp = assign(client, world["manager"], shift["id"], cook["id"])
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["shift_id"] == shift["id"] and body["staff_id"] == cook["id"]
    assert body["role"] == "cook"
    assert body["clock_in_at"] is None and body["clock_out_at"] is None
    assert body["id"] and body["created_at"] and body["updated_at"]


def test_staff_of_another_kitchen_or_unknown_is_404(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    shift = make_shift(client, admin, world["a"]["id"], local(JKT, 2027, 3, 1, 6))
    stranger = make_staff(client, admin, world["b"]["id"], full_name="Orang Lain")
    body = assert_problem(assign(client, admin, shift["id"], stranger["id"]), 404, "not_found")
    assert "Orang Lain" not in str(body)
    assert_problem(assign(client, admin, shift["id"], MISSING), 404, "not_found")
    assert_problem(assign(client, admin, MISSING, stranger["id"]), 404, "not_found")
    bad = client.post(
        f"/api/v1/shifts/{shift['id']}/assignments", json={"staff_id": "nope"}, headers=admin
    )
    assert_problem(bad, 422, "validation_error")


def test_staff_inactive(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    cook = make_staff(client, admin, k, full_name="Dewi Lestari")
    assert client.delete(f"/api/v1/staff/{cook['id']}", headers=admin).status_code == 204
    body = assert_problem(assign(client, admin, shift["id"], cook["id"]), 409, "staff_inactive")
    assert "Dewi Lestari" in body["detail"]
    client.patch(f"/api/v1/staff/{cook['id']}", json={"active": True}, headers=admin)
    assert assign(client, admin, shift["id"], cook["id"]).status_code == 201


def test_already_assigned(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    cook = make_staff(client, admin, k)
    first = make_assignment(client, admin, shift["id"], cook["id"])
    body = assert_problem(assign(client, admin, shift["id"], cook["id"]), 409, "already_assigned")
    assert body["assignment_id"] == first["id"]
    assert (
        len(client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()["assignments"]) == 1
    )


def test_role_not_required(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), requirements={"cook": 2})
    driver = make_staff(client, admin, k, role="driver")
    body = assert_problem(
        assign(client, admin, shift["id"], driver["id"]), 409, "role_not_required"
    )
    assert "driver" in body["detail"] and "cook" in body["detail"]


def test_overlap_and_touching(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    cook = make_staff(client, admin, k, full_name="Rina")
    morning = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), hours=8, name="Pagi")
    make_assignment(client, admin, morning["id"], cook["id"])
    # Ends exactly when the morning shift starts, and starts exactly when it ends: no overlap.
    before = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 0), hours=6)
    after = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 14), hours=8)
    assert assign(client, admin, before["id"], cook["id"]).status_code == 201
    assert assign(client, admin, after["id"], cook["id"]).status_code == 201
    # One minute into another shift is an overlap; so is a shift inside or around one.
    starts = [
        (local(JKT, 2027, 3, 1, 13, 59), 2),
        (local(JKT, 2027, 3, 1, 8), 2),
        (local(JKT, 2027, 2, 28, 22), 12),
    ]
    for start, hours in starts:
        clash = make_shift(client, admin, k, start, hours=hours)
        body = assert_problem(assign(client, admin, clash["id"], cook["id"]), 409, "shift_overlap")
        assert "Rina" in body["detail"]
        assert body["conflicting_shift_id"] in {before["id"], morning["id"], after["id"]}
    inside = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 8), hours=2)
    body = assert_problem(assign(client, admin, inside["id"], cook["id"]), 409, "shift_overlap")
    assert body["conflicting_shift_id"] == morning["id"]
    assert "'Pagi'" in body["detail"] and "06:00 WIB" in body["detail"]


def test_overlap_across_midnight_in_jayapura(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """A 22:00-06:00 WIT night shift clashes with a 05:00 start the next local day."""
    k = world["wit"]["id"]
    cook = make_staff(client, admin, k)
    night = make_shift(client, admin, k, local(WIT, 2027, 3, 1, 22), hours=8, name="Malam")
    assert night["local_date"] == "2027-03-01"
    make_assignment(client, admin, night["id"], cook["id"])
    early = make_shift(client, admin, k, local(WIT, 2027, 3, 2, 5), hours=5)
    body = assert_problem(assign(client, admin, early["id"], cook["id"]), 409, "shift_overlap")
    assert "Malam" in body["detail"] and "WIT" in body["detail"]
    touching = make_shift(client, admin, k, local(WIT, 2027, 3, 2, 6), hours=5)
    assert assign(client, admin, touching["id"], cook["id"]).status_code == 201


def test_certificate_boundary_is_the_kitchen_local_start_date(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """02:00 WIT on 2 March is 17:00 UTC on 1 March: the local date (2 March) decides."""
    k = world["wit"]["id"]
    shift = make_shift(client, admin, k, local(WIT, 2027, 3, 2, 2), hours=8)
    assert shift["starts_at"].startswith("2027-03-01T17:00")
    on_the_day = make_staff(client, admin, k, food_handler_cert_expires_on="2027-03-02")
    day_before = make_staff(
        client, admin, k, full_name="Yosef", food_handler_cert_expires_on="2027-03-01"
    )
    assert assign(client, admin, shift["id"], on_the_day["id"]).status_code == 201
    body = assert_problem(
        assign(client, admin, shift["id"], day_before["id"]), 409, "certificate_expired"
    )
    assert "2027-03-01" in body["detail"] and "Yosef" in body["detail"]
    assert body["expires_on"] == "2027-03-01"


@pytest.mark.parametrize("role", ["cook", "cook_assistant", "prep", "portioning"])
def test_food_handlers_without_certificate_are_refused(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], role: str
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), requirements={role: 1})
    person = make_staff(client, admin, k, role=role, food_handler_cert_expires_on=None)
    body = assert_problem(
        assign(client, admin, shift["id"], person["id"]), 409, "certificate_expired"
    )
    assert body["expires_on"] is None and "no food handler certificate" in body["detail"]


@pytest.mark.parametrize("role", ["driver", "washer", "head", "security"])
def test_other_roles_need_no_certificate(
    client: TestClient, admin: dict[str, str], world: dict[str, Any], role: str
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6), requirements={role: 1})
    expired = make_staff(client, admin, k, role=role, food_handler_cert_expires_on="2020-01-01")
    missing = make_staff(client, admin, k, role=role, food_handler_cert_expires_on=None)
    assert assign(client, admin, shift["id"], expired["id"]).status_code == 201
    assert assign(client, admin, shift["id"], missing["id"]).status_code == 201


def _fill_week(
    client: TestClient, admin: dict[str, str], kitchen_id: str, tz: str, staff_id: str
) -> None:
    """Five 10-hour shifts, Monday 1 to Friday 5 March 2027 (ISO week 9): 50 hours."""
    for day in range(1, 6):
        shift = make_shift(client, admin, kitchen_id, local(tz, 2027, 3, day, 6), hours=10)
        make_assignment(client, admin, shift["id"], staff_id)


def test_weekly_hours_58_allowed_one_minute_more_refused(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    exact = make_staff(client, admin, k)
    over = make_staff(client, admin, k, full_name="Agus")
    _fill_week(client, admin, k, JKT, exact["id"])
    _fill_week(client, admin, k, JKT, over["id"])
    saturday = local(JKT, 2027, 3, 6, 6)
    eight = make_shift(client, admin, k, saturday, hours=8)
    assert assign(client, admin, eight["id"], exact["id"]).status_code == 201  # 50 + 8 = 58
    longer = make_shift(
        client, admin, k, saturday, ends_at=saturday + timedelta(hours=8, minutes=1)
    )
    body = assert_problem(
        assign(client, admin, longer["id"], over["id"]), 409, "weekly_hours_exceeded"
    )
    assert body["week_hours"] == 58.02 and body["limit_hours"] == 58
    assert "Agus" in body["detail"] and "58 h 1 min" in body["detail"]
    assert "2027-W09" in body["detail"]
    # The next ISO week starts from zero.
    monday = make_shift(client, admin, k, local(JKT, 2027, 3, 8, 6), hours=10)
    assert assign(client, admin, monday["id"], over["id"]).status_code == 201


def test_iso_week_is_the_kitchens_week(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """Monday 01:00 WIT is Sunday 16:00 UTC: it belongs to the new local week."""
    k = world["wit"]["id"]
    cook = make_staff(client, admin, k)
    _fill_week(client, admin, k, WIT, cook["id"])  # 50 h in the week of 1-7 March
    monday = make_shift(client, admin, k, local(WIT, 2027, 3, 8, 1), hours=10)
    assert monday["starts_at"].startswith("2027-03-07T16:00")
    assert assign(client, admin, monday["id"], cook["id"]).status_code == 201
    sunday = make_shift(client, admin, k, local(WIT, 2027, 3, 7, 14), hours=9)
    assert_problem(assign(client, admin, sunday["id"], cook["id"]), 409, "weekly_hours_exceeded")


def test_a_shift_counts_in_the_week_it_starts(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """A Sunday-night shift into Monday counts wholly in the week of its Sunday start."""
    k = world["wita"]["id"]
    cook = make_staff(client, admin, k)
    _fill_week(client, admin, k, WITA, cook["id"])
    night = make_shift(client, admin, k, local(WITA, 2027, 3, 7, 22), hours=8)
    assert assign(client, admin, night["id"], cook["id"]).status_code == 201  # 58 h in week 9
    # Week 10 (from Monday 8 March) has none of those hours: 12 + 12 + 12 + 12 + 10 = 58.
    for day, hours in ((8, 12), (9, 12), (10, 12), (11, 12), (12, 10)):
        start = local(WITA, 2027, 3, day, 7)
        shift = make_shift(client, admin, k, start, hours=hours)
        assert assign(client, admin, shift["id"], cook["id"]).status_code == 201, day


def test_refusals_come_in_the_documented_order(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    start = local(JKT, 2027, 3, 1, 6)
    busy = make_shift(client, admin, k, start, hours=8, requirements={"cook": 5, "driver": 1})

    def expect(staff: dict[str, Any], shift: dict[str, Any], code: str, status: int = 409) -> None:
        assert_problem(assign(client, admin, shift["id"], staff["id"]), status, code)

    # Another kitchen's (and inactive): 404 before staff_inactive.
    foreign = make_staff(client, admin, world["b"]["id"])
    client.delete(f"/api/v1/staff/{foreign['id']}", headers=admin)
    expect(foreign, busy, "not_found", 404)
    # Inactive and already assigned: staff_inactive.
    gone = make_staff(client, admin, k)
    make_assignment(client, admin, busy["id"], gone["id"])
    client.delete(f"/api/v1/staff/{gone['id']}", headers=admin)
    expect(gone, busy, "staff_inactive")
    # Already assigned and now of a role the shift does not need: already_assigned.
    moved = make_staff(client, admin, k)
    make_assignment(client, admin, busy["id"], moved["id"])
    client.patch(f"/api/v1/staff/{moved['id']}", json={"role": "washer"}, headers=admin)
    expect(moved, busy, "already_assigned")
    # Role not required and no certificate: role_not_required.
    prep = make_staff(client, admin, k, role="prep", food_handler_cert_expires_on=None)
    expect(prep, busy, "role_not_required")
    # No certificate and overlapping another shift: certificate_expired.
    clash = make_shift(client, admin, k, start + timedelta(hours=1), hours=8)
    driver = make_staff(client, admin, k, role="driver", food_handler_cert_expires_on=None)
    make_assignment(client, admin, busy["id"], driver["id"])
    client.patch(f"/api/v1/staff/{driver['id']}", json={"role": "cook"}, headers=admin)
    expect(driver, clash, "certificate_expired")
    # Overlapping and over the weekly limit: shift_overlap.
    tired = make_staff(client, admin, k)
    _fill_week(client, admin, k, JKT, tired["id"])  # 50 h, Monday 06:00-16:00 among them
    clash_long = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 15), hours=10)
    expect(tired, clash_long, "shift_overlap")
    # Over the limit alone: weekly_hours_exceeded.
    saturday = make_shift(client, admin, k, local(JKT, 2027, 3, 6, 6), hours=9)
    expect(tired, saturday, "weekly_hours_exceeded")


def test_remove_assignment(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    other = make_shift(client, admin, k, local(JKT, 2027, 3, 2, 6))
    cook = make_staff(client, admin, k)
    a = make_assignment(client, admin, shift["id"], cook["id"])
    wrong = client.delete(f"/api/v1/shifts/{other['id']}/assignments/{a['id']}", headers=admin)
    assert_problem(wrong, 404, "not_found")
    assert_problem(
        client.delete(f"/api/v1/shifts/{shift['id']}/assignments/{MISSING}", headers=admin), 404
    )
    resp = client.delete(
        f"/api/v1/shifts/{shift['id']}/assignments/{a['id']}", headers=world["manager"]
    )
    assert resp.status_code == 204 and resp.content == b""
    got = client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()
    assert got["assignments"] == [] and got["coverage"]["cook"]["assigned"] == 0
    assert assign(client, admin, shift["id"], cook["id"]).status_code == 201
