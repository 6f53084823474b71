"""The authorization matrix of docs/api.md, generated from the application's route table.

Every /api/v1 route must have a row in ROUTES (a route added without one fails
`test_every_api_route_has_a_row`). Each row is called by the seven principals of the
issue and must answer what its access rule implies:

- anonymous: 401 (unless the route is PUBLIC);
- a role the rule does not name: 403, whatever the object;
- a rule that is `scoped` (the route addresses an object of kitchen A): 404 for callers
  who cannot see kitchen A (kitchen B's manager, the other province's health office);
- otherwise the row's success status.

Adding a route is one line: `Row("POST", "/kitchens/{kitchen_id}/staff", STAFF_A, 201,
body=lambda w: {...})`. Bodies are valid (FastAPI validates a body before the role
dependencies run, so an invalid one would answer 422 and hide the rule under test) and
made fresh for each call, so a second successful create does not collide with the first.
Path ids come from PATH_IDS (objects of kitchen A), or from a row's own `ids` for routes
that consume their object (a DELETE gets a fresh one per call). `expect` overrides the
derived status for a principal where the contract says something the rule cannot.
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.builders import (
    make_api_key,
    make_kitchen,
    make_school,
    make_user,
    unique,
)
from tests.builders.deliveries import delivery_body, make_delivery, make_incident, suspend
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, make_safety_check, put_counts
from tests.builders.shifts import clock, local, make_assignment, make_shift, make_staff
from tests.conftest import ADMIN_PASSWORD, ADMIN_USERNAME

API = "/api/v1"
Headers = dict[str, str]

# -- principals --------------------------------------------------------------------------

ANONYMOUS = "anonymous"
ADMIN = "admin"
MANAGER_A = "manager_a"
MANAGER_B = "manager_b"
HEALTH_A = "health_a"  # health office of kitchen A's regency (32.73)
HEALTH_OTHER = "health_other"  # health office of another province (35)
AGRICULTURE = "agriculture"  # agriculture office of kitchen A's province (32)

# Denied callers first, so a destructive success (a DELETE) comes after every refusal.
PRINCIPALS = [ANONYMOUS, AGRICULTURE, HEALTH_OTHER, MANAGER_B, HEALTH_A, MANAGER_A, ADMIN]
ROLE = {
    ADMIN: "admin",
    MANAGER_A: "kitchen_manager",
    MANAGER_B: "kitchen_manager",
    HEALTH_A: "health_office",
    HEALTH_OTHER: "health_office",
    AGRICULTURE: "agriculture_office",
}
SEES_KITCHEN_A = {ADMIN, MANAGER_A, HEALTH_A, AGRICULTURE}

# -- access rules (docs/api.md) ----------------------------------------------------------


@dataclass(frozen=True)
class Access:
    roles: frozenset[str] = frozenset()
    scoped: bool = False  # the route addresses an object of kitchen A
    public: bool = False


ALL_ROLES = frozenset(ROLE.values())
PUBLIC = Access(public=True)
ANY_ROLE = Access(ALL_ROLES)
ADMIN_ONLY = Access(frozenset({"admin"}))
# An object of kitchen A that every role may see within its scope (VisibleKitchen).
VISIBLE_A = Access(ALL_ROLES, scoped=True)
# Schools, menus, meal counts, food safety of kitchen A: read (OpsReadKitchen).
OPS_READ_A = Access(frozenset({"admin", "kitchen_manager", "health_office"}), scoped=True)
# Writes to kitchen A's operations; staff, shifts, timesheets (ManagedKitchen).
STAFF_A = Access(frozenset({"admin", "kitchen_manager"}), scoped=True)
# Integration pulls: the office's own region (not scoped to kitchen A).
HEALTH_OFFICES = Access(frozenset({"admin", "health_office"}))
AGRICULTURE_OFFICES = Access(frozenset({"admin", "agriculture_office"}))
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
# Admin-only writes to an object of kitchen A (the role gate comes first: 403, not 404).
ADMIN_A = Access(frozenset({"admin"}), scoped=True)
# A health office's writes on kitchen A (certificate, suspension, incidents): admin and the
# health office of its region; other roles 403, another region's office 404.
HEALTH_WRITE_A = Access(frozenset({"admin", "health_office"}), scoped=True)
# Incidents at kitchen A: admin, health offices of its region and its managers.
INCIDENT_READ_A = Access(frozenset({"admin", "health_office", "kitchen_manager"}), scoped=True)
# The list of incidents: the same roles, each seeing only its own scope's.
INCIDENT_READERS = Access(frozenset({"admin", "health_office", "kitchen_manager"}))


def expected_status(row: "Row", principal: str) -> int:
    """What docs/api.md says this principal gets from this route."""
    if principal in row.expect:
        return row.expect[principal]
    access = row.access
    if access.public:
        return row.ok
    if principal == ANONYMOUS:
        return 401
    if ROLE[principal] not in access.roles:
        return 403
    if access.scoped and principal not in SEES_KITCHEN_A:
        return 404
    return row.ok


# -- the world the matrix runs in --------------------------------------------------------


@dataclass
class World:
    client: TestClient
    admin: Headers
    a: dict[str, Any]  # kitchen A, region 32.73.01
    b: dict[str, Any]  # kitchen B, region 35.78.02
    school_a: dict[str, Any]
    spare_user: dict[str, Any]  # a user no principal logs in as (PATCHed freely)
    headers: dict[str, Headers] = field(default_factory=dict)
    ops: dict[str, Any] = field(default_factory=dict)  # kitchen A's staff, shift, menu, ...

    def new_api_key(self) -> str:
        """A key nobody uses, to revoke."""
        return str(make_api_key(self.client, self.admin, "health_office", "32")[0]["id"])

    def an_audit_event(self) -> str:
        resp = self.client.get(f"{API}/audit-events", params={"limit": 1}, headers=self.admin)
        return str(resp.json()["items"][0]["id"])


def build_world(client: TestClient, admin: Headers) -> World:
    a = make_kitchen(client, admin, region_code="32.73.01")
    b = make_kitchen(client, admin, region_code="35.78.02")
    world = World(
        client=client,
        admin=admin,
        a=a,
        b=b,
        school_a=make_school(client, admin, a["id"]),
        spare_user=make_user(client, admin, "kitchen_manager", kitchen_ids=[a["id"]])[0],
    )
    world.headers = {
        ANONYMOUS: {},
        ADMIN: admin,
        MANAGER_A: make_user(client, admin, "kitchen_manager", kitchen_ids=[a["id"]])[1],
        MANAGER_B: make_user(client, admin, "kitchen_manager", kitchen_ids=[b["id"]])[1],
        HEALTH_A: make_user(client, admin, "health_office", region_code="32.73")[1],
        HEALTH_OTHER: make_api_key(client, admin, "health_office", "35")[1],
        AGRICULTURE: make_api_key(client, admin, "agriculture_office", "32")[1],
    }
    build_operations(world)
    return world


_days = itertools.count(1)


def next_day() -> str:
    """A fresh service date, so every menu created gets its own (date, meal type) slot."""
    return (date(2026, 1, 1) + timedelta(days=next(_days))).isoformat()


def build_operations(w: World) -> None:
    """One object of each kind in kitchen A, for the routes that address one by id."""
    a, admin, client = str(w.a["id"]), w.admin, w.client
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 5})
    w.ops["food"] = food
    w.ops["recipe"] = make_recipe(client, admin, [(food["id"], 100)], kitchen_id=a)
    w.ops["staff"] = make_staff(client, admin, a)
    w.ops["shift"] = make_shift(client, admin, a, local("Asia/Jakarta", 2026, 3, 2, 2))
    w.ops["menu"] = make_menu(
        client, admin, a, [(w.ops["recipe"]["id"], 1)], service_date=next_day()
    )
    w.ops["check"] = make_safety_check(client, admin, a)
    w.ops["delivery"] = make_delivery(client, admin, a, str(w.school_a["id"]), "2026-03-02")
    w.ops["incident"] = make_incident(client, admin, str(w.school_a["id"]), "2026-03-02")
    put_counts(
        client, admin, a, "2026-03-02", [{"school_id": w.school_a["id"], "target_group": "7-9"}]
    )

    def fresh_assignment(clocked_in: bool = False) -> dict[str, Any]:
        start = local("Asia/Jakarta", 2026, 4, 1, 2) + timedelta(days=next(_days))
        shift = make_shift(client, admin, a, start)
        staff = make_staff(client, admin, a)
        assignment = make_assignment(client, admin, shift["id"], staff["id"])
        if clocked_in:
            assert clock(client, admin, assignment["id"], "in", start).status_code == 200
        return assignment

    w.ops["fresh_assignment"] = fresh_assignment


# Path parameter → the id of an object of kitchen A (or one the caller may touch).
PATH_IDS: dict[str, Callable[[World], str]] = {
    "kitchen_id": lambda w: str(w.a["id"]),
    "school_id": lambda w: str(w.school_a["id"]),
    "user_id": lambda w: str(w.spare_user["id"]),
    "api_key_id": lambda w: w.new_api_key(),
    "event_id": lambda w: w.an_audit_event(),
    "food_id": lambda w: str(w.ops["food"]["id"]),
    "recipe_id": lambda w: str(w.ops["recipe"]["id"]),
    "staff_id": lambda w: str(w.ops["staff"]["id"]),
    "shift_id": lambda w: str(w.ops["shift"]["id"]),
    "menu_id": lambda w: str(w.ops["menu"]["id"]),
    "check_id": lambda w: str(w.ops["check"]["id"]),
    "delivery_id": lambda w: str(w.ops["delivery"]["id"]),
    "incident_id": lambda w: str(w.ops["incident"]["id"]),
    "service_date": lambda w: "2026-03-02",
    "code": lambda w: "7-9",
}


def _fresh_staff(w: World) -> str:
    return str(make_staff(w.client, w.admin, str(w.a["id"]))["id"])


def _fresh_shift(w: World) -> str:
    start = local("Asia/Jakarta", 2026, 5, 1, 2) + timedelta(days=next(_days))
    return str(make_shift(w.client, w.admin, str(w.a["id"]), start)["id"])


def _fresh_recipe(w: World) -> str:
    food = str(w.ops["food"]["id"])
    return str(make_recipe(w.client, w.admin, [(food, 50)], kitchen_id=str(w.a["id"]))["id"])


def _fresh_kitchen(w: World) -> str:
    """A kitchen in kitchen A's district (so the same callers see it), to suspend."""
    return str(make_kitchen(w.client, w.admin, region_code="32.73.01")["id"])


