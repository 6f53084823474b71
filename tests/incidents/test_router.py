"""Incidents (suspected food poisoning) and their trace: reported by the health office of
the region, read by it and the kitchen's managers, traced in one call."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all, make_school, recorded_statements
from tests.builders.deliveries import make_delivery, make_incident, patch_delivery
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import (
    MISSING,
    OpsWorld,
    make_menu,
    make_ops_world,
    make_safety_check,
    put_counts,
)
from tests.builders.shifts import local, make_assignment, make_shift, make_staff

DAY = "2026-03-02"
TZ = "Asia/Jakarta"
WIB = ZoneInfo(TZ)


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    return make_ops_world(client, admin)


def test_report_and_read_an_incident(client: TestClient, world: OpsWorld) -> None:
    school = make_school(client, world.admin, world.a["id"])
    made = make_incident(
        client,
        world.health_a,
        school["id"],
        DAY,
        cases=37,
        hospitalised=4,
        onset_at=f"{DAY}T13:30:00+07:00",
        symptoms=["mual", " muntah ", "diare"],
        notes="Laporan Puskesmas",
    )
    assert made["kitchen_id"] == world.a["id"] and made["school_id"] == school["id"]
    assert made["cases"] == 37 and made["hospitalised"] == 4
    assert made["symptoms"] == ["mual", "muntah", "diare"]
    assert datetime.fromisoformat(made["onset_at"]) == datetime(2026, 3, 2, 13, 30, tzinfo=WIB)
    assert made["reported_by_kind"] == "api_key"
    for headers in (world.admin, world.health_a, world.manager_a):
        got = client.get(f"/api/v1/incidents/{made['id']}", headers=headers)
        assert got.status_code == 200 and got.json() == made
    for headers, status in ((world.manager_b, 404), (world.health_other, 404), (world.agri_a, 403)):
        assert_problem(client.get(f"/api/v1/incidents/{made['id']}", headers=headers), status)
        trace = client.get(f"/api/v1/incidents/{made['id']}/trace", headers=headers)
        assert_problem(trace, status)
    assert_problem(client.get(f"/api/v1/incidents/{MISSING}", headers=world.admin), 404)


def test_who_may_report(client: TestClient, world: OpsWorld) -> None:
    school_a = make_school(client, world.admin, world.a["id"])
    school_b = make_school(client, world.admin, world.b["id"])
    body = {"school_id": school_a["id"], "meal_date": DAY, "cases": 3}
    assert_problem(client.post("/api/v1/incidents", json=body, headers=world.manager_a), 403)
    assert_problem(client.post("/api/v1/incidents", json=body, headers=world.agri_a), 403)
    # A school outside the office's region is as good as missing.
    assert_problem(client.post("/api/v1/incidents", json=body, headers=world.health_other), 404)
    other = {**body, "school_id": school_b["id"]}
    resp = client.post("/api/v1/incidents", json=other, headers=world.health_a)
    assert_problem(resp, 404)
    assert school_b["npsn"] not in resp.text
    missing = {**body, "school_id": MISSING}
    assert_problem(client.post("/api/v1/incidents", json=missing, headers=world.admin), 404)
    assert (
        client.post("/api/v1/incidents", json=other, headers=world.health_other).status_code == 201
    )


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"cases": 0}, "cases"),
        ({"cases": 3, "hospitalised": 4}, "hospitalised"),
        ({"meal_date": "2099-01-05"}, "meal_date"),
        ({"onset_at": "2026-03-01T23:59:00+07:00"}, "onset_at"),
        ({"onset_at": "2026-03-02T13:00:00"}, "onset_at"),
        ({"symptoms": ["  "]}, "symptoms"),
        ({"cases": True}, "cases"),
    ],
)
def test_incident_rules(
    client: TestClient, world: OpsWorld, fields: dict[str, Any], where: str
) -> None:
    school = make_school(client, world.admin, world.a["id"])
    body = {"school_id": school["id"], "meal_date": DAY, "cases": 5, **fields}
    resp = client.post("/api/v1/incidents", json=body, headers=world.health_a)
    problem = assert_problem(resp, 422)
    assert any(where in e["loc"] for e in problem["errors"]), problem


def test_list_is_scoped_and_filtered(client: TestClient, world: OpsWorld) -> None:
    sa = make_school(client, world.admin, world.a["id"])
    sb = make_school(client, world.admin, world.b["id"])
    i1 = make_incident(client, world.admin, sa["id"], "2026-03-02")
    i2 = make_incident(client, world.admin, sa["id"], "2026-03-05")
    i3 = make_incident(client, world.admin, sb["id"], "2026-03-02")

    def ids(headers: dict[str, str], **params: str) -> set[str]:
        resp = client.get("/api/v1/incidents", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        return {i["id"] for i in resp.json()["items"]}

    assert {i["id"] for i in list_all(client, "/api/v1/incidents", world.admin)} == {
        i1["id"],
        i2["id"],
        i3["id"],
    }
    assert ids(world.health_a) == ids(world.manager_a) == {i1["id"], i2["id"]}
    assert ids(world.health_other) == ids(world.manager_b) == {i3["id"]}
    assert ids(world.admin, **{"from": "2026-03-03", "to": "2026-03-31"}) == {i2["id"]}
    assert ids(world.admin, kitchen_id=world.b["id"]) == {i3["id"]}
    assert_problem(client.get("/api/v1/incidents", headers=world.agri_a), 403)


def _outbreak(client: TestClient, w: OpsWorld) -> dict[str, Any]:
    """Kitchen A's day: a lunch of two recipes, its cooking, four schools, shifts."""
    kid, admin = w.a["id"], w.admin
    rice = make_food(client, admin, {"energy_kcal": 130}, name="Nasi", commodity="beras")
    egg = make_food(
        client, admin, {"energy_kcal": 150, "protein_g": 12}, name="Telur", allergens=["egg"]
    )
    staple = make_recipe(client, admin, [(rice["id"], 150)], name="Nasi putih")
    dish = make_recipe(client, admin, [(egg["id"], 50), (rice["id"], 10)], name="Telur balado")
    lunch = make_menu(client, admin, kid, [(staple["id"], 1), (dish["id"], 1.5)], service_date=DAY)
    snack = make_menu(
        client, admin, kid, [(staple["id"], 0.5)], service_date=DAY, meal_type="snack"
    )
    make_menu(client, admin, kid, [(staple["id"], 1)], service_date="2026-03-03")
    check = make_safety_check(
        client, admin, kid, cooked_at=f"{DAY}T04:00:00+07:00", core_temp_c=70.0
    )

    ill, near, far, quiet = (
        make_school(client, admin, kid, name=f"SD {n}", npsn=f"5550000{i}", enrolment={"7-9": 50})
        for i, n in enumerate(("Ill", "Near", "Far", "Quiet"))
    )
    elsewhere = make_school(client, admin, w.b["id"], npsn="55500009")
    sent = make_delivery(client, admin, kid, ill["id"], DAY, portions=50)
    patch_delivery(
        client, admin, sent["id"], arrived_at=f"{DAY}T09:20:00+07:00",
        consumption_started_at=f"{DAY}T10:30:00+07:00", received_portions=50,
    )  # fmt: skip
    near_delivery = make_delivery(client, admin, kid, near["id"], DAY, portions=50)
    patch_delivery(client, admin, near_delivery["id"], received_portions=48)
    make_delivery(client, admin, kid, far["id"], DAY, portions=40)
    make_delivery(client, admin, kid, near["id"], "2026-03-03", portions=50)
    make_delivery(client, admin, w.b["id"], elsewhere["id"], DAY, portions=10)
    put_counts(
        client, admin, kid, DAY,
        [
            {"school_id": ill["id"], "target_group": "7-9", "prepared": 50, "served": 49},
            {"school_id": near["id"], "target_group": "7-9", "prepared": 50, "served": 45},
            {"school_id": quiet["id"], "target_group": "7-9", "prepared": 50},
        ],
    )  # fmt: skip

    # Shifts: the evening before (preparation), the night's cooking, the day's delivery; one
    # two days before is too early, one the next day too late.
    valid = make_staff(client, admin, kid, full_name="Siti Aminah", role="cook")
    lapsing = make_staff(client, admin, kid, full_name="Ujang Hidayat", role="prep")
    unknown = make_staff(client, admin, kid, full_name="Euis Kurnia", role="portioning")
    driver = make_staff(client, admin, kid, full_name="Cecep", role="driver")
    idle = make_staff(client, admin, kid, full_name="Tati", role="cook")
    prep = make_shift(
        client, admin, kid, local(TZ, 2026, 3, 1, 18), hours=5, requirements={"prep": 1}
    )
    cook = make_shift(
        client, admin, kid, local(TZ, 2026, 3, 2, 1), requirements={"cook": 1, "portioning": 1,
        "driver": 1},
    )  # fmt: skip
    early = make_shift(client, admin, kid, local(TZ, 2026, 2, 28, 18), requirements={"cook": 1})
    late = make_shift(client, admin, kid, local(TZ, 2026, 3, 3, 1), requirements={"cook": 1})
    make_assignment(client, admin, prep["id"], lapsing["id"])
    for person in (valid, unknown, driver):
        make_assignment(client, admin, cook["id"], person["id"])
    make_assignment(client, admin, early["id"], idle["id"])
    make_assignment(client, admin, late["id"], idle["id"])
    # Certificates as they stand now: one lapsed before the meal, one never recorded.
    for person, expires in ((lapsing, "2026-03-01"), (unknown, None)):
        resp = client.patch(
            f"/api/v1/staff/{person['id']}",
            json={"food_handler_cert_expires_on": expires},
            headers=admin,
        )
        assert resp.status_code == 200, resp.text

    incident = make_incident(client, w.health_a, ill["id"], DAY, cases=20)
    return {
        "incident": incident, "lunch": lunch, "snack": snack, "check": check,
        "staple": staple, "dish": dish, "rice": rice, "egg": egg,
        "ill": ill, "near": near, "far": far, "quiet": quiet, "sent": sent,
        "valid": valid, "lapsing": lapsing, "unknown": unknown, "prep": prep, "cook": cook,
    }  # fmt: skip


