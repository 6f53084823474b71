"""Clocking in and out, and the timesheet's sums."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.builders import assert_problem
from tests.builders.shifts import clock, local, make_assignment, make_shift, make_staff

JKT = "Asia/Jakarta"
WIT = "Asia/Jayapura"


def hours(*spans: tuple[datetime, datetime]) -> float:
    """Hours in the spans, rounded half-up to 2 places, the way a payroll clerk would."""
    seconds = sum((end - start).total_seconds() for start, end in spans)
    exact = Decimal(str(seconds)) / 3600
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_clock_in_and_out(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    k = world["a"]["id"]
    start = local(JKT, 2027, 3, 1, 6)
    shift = make_shift(client, admin, k, start)
    a = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    manager = world["manager"]
    assert_problem(clock(client, manager, a["id"], "out", start), 409, "clock_state")
    arrived = start - timedelta(minutes=5)
    resp = clock(client, manager, a["id"], "in", arrived)
    assert resp.status_code == 200, resp.text
    assert datetime.fromisoformat(resp.json()["clock_in_at"]) == arrived
    assert resp.json()["clock_in_at"].endswith(("Z", "+00:00"))
    assert resp.json()["clock_out_at"] is None
    assert_problem(clock(client, manager, a["id"], "in", start), 409, "clock_state")
    early = clock(client, manager, a["id"], "out", arrived - timedelta(seconds=1))
    assert_problem(early, 409, "clock_state")
    left = start + timedelta(hours=8, minutes=3)
    resp = clock(client, manager, a["id"], "out", left)
    assert resp.status_code == 200, resp.text
    assert datetime.fromisoformat(resp.json()["clock_out_at"]) == left
    assert datetime.fromisoformat(resp.json()["clock_in_at"]) == arrived
    assert_problem(clock(client, manager, a["id"], "out", left), 409, "clock_state")
    got = client.get(f"/api/v1/shifts/{shift['id']}", headers=admin).json()
    assert datetime.fromisoformat(got["assignments"][0]["clock_out_at"]) == left


def test_clock_defaults_to_now(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, datetime.now(UTC) - timedelta(hours=1))
    a = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    no_body = client.post(f"/api/v1/assignments/{a['id']}/clock-in", headers=admin)
    assert no_body.status_code == 200, no_body.text
    clocked_in = datetime.fromisoformat(no_body.json()["clock_in_at"])
    assert abs(clocked_in - datetime.now(UTC)) < timedelta(minutes=1)
    empty = client.post(f"/api/v1/assignments/{a['id']}/clock-out", json={}, headers=admin)
    assert empty.status_code == 200, empty.text
    assert datetime.fromisoformat(empty.json()["clock_out_at"]) >= clocked_in


def test_clock_validation(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    k = world["a"]["id"]
    shift = make_shift(client, admin, k, local(JKT, 2027, 3, 1, 6))
    a = make_assignment(client, admin, shift["id"], make_staff(client, admin, k)["id"])
    url = f"/api/v1/assignments/{a['id']}/clock-in"
    for body in ({"at": "2027-03-01T06:00:00"}, {"at": "soon"}, {"when": "2027-03-01T06:00Z"}):
        assert_problem(client.post(url, json=body, headers=admin), 422, "validation_error")
    missing = "/api/v1/assignments/9b2e4f7a-0000-4000-8000-000000000000/clock-in"
    assert_problem(client.post(missing, json={}, headers=admin), 404)


def test_timesheet_sums(client: TestClient, admin: dict[str, str], world: dict[str, Any]) -> None:
    """Hours computed by hand from the shifts and clock times this test makes."""
    k = world["wit"]["id"]
    ani = make_staff(client, admin, k, full_name="Ani", role="cook")
    budi = make_staff(client, admin, k, full_name="Budi", role="driver")
    citra = make_staff(client, admin, k, full_name="Citra", role="prep")
    dodi = make_staff(client, admin, k, full_name="Dodi", role="washer")  # no shifts
    eka = make_staff(client, admin, k, full_name="Eka", role="cleaner")  # inactive, no shifts
    client.delete(f"/api/v1/staff/{eka['id']}", headers=admin)

    # Range: 2-3 March 2027, kitchen-local (WIT, UTC+9).
    s1 = (local(WIT, 2027, 3, 2, 0, 30), local(WIT, 2027, 3, 2, 8, 30))  # first local minute
    s2 = (local(WIT, 2027, 3, 3, 22, 0), local(WIT, 2027, 3, 4, 4, 30))  # crosses midnight
    s3 = (local(WIT, 2027, 3, 2, 9, 0), local(WIT, 2027, 3, 2, 19, 0))
    outside = (local(WIT, 2027, 3, 1, 23, 30), local(WIT, 2027, 3, 2, 0, 30))  # starts 1 March
    after = (local(WIT, 2027, 3, 4, 6, 0), local(WIT, 2027, 3, 4, 10, 0))  # starts 4 March
    shift = {}
    for name, span in (("s1", s1), ("s2", s2), ("s3", s3), ("out", outside), ("after", after)):
        shift[name] = make_shift(
            client,
            admin,
            k,
            span[0],
            ends_at=span[1],
            requirements={"cook": 2, "driver": 1, "prep": 1},
        )
    a1 = make_assignment(client, admin, shift["s1"]["id"], ani["id"])
    make_assignment(client, admin, shift["s2"]["id"], ani["id"])
    make_assignment(client, admin, shift["out"]["id"], ani["id"])
    make_assignment(client, admin, shift["after"]["id"], ani["id"])
    b3 = make_assignment(client, admin, shift["s3"]["id"], budi["id"])
    c1 = make_assignment(client, admin, shift["s1"]["id"], citra["id"])

    ani_in, ani_out = s1[0] - timedelta(minutes=7), s1[1] + timedelta(minutes=13, seconds=20)
    assert clock(client, admin, a1["id"], "in", ani_in).status_code == 200
    assert clock(client, admin, a1["id"], "out", ani_out).status_code == 200
    assert clock(client, admin, b3["id"], "in", s3[0]).status_code == 200  # never clocked out
    citra_in, citra_out = s1[0] + timedelta(minutes=2), s1[1] - timedelta(hours=1, minutes=1)
    assert clock(client, admin, c1["id"], "in", citra_in).status_code == 200
    assert clock(client, admin, c1["id"], "out", citra_out).status_code == 200
    # Citra leaves the kitchen: her hours stay on the timesheet.
    assert client.delete(f"/api/v1/staff/{citra['id']}", headers=admin).status_code == 204

    resp = client.get(
        f"/api/v1/kitchens/{k}/timesheet",
        params={"from": "2027-03-02", "to": "2027-03-03"},
        headers=world["manager"],
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["from"] == "2027-03-02" and body["to"] == "2027-03-03"
    rows = {r["staff_id"]: r for r in body["items"]}
    assert set(rows) == {ani["id"], budi["id"], citra["id"], dodi["id"]}
    assert rows[ani["id"]] == {
        "staff_id": ani["id"],
        "full_name": "Ani",
        "role": "cook",
        "active": True,
        "shifts": 2,
        "scheduled_hours": hours(s1, s2),
        "worked_hours": hours((ani_in, ani_out)),
    }
    assert rows[ani["id"]]["scheduled_hours"] == 14.5
    assert rows[ani["id"]]["worked_hours"] == 8.34  # 8 h 20 min 20 s
    assert rows[budi["id"]]["scheduled_hours"] == hours(s3) == 10
    assert rows[budi["id"]]["worked_hours"] == 0 and rows[budi["id"]]["shifts"] == 1
    assert rows[citra["id"]]["active"] is False
    assert rows[citra["id"]]["scheduled_hours"] == hours(s1)
    assert rows[citra["id"]]["worked_hours"] == hours((citra_in, citra_out)) == 6.95
    assert rows[dodi["id"]]["shifts"] == 0 and rows[dodi["id"]]["scheduled_hours"] == 0
    assert [r["full_name"] for r in body["items"]] == ["Ani", "Budi", "Citra", "Dodi"]

    # Citra's history also survives a later re-read of her shift.
    got = client.get(f"/api/v1/shifts/{shift['s1']['id']}", headers=admin).json()
    assert citra["id"] in {x["staff_id"] for x in got["assignments"]}


def test_timesheet_defaults_to_the_current_local_iso_week(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k = world["wit"]["id"]
    today = datetime.now(ZoneInfo(WIT)).date()
    monday = today - timedelta(days=today.weekday())
    resp = client.get(f"/api/v1/kitchens/{k}/timesheet", headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["from"] == monday.isoformat()
    assert resp.json()["to"] == (monday + timedelta(days=6)).isoformat()
    only_from = client.get(
        f"/api/v1/kitchens/{k}/timesheet", params={"from": "2027-03-03"}, headers=admin
    ).json()
    assert (only_from["from"], only_from["to"]) == ("2027-03-03", "2027-03-09")
    url = f"/api/v1/kitchens/{k}/timesheet"
    assert_problem(
        client.get(url, params={"from": "2027-03-03", "to": "2027-03-02"}, headers=admin), 422
    )
    assert_problem(
        client.get(url, params={"from": "2026-01-01", "to": "2027-01-03"}, headers=admin), 422
    )