def _fresh_suspended_kitchen(w: World) -> str:
    kitchen = _fresh_kitchen(w)
    suspend(w.client, w.admin, kitchen)
    return kitchen


def _fresh_menu(w: World) -> str:
    recipe = str(w.ops["recipe"]["id"])
    menu = make_menu(w.client, w.admin, str(w.a["id"]), [(recipe, 1)], service_date=next_day())
    return str(menu["id"])


def _fresh_assignment_pair(w: World) -> str:
    """The shift of a fresh assignment; the assignment's id waits in w.ops for the next id."""
    assignment = w.ops["fresh_assignment"]()
    w.ops["pair_assignment"] = str(assignment["id"])
    return str(assignment["shift_id"])


# -- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # template under /api/v1
    access: Access
    ok: int = 200
    body: Callable[[World], Any] | None = None  # JSON
    form: Callable[[World], dict[str, str]] | None = None
    query: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Callable[[World], str]] = field(default_factory=dict)
    expect: dict[str, int] = field(default_factory=dict)


def _kitchen(w: World) -> dict[str, Any]:
    return {"code": unique("K-"), "name": "SPPG Baru", "region_code": "32.73.02"}


def _school(w: World) -> dict[str, Any]:
    return {
        "npsn": unique("9")[-8:].rjust(8, "0"),
        "name": "SD Negeri Matriks",
        "level": "sd",
        "enrolment": {"7-9": 10},
    }


