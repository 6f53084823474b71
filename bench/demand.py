"""Ingredient demand for one province over 30 days, by ISO week and commodity.

The API (agriculture office key of the province, JSON, every page) against the best single
hand-written SQL query that computes the same numbers, run straight on the database with
psycopg. Both answers are printed and compared row by row. Target: API / SQL <= 1.5.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from bench.common import Context, Result, admin_headers, api_key, timed

TARGET = 1.5

# Everything the API computes, in one statement, written for this one report: the menus
# of the province in the window; per kitchen, day and group the portions the contract
# names (each (school, group) eats its prepared count, else planned, else enrolment),
# computed as the kitchen's enrolment of the group (summed once per kitchen, not per day)
# corrected by each count row; weighted by the menu's factors; times each commodity's
# grams in one standard portion of the menu. A cooked ingredient is bought as its raw food
# (grams / cooked yield, the raw food's commodity and edible portion); each food bought is
# valued at the price that applies to the kitchen on the date (its own, else the most
# specific region's, else the national one; the latest valid_from on or before the date).
DEMAND_SQL = """
WITH m AS MATERIALIZED (
    SELECT mn.id, mn.kitchen_id, mn.service_date, k.region_code AS kitchen_region,
           to_char(mn.service_date, 'IYYY-"W"IW') AS period
    FROM kitchens k
    JOIN menus mn ON mn.kitchen_id = k.id
    WHERE (k.region_code = %(region)s OR k.region_code LIKE %(region)s || '.%%')
      AND mn.service_date BETWEEN %(from)s AND %(to)s
      AND mn.status IN ('draft', 'approved')
),
days AS MATERIALIZED (SELECT DISTINCT kitchen_id, service_date FROM m),
kitchen_enrolment AS (
    SELECT s.kitchen_id, se.target_group, sum(se.count) AS n
    FROM schools s JOIN school_enrolments se ON se.school_id = s.id
    WHERE s.kitchen_id IN (SELECT kitchen_id FROM days)
    GROUP BY s.kitchen_id, se.target_group
),
group_portions AS (
    SELECT kitchen_id, service_date, target_group, sum(n) AS n
    FROM (
        SELECT d.kitchen_id, d.service_date, ke.target_group, ke.n
        FROM days d JOIN kitchen_enrolment ke ON ke.kitchen_id = d.kitchen_id
        UNION ALL
        SELECT d.kitchen_id, d.service_date, mc.target_group,
               coalesce(mc.prepared, mc.planned) - coalesce(se.count, 0)
        FROM days d
        JOIN meal_counts mc ON mc.kitchen_id = d.kitchen_id AND mc.service_date = d.service_date
        LEFT JOIN schools s ON s.id = mc.school_id AND s.kitchen_id = d.kitchen_id
        LEFT JOIN school_enrolments se
               ON se.school_id = s.id AND se.target_group = mc.target_group
    ) corrected
    GROUP BY kitchen_id, service_date, target_group
),
menu_portions AS (
    SELECT m.id AS menu_id, sum(g.n) AS portions,
           sum(g.n * coalesce(pf.factor, 1.0)) AS weighted
    FROM m
    JOIN group_portions g ON g.kitchen_id = m.kitchen_id AND g.service_date = m.service_date
    LEFT JOIN menu_portion_factors pf ON pf.menu_id = m.id AND pf.target_group = g.target_group
    GROUP BY m.id
),
menu_food AS (
    SELECT mi.menu_id, b.id AS food_id, b.commodity,
           sum(mi.servings * ri.grams / coalesce(f.cooked_yield, 1.0)) AS edible_g,
           sum(mi.servings * ri.grams / coalesce(f.cooked_yield, 1.0) * 100.0
               / b.edible_portion_pct) AS purchase_g
    FROM m
    JOIN menu_items mi ON mi.menu_id = m.id
    JOIN recipe_ingredients ri ON ri.recipe_id = mi.recipe_id
    JOIN foods f ON f.id = ri.food_id
    JOIN foods b ON b.id = coalesce(f.raw_food_id, f.id)
    GROUP BY mi.menu_id, b.id, b.commodity
),
menu_commodity AS (
    SELECT mf.menu_id, mf.commodity, sum(mf.edible_g) AS edible_g,
           sum(mf.purchase_g) AS purchase_g,
           sum(mf.purchase_g * pr.price_per_kg) AS value_g,
           count(*) FILTER (WHERE pr.price_per_kg IS NULL) AS unpriced
    FROM m
    JOIN menu_food mf ON mf.menu_id = m.id
    LEFT JOIN LATERAL (
        SELECT fp.price_per_kg FROM food_prices fp
        WHERE fp.food_id = mf.food_id AND fp.valid_from <= m.service_date
          AND (fp.kitchen_id = m.kitchen_id
               OR (fp.kitchen_id IS NULL
                   AND (fp.region_code IS NULL OR m.kitchen_region = fp.region_code
                        OR m.kitchen_region LIKE fp.region_code || '.%%')))
        ORDER BY fp.kitchen_id IS NULL, fp.region_code IS NULL,
                 length(fp.region_code) DESC, fp.valid_from DESC, fp.created_at DESC,
                 fp.id DESC
        LIMIT 1
    ) pr ON true
    GROUP BY mf.menu_id, mf.commodity
)
SELECT m.period, %(region)s AS region_code, mc.commodity,
       round((sum(mp.weighted * mc.edible_g) / 1000)::numeric, 3) AS edible_kg,
       round((sum(mp.weighted * mc.purchase_g) / 1000)::numeric, 3) AS purchase_kg,
       sum(mp.portions) AS portions,
       count(DISTINCT m.kitchen_id) AS kitchens,
       CASE WHEN sum(mc.unpriced) > 0 THEN NULL
            ELSE round((sum(mp.weighted * mc.value_g) / 1000)::numeric) END AS value_idr
