"""The nutrition check with costs against the check alone, for a week of one kitchen's menus.

Both are the menus domain's `compute_checks`, which the nutrition-check endpoint, approval
and the day view run: `costs=False` is the check as it was before costs (recipes'
nutrients, targets, rules, enrolment), `costs=True` adds what §13 asks of it (the prices
that apply to the kitchen on each date, the budgets, the day's portions per group). They
are called in-process on the benchmark database through the app's own async engine, one
after the other in the same run, on the week of menus (up to the nation's last counted
day) of the kitchen with the most of them. Target: with / without <= 1.3.

The statements each call sends are counted as well: the costs add a fixed number, however
many menus, items and ingredients the week holds. For scale, the API's answer for the same
menus (`GET /menus/{id}/nutrition-check`, one request per menu) is timed too.
"""

import asyncio
import statistics
import time
import uuid
from datetime import date, timedelta
from typing import Any

import psycopg
from sqlalchemy import event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (registers every table)
from app.core.config import Settings
from app.core.db import make_async_engine
from app.menus.models import Menu
from app.menus.service import compute_checks
from bench.common import Context, Result, manager_headers, timed

TARGET = 1.3
WEEK = 7


def busiest_week(conn: psycopg.Connection[Any], last: date) -> tuple[str, list[uuid.UUID]]:
    """The kitchen with the most menus in the week up to `last`: (its code, the menu ids)."""
    first = last - timedelta(days=WEEK - 1)
    row = conn.execute(
        """SELECT k.code, array_agg(m.id ORDER BY m.service_date, m.meal_type)
           FROM menus m JOIN kitchens k ON k.id = m.kitchen_id
           WHERE m.service_date BETWEEN %s AND %s
           GROUP BY k.code ORDER BY count(*) DESC, k.code LIMIT 1""",
        (first, last),
    ).fetchone()
    assert row is not None, "no menus in the last week of the nation"
    return str(row[0]), list(row[1])


async def _measure(ctx: Context, menu_ids: list[uuid.UUID], runs: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, database_url=ctx.database_url)
    engine = make_async_engine(settings)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    timings: dict[bool, list[float]] = {False: [], True: []}
    sent: dict[bool, int] = {}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            menus = list(
                (await session.exec(select(Menu).where(col(Menu.id).in_(menu_ids)))).all()
            )
            answers = {}
            for costs in (False, True):  # warm up: pool, statement caches
                answers[costs] = await compute_checks(session, menus=menus, costs=costs)
            for _ in range(runs):
                for costs in (False, True):
                    statements.clear()
                    started = time.perf_counter()
                    await compute_checks(session, menus=menus, costs=costs)
                    timings[costs].append(time.perf_counter() - started)
                    sent[costs] = len(statements)
            await session.rollback()
    finally:
        await engine.dispose()
    plain, costed = answers[False], answers[True]
    same_nutrition = all(
        [g.nutrients for g in plain[m].groups] == [g.nutrients for g in costed[m].groups]
        for m in plain
    )
    groups = [g for check in costed.values() for g in check.groups]
    return {
        "menus": len(menus),
        "median": {k: statistics.median(v) for k, v in timings.items()},
        "runs": timings,
        "statements": sent,
        "same_nutrition": same_nutrition,
        "groups": len(groups),
        "priced_groups": sum(1 for g in groups if g.cost and g.cost.status != "unknown"),
        "over_budget_groups": sum(1 for g in groups if g.cost and g.cost.status == "over_budget"),
        "cost_per_day": [c.cost_per_day for c in costed.values()],
    }


def run(ctx: Context) -> list[Result]:
    runs = 61 if ctx.smoke else 101
    with psycopg.connect(ctx.libpq_url) as conn:
        code, menu_ids = busiest_week(conn, date.fromisoformat(ctx.anchor))
    found = asyncio.run(_measure(ctx, menu_ids, runs))
    without, with_costs = found["median"][False], found["median"][True]
    ratio = with_costs / without

    with ctx.client() as client:
        manager = manager_headers(client, code)

        def api() -> None:
            for menu_id in menu_ids:
                resp = client.get(f"/api/v1/menus/{menu_id}/nutrition-check", headers=manager)
                resp.raise_for_status()

        api_median, _, _ = timed(api, 3 if ctx.smoke else 7)

    known = [c for c in found["cost_per_day"] if c is not None]
    result = Result(
        name=f"nutrition check with costs vs without, a week of kitchen {code}",
        figures={
            "menus (a week)": found["menus"],
            "groups checked": found["groups"],
            "groups with a known cost": found["priced_groups"],
            "groups over budget": found["over_budget_groups"],
            "cost per day, mean Rp": round(statistics.mean(known), 2) if known else "unknown",
            "check alone, median ms": without * 1000,
            "check with costs, median ms": with_costs * 1000,
            "alone runs ms": " ".join(f"{t * 1000:.1f}" for t in found["runs"][False]),
            "with costs runs ms": " ".join(f"{t * 1000:.1f}" for t in found["runs"][True]),
            "statements (alone / with costs)": "{} / {}".format(
                found["statements"][False], found["statements"][True]
            ),
            "nutrients identical": "yes" if found["same_nutrition"] else "NO",
            "API: the week's checks, median ms": api_median * 1000,
        },
        ratio=ratio,
        target=f"<= {TARGET}",
        met=ratio <= TARGET and found["same_nutrition"],
    )
    return [result]
