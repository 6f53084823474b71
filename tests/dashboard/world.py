"""The dashboard's test world: the reports' programme, with people who sign in and with
menus, meal counts and food-safety checks over the days before today.

Kitchens (tests.builders.reports): A1 and A2 in 32.73.01, B in 32.04.05, C in 35.78.02.
People with passwords: an admin, health offices of 32 and of 35, an agriculture office of
32 and the manager of A1. Food: one recipe of 100 kcal and 10 g protein a serving; menus
of 5 servings pass the check for 7-9 (A2, C) and fail it for 10-12-m and 13-15-f (A1, B),
which are approved with an override. Rice has a national price, eggs a price in 32.73 only
(B's eggs have none). Dates are relative to the overview's today.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.dashboard.overview import region_today
from tests.builders import Headers, make_user, unique
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, make_safety_check, put_counts
from tests.builders.reports import Programme, count, make_programme
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

PASSWORD = "dashboard-password-1"
OVERRIDE = "Menu served as planned while the recipe is reworked"


@dataclass(eq=False)
class Person:
    """Someone who signs in: username, password, API headers and the user's id."""

    username: str
    password: str
    headers: Headers
    user_id: str


@dataclass
class World:
    p: Programme
    today: date
    admin: Person
    health_32: Person
    health_35: Person
    agri_32: Person
    manager_a1: Person
    menus: dict[str, list[dict[str, Any]]]


def person(client: TestClient, admin: Headers, role: str, **fields: Any) -> Person:
    username = unique("officer")
    user, headers = make_user(
        client, admin, role, username=username, password=PASSWORD, full_name=f"Ibu {role}", **fields
    )
    return Person(username, PASSWORD, headers, user["id"])