def test_the_trace(client: TestClient, world: OpsWorld) -> None:
    o = _outbreak(client, world)
    resp = client.get(f"/api/v1/incidents/{o['incident']['id']}/trace", headers=world.health_a)
    assert resp.status_code == 200, resp.text
    trace = resp.json()
    assert trace["incident"] == o["incident"]
    assert trace["kitchen"]["id"] == world.a["id"]
    assert trace["kitchen"]["hygiene_status_on_meal_date"] == "missing"
    assert trace["school"] == {
        "id": o["ill"]["id"], "npsn": o["ill"]["npsn"], "name": o["ill"]["name"]
    }  # fmt: skip

    # The school was delivered lunch only: the snack menu of that day is not its meal.
    assert [m["id"] for m in trace["menus"]] == [o["lunch"]["id"]]
    (menu,) = trace["menus"]
    assert [(r["recipe_id"], r["name"], r["servings"]) for r in menu["recipes"]] == [
        (o["staple"]["id"], "Nasi putih", 1.0),
        (o["dish"]["id"], "Telur balado", 1.5),
    ]
    dish = menu["recipes"][1]
    assert [(f["food_id"], f["grams"], f["allergens"]) for f in dish["foods"]] == [
        (o["egg"]["id"], 50.0, ["egg"]),
        (o["rice"]["id"], 10.0, []),
    ]
    assert [c["id"] for c in trace["food_safety_checks"]] == [o["check"]["id"]]
    assert trace["food_safety_checks"][0]["flags"] == ["core_temp_below_75c"]
    (delivery,) = trace["deliveries"]
    assert delivery["id"] == o["sent"]["id"] and delivery["flags"] == ["over_4h", "over_6h"]

    handlers = {(s["staff_id"], s["shift_id"]): s for s in trace["staff_on_shift"]}
    assert set(handlers) == {
        (o["lapsing"]["id"], o["prep"]["id"]),
        (o["valid"]["id"], o["cook"]["id"]),
        (o["unknown"]["id"], o["cook"]["id"]),
    }
    assert handlers[(o["valid"]["id"], o["cook"]["id"])]["certificate_status"] == "valid"
    assert handlers[(o["lapsing"]["id"], o["prep"]["id"])]["certificate_status"] == "expired"
    assert handlers[(o["unknown"]["id"], o["cook"]["id"])]["certificate_status"] == "missing"
    assert handlers[(o["lapsing"]["id"], o["prep"]["id"])]["role"] == "prep"
    # Names are staff data: not for the health office.
    assert all(s["full_name"] is None for s in trace["staff_on_shift"])
    assert "Siti Aminah" not in resp.text

    at_risk = {s["name"]: s for s in trace["at_risk_schools"]}
    assert list(at_risk) == ["SD Far", "SD Near", "SD Quiet"]  # by name; not the ill one
    assert (at_risk["SD Near"]["portions_delivered"], at_risk["SD Near"]["portions_served"]) == (
        48,
        45,
    )
    assert (at_risk["SD Far"]["portions_delivered"], at_risk["SD Far"]["portions_served"]) == (
        40,
        None,
    )
    assert at_risk["SD Quiet"]["portions_delivered"] is None
    assert at_risk["SD Quiet"]["npsn"] == o["quiet"]["npsn"]

    for headers in (world.admin, world.manager_a):
        named = client.get(f"/api/v1/incidents/{o['incident']['id']}/trace", headers=headers)
        names = {s["full_name"] for s in named.json()["staff_on_shift"]}
        assert names == {"Siti Aminah", "Ujang Hidayat", "Euis Kurnia"}


