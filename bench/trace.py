"""An incident's trace (what was served, who cooked it, how it travelled, who else ate it).

The API (a health office key of the incident's province, JSON) against the same data read
by hand-written SQL straight on the database with psycopg: one statement per part of the
answer (incident with kitchen and school; the day's menus with recipes and foods; the
day's food-safety checks; the school's deliveries with the cooking each carried; food
handlers on the shifts of the window; the kitchen's other schools with portions delivered
and served), assembled into the same shape in Python. Both answers are compared part by
part. Targets: API / SQL <= 2, and the trace within 300 ms on the large nation. The
cheapest authenticated call (GET /me with the same key) is timed alongside: the floor
every API answer pays (HTTP, authentication, a transaction) before its own statements.

A nation generated before deliveries existed has no incident to trace: the benchmark then
records one day of one kitchen's deliveries and an incident through the API, as a
kitchen's driver and a health office would, and traces that.
"""

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg

from bench.common import Context, Headers, Result, admin_headers, api_key

TARGET = 2.0
LATENCY_TARGET_MS = 300
FOOD_HANDLING = ("cook", "cook_assistant", "portioning", "prep")

INCIDENT_SQL = """
SELECT i.id, i.kitchen_id, i.school_id, i.meal_date, k.timezone, k.region_code,
       s.npsn, s.name
FROM incidents i JOIN kitchens k ON k.id = i.kitchen_id JOIN schools s ON s.id = i.school_id
WHERE i.id = %(incident)s
"""
MENUS_SQL = """
SELECT m.id, m.meal_type, mi.recipe_id, r.name, ri.food_id, f.code, ri.grams
FROM menus m
LEFT JOIN menu_items mi ON mi.menu_id = m.id
LEFT JOIN recipes r ON r.id = mi.recipe_id
LEFT JOIN recipe_ingredients ri ON ri.recipe_id = mi.recipe_id
LEFT JOIN foods f ON f.id = ri.food_id
WHERE m.kitchen_id = %(kitchen)s AND m.service_date = %(day)s
ORDER BY m.meal_type, mi.position, mi.id, ri.position
"""
CHECKS_SQL = """
SELECT id, cooked_at, flags FROM food_safety_checks
WHERE kitchen_id = %(kitchen)s AND service_date = %(day)s ORDER BY cooked_at
"""
DELIVERIES_SQL = """
SELECT d.id, d.meal_type, d.portions, d.received_portions, d.departed_at, d.arrived_at,
       d.consumption_started_at,
       coalesce(
         (SELECT max(c.cooked_at) FROM food_safety_checks c WHERE c.kitchen_id = d.kitchen_id
            AND c.service_date = d.service_date AND c.cooked_at <= d.departed_at),
         (SELECT min(c.cooked_at) FROM food_safety_checks c WHERE c.kitchen_id = d.kitchen_id
            AND c.service_date = d.service_date)) AS cooked_at
FROM deliveries d WHERE d.school_id = %(school)s AND d.service_date = %(day)s
ORDER BY d.meal_type
"""
STAFF_SQL = """
SELECT a.staff_id, a.role, st.food_handler_cert_expires_on, sh.id
FROM shifts sh
JOIN assignments a ON a.shift_id = sh.id
JOIN staff st ON st.id = a.staff_id
WHERE sh.kitchen_id = %(kitchen)s AND sh.starts_at < %(end)s AND sh.ends_at > %(start)s
  AND a.role = ANY(%(roles)s)
ORDER BY sh.starts_at, sh.id, a.role, st.full_name
"""
AT_RISK_SQL = """
SELECT s.id, s.npsn, s.name, d.delivered, c.served
FROM schools s
LEFT JOIN (SELECT school_id, sum(coalesce(received_portions, portions)) AS delivered
           FROM deliveries WHERE kitchen_id = %(kitchen)s AND service_date = %(day)s
           GROUP BY school_id) d ON d.school_id = s.id
LEFT JOIN (SELECT school_id, sum(served) AS served
           FROM meal_counts WHERE kitchen_id = %(kitchen)s AND service_date = %(day)s
           GROUP BY school_id) c ON c.school_id = s.id
WHERE s.kitchen_id = %(kitchen)s AND s.id <> %(school)s
  AND (%(any_menu)s OR d.school_id IS NOT NULL OR c.school_id IS NOT NULL)
ORDER BY s.name, s.npsn
"""