def approve(client: TestClient, headers: Headers, menu: dict[str, Any]) -> dict[str, Any]:
    """Approve a menu, with an override when its check fails."""
    resp = client.post(f"/api/v1/menus/{menu['id']}/approve", json={}, headers=headers)
    if resp.status_code == 409:
        resp = client.post(
            f"/api/v1/menus/{menu['id']}/approve",
            json={"override_reason": OVERRIDE},
            headers=headers,
        )
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def make_world(client: TestClient, admin: Headers) -> World:
    p = make_programme(client, admin)
    today = region_today()
    me = client.get("/api/v1/me", headers=admin).json()
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10}, commodity="beras")
    egg = make_food(client, admin, {"protein_g": 12}, commodity="telur ayam", edible_portion_pct=88)
    recipe = make_recipe(client, admin, [(food["id"], 100), (egg["id"], 10)], name="Nasi telur")
    # Prices: rice nationally, eggs only in 32.73, so kitchen B's egg has no price.
    long_ago = (today - timedelta(days=90)).isoformat()
    for body in (
        {"food_id": food["id"], "price_per_kg": 14_000, "valid_from": long_ago},
        {
            "food_id": egg["id"],
            "price_per_kg": 31_500,
            "valid_from": long_ago,
            "region_code": "32.73",
        },
    ):
        resp = client.post("/api/v1/food-prices", json=body, headers=admin)
        assert resp.status_code == 201, resp.text
    world = World(
        p=p,
        today=today,
        admin=Person(ADMIN_USERNAME, ADMIN_PASSWORD, admin, me["id"]),
        health_32=person(client, admin, "health_office", region_code="32"),
        health_35=person(client, admin, "health_office", region_code="35"),
        agri_32=person(client, admin, "agriculture_office", region_code="32"),
        manager_a1=person(client, admin, "kitchen_manager", kitchen_ids=[p.a1["id"]]),
        menus={},
    )

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    # Menus: approved on the days before, drafts on the last days and ahead.
    plan = {
        "a1": (p.a1, range(-9, -2), [-2, -1, 3, 10]),
        "a2": (p.a2, range(-9, -1), [-1, 4]),
        "b": (p.b, range(-5, 0), [2, 9]),
        "c": (p.c, range(-6, 0), [1]),
    }
    for name, (kitchen, approved_days, draft_days) in plan.items():
        made = []
        for offset in [*approved_days, *draft_days]:
            menu = make_menu(
                client, admin, kitchen["id"], [(recipe["id"], 5)], service_date=day(offset)
            )
            made.append(approve(client, admin, menu) if offset in approved_days else menu)
        world.menus[name] = made

    # Meal counts: A1 on six days (one without served), A2 on five, B on four, C on three.
    for offset in range(-9, -3):
        served = None if offset == -4 else 95
        put_counts(client, admin, p.a1["id"], day(offset), [
            count(p.sa1, "7-9", 100, 98, served, 2),
            count(p.sa1, "10-12-m", 40, 40, 39, 1),
            count(p.sa2, "7-9", 60, 60, 58, 0),
        ])  # fmt: skip
    for offset in (-9, -8, -7, -6, -3):
        put_counts(client, admin, p.a2["id"], day(offset), [count(p.sa3, "7-9", 20, 20, 19)])
    for offset in range(-5, -1):
        put_counts(client, admin, p.b["id"], day(offset), [
            count(p.sb, "7-9", 50, 50, 50), count(p.sb, "13-15-f", 30, 28, 27),
        ])  # fmt: skip
    for offset in range(-6, -3):
        put_counts(client, admin, p.c["id"], day(offset), [count(p.sc, "7-9", 10, 10, 10)])

    # Food-safety checks, some flagged.
    make_safety_check(client, admin, p.a1["id"], service_date=day(-4),
                      dispatched_at=f"{day(-4)}T08:30:00+07:00")  # fmt: skip
    make_safety_check(client, admin, p.a1["id"], service_date=day(-5))
    make_safety_check(client, admin, p.a2["id"], service_date=day(-3), sample_retained=False,
                      core_temp_c=70.0)  # fmt: skip
    make_safety_check(client, admin, p.b["id"], service_date=day(-2))
    make_safety_check(client, admin, p.c["id"], service_date=day(-3), organoleptic_ok=False)

    # Deliveries: on time, late (eaten over 4 h and over 6 h after cooking), short, and
    # one never received; the checks above finished cooking at 03:00.
    def deliver(kitchen: dict[str, Any], school: dict[str, Any], offset: int, **f: Any) -> None:
        on = day(offset)
        body = {
            "service_date": on,
            "school_id": school["id"],
            "meal_type": "lunch",
            "portions": f.pop("portions", 100),
            "departed_at": f"{on}T06:00:00+07:00",
        }
        resp = client.post(f"/api/v1/kitchens/{kitchen['id']}/deliveries", json=body, headers=admin)
        assert resp.status_code == 201, resp.text
        if f:
            resp = client.patch(f"/api/v1/deliveries/{resp.json()['id']}", json=f, headers=admin)
            assert resp.status_code == 200, resp.text

    deliver(
        p.a1,
        p.sa1,
        -5,
        arrived_at=f"{day(-5)}T06:40:00+07:00",
        consumption_started_at=f"{day(-5)}T07:00:00+07:00",
        received_portions=100,
    )
    deliver(
        p.a1,
        p.sa2,
        -5,
        arrived_at=f"{day(-5)}T07:30:00+07:00",
        consumption_started_at=f"{day(-5)}T09:45:00+07:00",
        received_portions=90,
    )
    deliver(
        p.a2,
        p.sa3,
        -3,
        arrived_at=f"{day(-3)}T08:00:00+07:00",
        consumption_started_at=f"{day(-3)}T08:10:00+07:00",
    )
    deliver(p.b, p.sb, -2)  # never received
    deliver(p.c, p.sc, -3, arrived_at=f"{day(-3)}T11:00:00+07:00")  # fmt: skip

    # Hygiene certificates: A1 valid, A2 expiring, B expired, C none; B suspended.
    certificates = {
        "a1": (p.a1, 400),
        "a2": (p.a2, 10),
        "b": (p.b, -3),
    }
    for kitchen, days_left in certificates.values():
        body = {
            "number": unique("SLHS/"),
            "issued_on": (today - timedelta(days=700)).isoformat(),
            "expires_on": (today + timedelta(days=days_left)).isoformat(),
        }
        resp = client.put(
            f"/api/v1/kitchens/{kitchen['id']}/hygiene-certificate", json=body, headers=admin
        )
        assert resp.status_code == 200, resp.text
    resp = client.post(
        f"/api/v1/kitchens/{p.b['id']}/suspension",
        json={"reason": "Certificate expired; cooking stops until it is renewed"},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text

    # Incidents: one at A1 five days ago, one in East Java (C).
    for school, offset, cases in ((p.sa1, -5, 12), (p.sc, -3, 3)):
        resp = client.post(
            "/api/v1/incidents",
            json={"school_id": school["id"], "meal_date": day(offset), "cases": cases,
                  "hospitalised": 1, "symptoms": ["mual", "diare"]},
            headers=admin,
        )  # fmt: skip
        assert resp.status_code == 201, resp.text
    return world