FROM m
JOIN menu_portions mp ON mp.menu_id = m.id
JOIN menu_commodity mc ON mc.menu_id = m.id
GROUP BY m.period, mc.commodity
ORDER BY m.period, mc.commodity
"""

FIELDS = (
    "period",
    "region_code",
    "commodity",
    "edible_kg",
    "purchase_kg",
    "portions",
    "kitchens",
    "value_idr",
)


def busiest_province(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute(
        "SELECT substr(region_code, 1, 2) FROM kitchens GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0])


def run(ctx: Context) -> list[Result]:
    to = date.fromisoformat(ctx.anchor)
    window = {"from": to - timedelta(days=29), "to": to}
    runs = 3 if ctx.smoke else 7
    with psycopg.connect(ctx.libpq_url) as conn:
        region = busiest_province(conn)
        (kitchens,) = conn.execute(
            "SELECT count(*) FROM kitchens WHERE region_code LIKE %s", (region + ".%",)
        ).fetchone() or (0,)
        params = {**window, "region": region}

        def sql() -> list[tuple[Any, ...]]:
            return conn.execute(DEMAND_SQL, params).fetchall()

        sql_median, sql_times, sql_rows = timed(sql, runs)

    with ctx.client() as client:
        admin = admin_headers(client)
        office = api_key(client, admin, "agriculture_office", region)
        query: dict[str, str | int] = {
            "from": window["from"].isoformat(),
            "to": window["to"].isoformat(),
            "region_code": region,
            "period": "week",
            "by": "commodity",
            "region_level": "province",
            "limit": 1000,
        }

        def api() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            cursor = None
            while True:
                resp = client.get(
                    "/api/v1/integrations/agriculture/ingredient-demand",
                    params={**query, **({"cursor": cursor} if cursor else {})},
                    headers=office,
                )
                resp.raise_for_status()
                page = resp.json()
                rows.extend(page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    return rows

        api_median, api_times, api_rows = timed(api, runs)

    mismatches = _compare(api_rows, sql_rows)
    ratio = api_median / sql_median
    result = Result(
        name=f"ingredient demand, province {region}, 30 days, by week and commodity",
        figures={
            "kitchens in province": kitchens,
            "window": f"{window['from']} .. {window['to']}",
            "rows (API / SQL)": f"{len(api_rows)} / {len(sql_rows)}",
            "API median ms (all pages)": api_median * 1000,
            "SQL median ms (psycopg, same query)": sql_median * 1000,
            "API runs ms": " ".join(f"{t * 1000:.0f}" for t in api_times),
            "SQL runs ms": " ".join(f"{t * 1000:.0f}" for t in sql_times),
            "answers agree": "yes" if not mismatches else f"NO ({len(mismatches)} rows differ)",
            "total purchase kg (API)": round(sum(r["purchase_kg"] for r in api_rows), 3),
            "total purchase kg (SQL)": float(sum(r[4] for r in sql_rows)),
            "rows valued (API)": sum(1 for r in api_rows if r["value_idr"] is not None),
        },
        ratio=ratio,
        target=f"<= {TARGET}",
        met=ratio <= TARGET and not mismatches,
    )
    result.notes += [
        f"first rows: API {api_rows[:2]}",
        f"SQL {[tuple(map(str, r)) for r in sql_rows[:2]]}",
    ]
    result.notes += [f"differs: {m}" for m in mismatches[:5]]
    return [result]


def _same_value(api: int | None, sql: Decimal | None) -> bool:
    """Values agree to a rupiah (both round half away from zero, from sums in other orders)."""
    if api is None or sql is None:
        return api is None and sql is None
    return abs(Decimal(api) - sql) <= 1


def _compare(api_rows: list[dict[str, Any]], sql_rows: list[tuple[Any, ...]]) -> list[str]:
    """Rows that differ (kg may differ by a rounding step of 0.001)."""
    out = []
    if len(api_rows) != len(sql_rows):
        out.append(f"{len(api_rows)} API rows, {len(sql_rows)} SQL rows")
    for a, s in zip(api_rows, sql_rows, strict=False):
        b = dict(zip(FIELDS, s, strict=True))
        same = (
            (a["period"], a["region_code"], a["commodity"], a["portions"], a["kitchens"])
            == (b["period"], b["region_code"], b["commodity"], int(b["portions"]), b["kitchens"])
            and abs(Decimal(str(a["edible_kg"])) - b["edible_kg"]) <= Decimal("0.0011")
            and abs(Decimal(str(a["purchase_kg"])) - b["purchase_kg"]) <= Decimal("0.0011")
            and _same_value(a["value_idr"], b["value_idr"])
        )
        if not same:
            out.append(f"API {a} vs SQL {b}")
    return out