def trace_by_sql(conn: psycopg.Connection[Any], incident: str) -> dict[str, Any]:
    """The trace's data, read with the statements above and put in the API's shape (the
    parts the comparison looks at)."""
    row = conn.execute(INCIDENT_SQL, {"incident": incident}).fetchone()
    assert row is not None, f"no incident {incident}"
    _, kitchen, school, day, zone, _, _, _ = row
    at = {"kitchen": kitchen, "day": day, "school": school}
    deliveries = conn.execute(DELIVERIES_SQL, at).fetchall()
    delivered_types = {d[1] for d in deliveries}
    menus: dict[uuid.UUID, dict[str, Any]] = {}
    content = conn.execute(MENUS_SQL, at).fetchall()
    for menu_id, meal_type, recipe_id, name, food_id, code, grams in content:
        if delivered_types and meal_type not in delivered_types:
            continue
        menu = menus.setdefault(menu_id, {"id": str(menu_id), "recipes": {}})
        if recipe_id is not None:
            recipe = menu["recipes"].setdefault(recipe_id, {"name": name, "foods": []})
            if food_id is not None:
                recipe["foods"].append((code, grams))
    checks = conn.execute(CHECKS_SQL, at).fetchall()
    midnight = datetime.combine(day, clock(0), tzinfo=ZoneInfo(zone))
    window = {
        "kitchen": kitchen,
        "start": midnight - timedelta(hours=12),
        "end": midnight + timedelta(days=1),
        "roles": list(FOOD_HANDLING),
    }
    staff = conn.execute(STAFF_SQL, window).fetchall()
    at_risk = conn.execute(AT_RISK_SQL, {**at, "any_menu": bool(content)}).fetchall()
    return {
        "menus": [
            {
                "id": m["id"],
                "recipes": [(r["name"], sorted(r["foods"])) for r in m["recipes"].values()],
            }
            for m in menus.values()
        ],
        "checks": [str(c[0]) for c in checks],
        "deliveries": [(str(d[0]), d[7].astimezone(UTC) if d[7] else None) for d in deliveries],
        "staff": [
            (
                str(s[0]),
                s[1],
                "missing" if s[2] is None else ("expired" if s[2] < day else "valid"),
            )
            for s in staff
        ],
        "at_risk": [(str(s[0]), s[3], s[4]) for s in at_risk],
    }


def _comparable(trace: dict[str, Any]) -> dict[str, Any]:
    """The API's trace in the shape trace_by_sql gives."""
    return {
        "menus": [
            {
                "id": m["id"],
                "recipes": [
                    (r["name"], sorted((f["code"], f["grams"]) for f in r["foods"]))
                    for r in m["recipes"]
                ],
            }
            for m in trace["menus"]
        ],
        "checks": [c["id"] for c in trace["food_safety_checks"]],
        "deliveries": [
            (d["id"], datetime.fromisoformat(d["cooked_at"]) if d["cooked_at"] else None)
            for d in trace["deliveries"]
        ],
        "staff": [
            (s["staff_id"], s["role"], s["certificate_status"]) for s in trace["staff_on_shift"]
        ],
        "at_risk": [
            (s["school_id"], s["portions_delivered"], s["portions_served"])
            for s in trace["at_risk_schools"]
        ],
    }