def _user(w: World) -> dict[str, Any]:
    return {
        "username": unique("matrix"),
        "password": "password-matrix",
        "full_name": "Pengguna Matriks",
        "role": "kitchen_manager",
        "kitchen_ids": [w.a["id"]],
    }


ROUTES: list[Row] = [
    # auth
    Row(
        "POST",
        "/auth/token",
        PUBLIC,
        form=lambda w: {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
    ),
    Row("GET", "/me", ANY_ROLE),
    # users, api keys: admin only
    Row("POST", "/users", ADMIN_ONLY, 201, body=_user),
    Row("GET", "/users", ADMIN_ONLY),
    Row("GET", "/users/{user_id}", ADMIN_ONLY),
    Row("PATCH", "/users/{user_id}", ADMIN_ONLY, body=lambda w: {"full_name": "Nama Baru"}),
    Row(
        "POST",
        "/api-keys",
        ADMIN_ONLY,
        201,
        body=lambda w: {"name": unique("key-"), "role": "health_office", "region_code": "32"},
    ),
    Row("GET", "/api-keys", ADMIN_ONLY),
    Row("DELETE", "/api-keys/{api_key_id}", ADMIN_ONLY, 204),
    # kitchens
    Row("POST", "/kitchens", ADMIN_ONLY, 201, body=_kitchen),
    Row("GET", "/kitchens", ANY_ROLE),
    Row("GET", "/kitchens/{kitchen_id}", VISIBLE_A),
    Row("PATCH", "/kitchens/{kitchen_id}", ADMIN_A, body=lambda w: {"name": "SPPG A"}),
    # a health office's decisions on a kitchen of its region
    Row(
        "PUT",
        "/kitchens/{kitchen_id}/hygiene-certificate",
        HEALTH_WRITE_A,
        body=lambda w: {
            "number": unique("SLHS/3273/"),
            "issued_on": "2026-01-05",
            "expires_on": "2029-01-04",
        },
    ),
    Row(
        "POST",
        "/kitchens/{kitchen_id}/suspension",
        HEALTH_WRITE_A,
        body=lambda w: {"reason": "Matrix test: suspected outbreak under investigation"},
        ids={"kitchen_id": _fresh_kitchen},
    ),
    Row(
        "DELETE",
        "/kitchens/{kitchen_id}/suspension",
        HEALTH_WRITE_A,
        body=lambda w: {"reason": "Matrix test: laboratory results clear the kitchen"},
        ids={"kitchen_id": _fresh_suspended_kitchen},
    ),
    Row("GET", "/kitchens/{kitchen_id}/suspensions", OPS_READ_A),
    # schools
    Row("POST", "/kitchens/{kitchen_id}/schools", STAFF_A, 201, body=_school),
    Row("GET", "/kitchens/{kitchen_id}/schools", OPS_READ_A),
    Row("GET", "/schools/{school_id}", OPS_READ_A),
    Row("PATCH", "/schools/{school_id}", STAFF_A, body=lambda w: {"name": "SD Negeri A"}),
    # staff (personal data: admin and the kitchen's managers only)
    Row(
        "POST",
        "/kitchens/{kitchen_id}/staff",
        STAFF_A,
        201,
        body=lambda w: {"full_name": unique("Staf "), "role": "driver"},
    ),
    Row("GET", "/kitchens/{kitchen_id}/staff", STAFF_A),
    Row("GET", "/staff/{staff_id}", STAFF_A),
    Row("PATCH", "/staff/{staff_id}", STAFF_A, body=lambda w: {"phone": "0812 3456 789"}),
    Row("DELETE", "/staff/{staff_id}", STAFF_A, 204, ids={"staff_id": _fresh_staff}),
    # shifts, assignments, attendance, timesheet
    Row(
        "POST",
        "/kitchens/{kitchen_id}/shifts",
        STAFF_A,
        201,
        body=lambda w: {
            "name": unique("Shift "),
            "starts_at": "2026-06-01T02:00:00+07:00",
            "ends_at": "2026-06-01T10:00:00+07:00",
            "requirements": {"cook": 2},
        },
    ),
    Row("GET", "/kitchens/{kitchen_id}/shifts", STAFF_A),
    Row("GET", "/shifts/{shift_id}", STAFF_A),
    Row("PATCH", "/shifts/{shift_id}", STAFF_A, body=lambda w: {"name": unique("Shift ")}),
    Row("DELETE", "/shifts/{shift_id}", STAFF_A, 204, ids={"shift_id": _fresh_shift}),
    Row(
        "POST",
        "/shifts/{shift_id}/assignments",
        STAFF_A,
        201,
        body=lambda w: {"staff_id": _fresh_staff(w)},
    ),
    Row(
        "DELETE",
        "/shifts/{shift_id}/assignments/{assignment_id}",
        STAFF_A,
        204,
        ids={
            "shift_id": _fresh_assignment_pair,
            "assignment_id": lambda w: str(w.ops["pair_assignment"]),
        },
    ),
    Row(
        "POST",
        "/assignments/{assignment_id}/clock-in",
        STAFF_A,
        body=lambda w: {},
        ids={"assignment_id": lambda w: str(w.ops["fresh_assignment"]()["id"])},
    ),
    Row(
        "POST",
        "/assignments/{assignment_id}/clock-out",
        STAFF_A,
        body=lambda w: {},
        ids={"assignment_id": lambda w: str(w.ops["fresh_assignment"](clocked_in=True)["id"])},
    ),
    Row("GET", "/kitchens/{kitchen_id}/timesheet", STAFF_A),
    # foods and nutrition reference data: everyone reads, admin writes
    Row("GET", "/foods", ANY_ROLE),
    Row("GET", "/foods/{food_id}", ANY_ROLE),
    Row(
        "POST",
        "/foods",
        ADMIN_ONLY,
        201,
        body=lambda w: {
            "code": unique("MX-"),
            "name": "Makanan matriks",
            "food_group": "vegetable",
            "commodity": "bayam",
        },
    ),
    Row("PATCH", "/foods/{food_id}", ADMIN_ONLY, body=lambda w: {"name": "Makanan A"}),
    Row("GET", "/nutrition-targets", ANY_ROLE),
    Row("GET", "/nutrition-targets/{code}", ANY_ROLE),
    Row("PUT", "/nutrition-targets/{code}", ADMIN_ONLY, body=lambda w: {"energy_kcal": 1650}),
    Row("GET", "/nutrition-rules", ANY_ROLE),
    Row(
        "PUT",
        "/nutrition-rules",
        ADMIN_ONLY,
        body=lambda w: {"lunch": {"min_share": 0.30, "max_share": 0.35}},
    ),
    # recipes: kitchen A's recipe (a national one would be readable by everyone)
    Row(
        "POST",
        "/recipes",
        STAFF_A,
        201,
        body=lambda w: {
            "name": unique("Resep "),
            "category": "vegetable",
            "kitchen_id": w.a["id"],
            "ingredients": [{"food_id": w.ops["food"]["id"], "grams": 80}],
        },
    ),
    Row("GET", "/recipes", ANY_ROLE),
    Row("GET", "/recipes/{recipe_id}", VISIBLE_A),
    Row("PATCH", "/recipes/{recipe_id}", STAFF_A, body=lambda w: {"name": unique("Resep ")}),
    Row("DELETE", "/recipes/{recipe_id}", STAFF_A, 204, ids={"recipe_id": _fresh_recipe}),
    # food prices: everyone reads; admin and kitchen A's managers record kitchen A's own
    # (a national or regional price is admin's alone: tests/prices)
    Row(
        "POST",
        "/food-prices",
        STAFF_A,
        201,
        body=lambda w: {
            "food_id": w.ops["food"]["id"],
            "price_per_kg": 12500,
            "valid_from": next_day(),
            "kitchen_id": w.a["id"],
        },
    ),
    Row("GET", "/food-prices", ANY_ROLE),
    Row("GET", "/kitchens/{kitchen_id}/prices", VISIBLE_A),
    # menus
    Row(
        "POST",
        "/kitchens/{kitchen_id}/menus",
        STAFF_A,
        201,
        body=lambda w: {
            "service_date": next_day(),
            "meal_type": "lunch",
            "items": [{"recipe_id": w.ops["recipe"]["id"], "servings": 1}],
        },
    ),
    Row("GET", "/kitchens/{kitchen_id}/menus", OPS_READ_A),
    Row("GET", "/menus/{menu_id}", OPS_READ_A),
    Row(
        "PATCH",
        "/menus/{menu_id}",
        STAFF_A,
        body=lambda w: {"items": [{"recipe_id": w.ops["recipe"]["id"], "servings": 2}]},
    ),
    Row("DELETE", "/menus/{menu_id}", STAFF_A, 204, ids={"menu_id": _fresh_menu}),
    Row("GET", "/menus/{menu_id}/nutrition-check", OPS_READ_A),
    Row(
        "POST",
        "/menus/{menu_id}/approve",
        STAFF_A,
        body=lambda w: {"override_reason": "Matrix test approves whatever the check says"},
        ids={"menu_id": _fresh_menu},
    ),
    # menu planning (a proposal: nothing is written)
    Row(
        "POST",
        "/kitchens/{kitchen_id}/menu-plans",
        STAFF_A,
        body=lambda w: {"from": "2026-03-02", "to": "2026-03-07", "meal_type": "lunch"},
    ),
    # meal counts
    Row(
        "PUT",
        "/kitchens/{kitchen_id}/meal-counts/{service_date}",
        STAFF_A,
        body=lambda w: {"counts": [{"school_id": w.school_a["id"], "target_group": "7-9"}]},
    ),
    Row("GET", "/kitchens/{kitchen_id}/meal-counts", OPS_READ_A),
    Row("GET", "/kitchens/{kitchen_id}/meal-counts/{service_date}", OPS_READ_A),
    # food-safety checks
    Row(
        "POST",
        "/kitchens/{kitchen_id}/food-safety-checks",
        STAFF_A,
        201,
        body=lambda w: {
            "service_date": "2026-03-03",
            "cooked_at": "2026-03-03T03:00:00+07:00",
            "sample_retained": True,
            "organoleptic_ok": True,
        },
    ),
    Row("GET", "/kitchens/{kitchen_id}/food-safety-checks", OPS_READ_A),
    Row("GET", "/food-safety-checks/{check_id}", OPS_READ_A),
    Row(
        "PATCH",
        "/food-safety-checks/{check_id}",
        STAFF_A,
        body=lambda w: {"core_temp_c": 81.5, "notes": "Suhu diukur ulang"},
    ),
    # deliveries: the driver writes through the manager's app; health offices read
    Row(
        "POST",
        "/kitchens/{kitchen_id}/deliveries",
        STAFF_A,
        201,
        body=lambda w: delivery_body(str(w.school_a["id"]), next_day()),
    ),
    Row("GET", "/kitchens/{kitchen_id}/deliveries", OPS_READ_A),
    Row("GET", "/deliveries/{delivery_id}", OPS_READ_A),
    Row(
        "PATCH",
        "/deliveries/{delivery_id}",
        STAFF_A,
        body=lambda w: {
            "arrived_at": "2026-03-02T09:30:00+07:00",
            "received_portions": 118,
            "consumption_started_at": "2026-03-02T10:00:00+07:00",
        },
    ),
    # incidents: reported by health offices, read by them and the kitchen's managers
    Row(
        "POST",
        "/incidents",
        HEALTH_WRITE_A,
        201,
        body=lambda w: {"school_id": w.school_a["id"], "meal_date": "2026-03-02", "cases": 3},
    ),
    Row("GET", "/incidents", INCIDENT_READERS),
    Row("GET", "/incidents/{incident_id}", INCIDENT_READ_A),
    Row("GET", "/incidents/{incident_id}/trace", INCIDENT_READ_A),
    # the day view holds shifts, so only admin and the kitchen's managers
    Row("GET", "/kitchens/{kitchen_id}/today", STAFF_A),
    # integrations: offices of their region (another region's office sees no rows)
    Row("GET", "/integrations/health/nutrition", HEALTH_OFFICES, query=MARCH),
    Row("GET", "/integrations/health/meal-counts", HEALTH_OFFICES, query=MARCH),
    Row("GET", "/integrations/health/food-safety", HEALTH_OFFICES, query=MARCH),
    Row("GET", "/integrations/health/deliveries", HEALTH_OFFICES, query=MARCH),
    Row("GET", "/integrations/health/kitchens", HEALTH_OFFICES),
    Row("GET", "/integrations/agriculture/ingredient-demand", AGRICULTURE_OFFICES, query=MARCH),
    # audit trail
    Row("GET", "/audit-events", ADMIN_ONLY),
    Row("GET", "/audit-events/{event_id}", ADMIN_ONLY),
]

# -- the route table ---------------------------------------------------------------------


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, template under /api/v1) of every API route the application serves."""
    try:  # FastAPI >= 0.160 keeps included routers as routers; this walks into them.
        from fastapi.routing import iter_route_contexts

        found = [
            (ctx.path, ctx.methods)
            for ctx in iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute)
        ]
    except ImportError:
        found = [(r.path, r.methods) for r in app.routes if isinstance(r, APIRoute)]
    return {
        (method, path.removeprefix(API))
        for path, methods in found
        if path.startswith(API + "/")
        for method in (methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_api_route_has_a_row(app: FastAPI) -> None:
    table = [(row.method, row.path) for row in ROUTES]
    assert len(table) == len(set(table)), "a route has two rows"
    served = api_routes(app)
    missing = sorted(served - set(table), key=lambda mp: (mp[1], mp[0]))
    stale = sorted(set(table) - served)
    assert not missing, "routes without a row in ROUTES:\n" + "\n".join(
        f'    Row("{m}", "{p}", <access>, <status>),' for m, p in missing
    )
    assert not stale, f"rows for routes the application does not serve: {stale}"


# -- the matrix --------------------------------------------------------------------------


def request_args(world: World, row: Row, principal: str) -> tuple[str, dict[str, Any]]:
    """The row's URL and request arguments for a principal; objects it consumes are made now."""
    params = {
        name[1:-1]: (row.ids.get(name[1:-1]) or PATH_IDS[name[1:-1]])(world)
        for name in row.path.split("/")
        if name.startswith("{")
    }
    kwargs: dict[str, Any] = {"headers": world.headers[principal]}
    if row.body is not None:
        kwargs["json"] = row.body(world)
    if row.form is not None:
        kwargs["data"] = row.form(world)
    if row.query:
        kwargs["params"] = row.query
    return API + row.path.format(**params), kwargs