def test_a_day_without_menus_lists_the_schools_that_got_food(
    client: TestClient, world: OpsWorld
) -> None:
    kid = world.a["id"]
    ill = make_school(client, world.admin, kid, name="SD A")
    fed = make_school(client, world.admin, kid, name="SD B")
    make_school(client, world.admin, kid, name="SD C")
    make_delivery(client, world.admin, kid, fed["id"], DAY, portions=30)
    incident = make_incident(client, world.health_a, ill["id"], DAY)
    trace = client.get(f"/api/v1/incidents/{incident['id']}/trace", headers=world.admin).json()
    assert trace["menus"] == [] and trace["deliveries"] == [] and trace["staff_on_shift"] == []
    assert [s["name"] for s in trace["at_risk_schools"]] == ["SD B"]


def _sized_outbreak(client: TestClient, w: OpsWorld, kitchen: dict[str, Any], n: int) -> str:
    kid, admin = kitchen["id"], w.admin
    food = make_food(client, admin, {"energy_kcal": 100})
    recipes = [make_recipe(client, admin, [(food["id"], 20 + i)]) for i in range(n // 3 + 1)]
    make_menu(client, admin, kid, [(r["id"], 1) for r in recipes], service_date=DAY)
    make_safety_check(client, admin, kid)
    schools = [make_school(client, admin, kid) for _ in range(n)]
    for s in schools:
        make_delivery(client, admin, kid, s["id"], DAY)
    put_counts(
        client, admin, kid, DAY,
        [{"school_id": s["id"], "target_group": "7-9", "served": 90} for s in schools],
    )  # fmt: skip
    shift = make_shift(client, admin, kid, local(TZ, 2026, 3, 2, 1), requirements={"cook": n})
    for _ in range(n):
        make_assignment(client, admin, shift["id"], make_staff(client, admin, kid)["id"])
    return str(make_incident(client, admin, schools[0]["id"], DAY)["id"])


def test_trace_statement_count_does_not_grow_with_the_kitchen(
    app: FastAPI, client: TestClient, admin: dict[str, str], world: OpsWorld
) -> None:
    small = _sized_outbreak(client, world, world.a, 2)
    large = _sized_outbreak(client, world, world.b, 12)
    client.get(f"/api/v1/incidents/{small}/trace", headers=admin)  # warm caches
    counts = []
    for incident in (small, large):
        with recorded_statements(app) as seen:
            resp = client.get(f"/api/v1/incidents/{incident}/trace", headers=admin)
        assert resp.status_code == 200, resp.text
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 10, counts
    assert (
        len(client.get(f"/api/v1/incidents/{large}/trace", headers=admin).json()["at_risk_schools"])
        == 11
    )


def test_trace_after_the_kitchen_was_suspended(client: TestClient, world: OpsWorld) -> None:
    school = make_school(client, world.admin, world.a["id"])
    incident = make_incident(client, world.health_a, school["id"], DAY)
    resp = client.post(
        f"/api/v1/kitchens/{world.a['id']}/suspension",
        json={"reason": "Outbreak under investigation by Dinkes"},
        headers=world.health_a,
    )
    assert resp.status_code == 200
    trace = client.get(f"/api/v1/incidents/{incident['id']}/trace", headers=world.health_a)
    assert trace.json()["kitchen"]["status"] == "suspended"
    when = datetime.fromisoformat(trace.json()["kitchen"]["suspended_at"])
    assert abs(when - datetime.now(WIB)) < timedelta(minutes=5)