def _record_an_incident(conn: psycopg.Connection[Any], client: httpx.Client, admin: Headers) -> str:
    """An incident on the latest day a kitchen recorded food safety, with that day's
    deliveries recorded through the API first when the nation has none."""
    row = conn.execute(
        "SELECT c.kitchen_id, max(c.service_date) FROM food_safety_checks c"
        " JOIN kitchens k ON k.id = c.kitchen_id"
        " GROUP BY c.kitchen_id, k.code ORDER BY k.code LIMIT 1"
    ).fetchone()
    assert row is not None, "the nation has no food-safety checks"
    kitchen, day = row
    schools = conn.execute(
        "SELECT s.id, coalesce(sum(e.count), 0) FROM schools s"
        " LEFT JOIN school_enrolments e ON e.school_id = s.id"
        " WHERE s.kitchen_id = %s GROUP BY s.id ORDER BY s.npsn",
        (kitchen,),
    ).fetchall()
    (zone,) = conn.execute(
        "SELECT timezone FROM kitchens WHERE id = %s", (kitchen,)
    ).fetchone() or ("Asia/Jakarta",)
    has = conn.execute(
        "SELECT count(*) FROM deliveries WHERE kitchen_id = %s AND service_date = %s",
        (kitchen, day),
    ).fetchone()
    if has is None or has[0] == 0:
        leave = datetime.combine(day, clock(7), tzinfo=ZoneInfo(zone))
        for n, (school, pupils) in enumerate(schools):
            departed = leave + timedelta(minutes=15 * (n // 4))
            made = client.post(
                f"/api/v1/kitchens/{kitchen}/deliveries",
                json={
                    "service_date": day.isoformat(),
                    "school_id": str(school),
                    "meal_type": "lunch",
                    "portions": int(pupils),
                    "departed_at": departed.isoformat(),
                },
                headers=admin,
            )
            made.raise_for_status()
            arrived = departed + timedelta(minutes=40)
            client.patch(
                f"/api/v1/deliveries/{made.json()['id']}",
                json={
                    "arrived_at": arrived.isoformat(),
                    "received_portions": int(pupils),
                    "consumption_started_at": (arrived + timedelta(minutes=20)).isoformat(),
                },
                headers=admin,
            ).raise_for_status()
    resp = client.post(
        "/api/v1/incidents",
        json={"school_id": str(schools[0][0]), "meal_date": day.isoformat(), "cases": 23},
        headers=admin,
    )
    resp.raise_for_status()
    return str(resp.json()["id"])


def run(ctx: Context) -> list[Result]:
    runs = 30 if ctx.smoke else 60
    with ctx.client() as client, psycopg.connect(ctx.libpq_url, autocommit=True) as conn:
        admin = admin_headers(client)
        row = conn.execute(
            "SELECT i.id, count(d.id) FROM incidents i"
            " LEFT JOIN deliveries d ON d.kitchen_id = i.kitchen_id"
            " AND d.service_date = i.meal_date"
            " GROUP BY i.id, i.created_at ORDER BY count(d.id) DESC, i.created_at LIMIT 1"
        ).fetchone()
        recorded = row is None
        incident = str(row[0]) if row is not None else _record_an_incident(conn, client, admin)
        (region,) = conn.execute(
            "SELECT substr(k.region_code, 1, 2) FROM incidents i"
            " JOIN kitchens k ON k.id = i.kitchen_id WHERE i.id = %s",
            (incident,),
        ).fetchone() or ("",)
        office = api_key(client, admin, "health_office", region)
        sizes = conn.execute(
            "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM incidents),"
            " (SELECT count(*) FROM kitchens)"
        ).fetchone()
        assert sizes is not None

        def api() -> dict[str, Any]:
            resp = client.get(f"/api/v1/incidents/{incident}/trace", headers=office)
            resp.raise_for_status()
            return resp.json()  # type: ignore[no-any-return]

        def sql() -> dict[str, Any]:
            return trace_by_sql(conn, incident)

        def floor() -> None:
            client.get("/api/v1/me", headers=office).raise_for_status()

        # Interleaved, so both see the same machine load.
        api()
        sql()
        api_times, sql_times, floor_times = [], [], []
        api_answer: dict[str, Any] = {}
        sql_answer: dict[str, Any] = {}
        for _ in range(runs):
            started = time.perf_counter()
            api_answer = api()
            api_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            sql_answer = sql()
            sql_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            floor()
            floor_times.append(time.perf_counter() - started)

    api_ms = statistics.median(api_times) * 1000
    sql_ms = statistics.median(sql_times) * 1000
    agree = _comparable(api_answer) == sql_answer
    ratio = api_ms / sql_ms
    size = "small" if ctx.smoke else "large"
    result = Result(
        name=f"incident trace, {size} nation, health office of the province",
        figures={
            "kitchens / deliveries / incidents": f"{sizes[2]:,} / {sizes[0]:,} / {sizes[1]:,}",
            "incident": incident + (" (recorded by the benchmark)" if recorded else ""),
            "menus / deliveries / handlers / other schools": (
                f"{len(api_answer['menus'])} / {len(api_answer['deliveries'])} / "
                f"{len(api_answer['staff_on_shift'])} / {len(api_answer['at_risk_schools'])}"
            ),
            "API median ms (HTTP, JSON)": api_ms,
            "SQL median ms (psycopg, 6 statements)": sql_ms,
            "API p95 ms": sorted(api_times)[int(len(api_times) * 0.95) - 1] * 1000,
            "floor: GET /me median ms (same key)": statistics.median(floor_times) * 1000,
            "answers agree": "yes" if agree else "NO",
        },
        ratio=ratio,
        target=f"<= {TARGET} (and < {LATENCY_TARGET_MS} ms)",
        met=ratio <= TARGET and api_ms < LATENCY_TARGET_MS and agree,
    )
    if not agree:
        api_shape = _comparable(api_answer)
        result.notes += [
            f"{part}: API {api_shape[part]!r:.200} vs SQL {sql_answer[part]!r:.200}"
            for part in sql_answer
            if api_shape[part] != sql_answer[part]
        ]
    if recorded:
        result.notes.append(
            "the nation predates deliveries and incidents: regenerate it for representative "
            "table sizes"
        )
    return [result]