def _calls(world: World) -> Iterator[tuple[Row, str, int, Any]]:
    for row in ROUTES:
        for principal in PRINCIPALS:
            url, kwargs = request_args(world, row, principal)
            resp = world.client.request(row.method, url, **kwargs)
            yield row, principal, expected_status(row, principal), resp


def test_authorization_matrix(client: TestClient, admin: Headers) -> None:
    world = build_world(client, admin)
    wrong = []
    calls = 0
    for row, principal, expected, resp in _calls(world):
        calls += 1
        if resp.status_code != expected:
            wrong.append(
                f"{row.method} {row.path} as {principal}: "
                f"{resp.status_code} (expected {expected}) {resp.text[:160]}"
            )
        elif expected >= 400:
            assert resp.headers["content-type"].startswith("application/problem+json")
            problem = resp.json()
            assert set(problem) >= {"type", "title", "status", "detail", "code"}
            # A refusal says nothing about the object it refused.
            assert str(world.a["id"]) not in resp.text and world.a["code"] not in resp.text
    assert calls == len(ROUTES) * len(PRINCIPALS)
    assert not wrong, f"{len(wrong)} of {calls} calls disagree with docs/api.md:\n" + "\n".join(
        wrong
    )


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_expected_statuses_follow_the_rules(principal: str) -> None:
    """The derivation itself, on one rule of each kind (so the table cannot drift silently)."""
    row = Row("GET", "/x", OPS_READ_A)
    want = {
        ANONYMOUS: 401,
        ADMIN: 200,
        MANAGER_A: 200,
        MANAGER_B: 404,
        HEALTH_A: 200,
        HEALTH_OTHER: 404,
        AGRICULTURE: 403,
    }
    assert expected_status(row, principal) == want[principal]
    admin_only_scoped = Row("PATCH", "/x", ADMIN_A)
    assert expected_status(admin_only_scoped, principal) == {
        ANONYMOUS: 401,
        ADMIN: 200,
    }.get(principal, 403)
    assert expected_status(Row("POST", "/x", PUBLIC, 200), principal) == 200


def test_documented_access_statuses_match_the_matrix(client: TestClient) -> None:
    """The OpenAPI document (derived from the routes' access policies) lists 401 and 403
    exactly where the matrix expects some caller to get them, and 404 wherever a caller
    outside kitchen A's scope gets it."""
    spec = client.get("/openapi.json").json()
    access_codes = {"401": "not_authenticated", "403": "role_forbidden", "404": "not_found"}
    wrong = []
    for row in ROUTES:
        op = spec["paths"][API + row.path][row.method.lower()]
        documented = {
            status
            for status, code in access_codes.items()
            if code in op["responses"].get(status, {}).get("x-problem-codes", [])
        }
        expected = {str(expected_status(row, p)) for p in PRINCIPALS} & set(access_codes)
        # 404 is documented on every route that names an object, scoped or not.
        if documented - {"404"} != expected - {"404"} or not expected <= documented:
            wrong.append(f"{row.method} {row.path}: documents {documented}, matrix {expected}")
    assert not wrong, "\n".join(wrong)
