"""Least-cost menu planning: time to plan four weeks, and what the plan saves.

For several kitchens of the nation (spread over its school mixes), the API plans the 24
school days after the nation's last counted day (`POST /kitchens/{id}/menu-plans`, lunch,
every national recipe, max_repeats 2, not applied), one request at a time. Timed: the
request (p95 and median over the kitchens), and within it the solver's own time (HiGHS)
and the whole planning computation, as the answer reports them.

The plan's cost is held against two others for the same days, prices and portions,
computed in-process with the planner's own data (app/planning/service.py `gather`) and the
menus' own check (`check_of`):

- the generator's two-week cycle menu for that kitchen (app/synthetic: twelve lunches
  chosen by "regional nutritionists", scaled per group to mid-band energy), which stands
  in for planning by hand: as it is served (its own factors), and at its least passing
  factors (the portion rule the planner uses), so the gain of choosing the recipes shows
  apart from the gain of portion sizes; with how many of its group-days fail the check or
  the budget. Target: the plan at least 10 % cheaper than the cycle as served, while
  every day of the plan passes;
- a greedy planner: day by day the cheapest plate that passes for every group and whose
  recipes still have repeats left. What optimality adds over it is the gap.

The shipped price list (app/prices/data/reference_prices.csv) has no price for some foods
the national recipes buy; the benchmarked kitchens get illustrative prices of their own
for those (ILLUSTRATIVE, removed at the end), so the full recipe set can be planned.
"""

import asyncio
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (registers every table)
from app.core.config import Settings
from app.core.db import make_async_engine
from app.kitchens.models import Kitchen
from app.menus.models import Menu, MenuItem, MenuPortionFactor
from app.menus.service import check_of
from app.nutrition.models import MealType
from app.planning.model import FACTOR_MAX, FACTOR_MIN, PlannedDay, PlannedItem
from app.planning.plates import NONE, passing_plates, plate_factors, prepare
from app.planning.schemas import MenuPlanRequest
from app.planning.service import Gathered, gather, planned_spend
from bench.common import Context, Result, admin_headers

TARGET_SAVING = 0.10
TARGET_P95_SECONDS = 5.0
WEEKS = 4
CYCLE_DAYS = 12
# Where no plan exists at the default repeat limit of 2, the comparison plans with up to this.
MAX_REPEATS = 4
NOTE = "bench/planning.py: illustrative price (not a price source), removed after the run"
# Rupiah per kg as purchased, by catalogue code: illustrative round numbers of the order of
# Javanese market prices, for foods the shipped price list does not price.
ILLUSTRATIVE: dict[str, int] = {
    "AP006": 30_000, "AP010": 8_000, "AP020": 28_000, "AP021": 12_000, "AP022": 30_000,
    "AP025": 12_000, "BR013": 18_000, "BR016": 5_000, "BR025": 10_000, "BR028": 8_000,
    "CP061": 12_000, "CP077": 14_000, "CR026": 35_000, "CR033": 30_000, "DR008": 12_000,
    "DR013": 14_000, "DR018": 20_000, "DR035": 15_000, "DR071": 8_000, "DR085": 15_000,
    "DR097": 12_000, "DR100": 10_000, "DR113": 25_000, "DR114": 8_000, "DR122": 8_000,
    "DR123": 8_000, "DR141": 10_000, "DR147": 30_000, "DR148": 10_000, "DR154": 10_000,
    "DR161": 14_000, "DR166": 14_000, "ER001": 25_000, "ER004": 35_000, "ER006": 15_000,
    "ER030": 18_000, "ER031": 12_000, "ER067": 14_000, "ER073": 9_000, "ER074": 16_000,
    "ER081": 12_000, "ER101": 15_000, "ER104": 15_000, "ER105": 8_000, "FR005": 38_000,
    "FR007": 30_000, "FR025": 140_000, "FR026": 130_000, "GR007": 35_000, "GR012": 45_000,
    "GR048": 32_000, "GR050": 40_000, "GR053": 30_000, "GR070": 35_000, "GR083": 90_000,
    "HR002": 28_000, "HR011": 40_000, "KP003": 15_000, "KP004": 30_000, "KR001": 12_000,
    "KR012": 18_000, "MP005": 25_000, "NP005": 25_000, "NP009": 25_000, "NR007": 40_000,
    "NR008": 38_000, "NR014": 50_000, "NR015": 60_000, "NR017": 100_000, "NR022": 20_000,
}  # fmt: skip

# Foods bought by national recipes that have no price at all (a cooked food is bought as
# its raw food).
_UNPRICED = """
SELECT DISTINCT b.id, b.code
FROM recipes r
JOIN recipe_ingredients ri ON ri.recipe_id = r.id
JOIN foods f ON f.id = ri.food_id
JOIN foods b ON b.id = coalesce(f.raw_food_id, f.id)
WHERE r.kitchen_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM food_prices p WHERE p.food_id = b.id AND p.kitchen_id IS NULL)
"""


def school_days_after(anchor: date, count: int) -> list[date]:
    days: list[date] = []
    day = anchor
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 6:
            days.append(day)
    return days


def pick_kitchens(conn: psycopg.Connection[Any], n: int) -> list[tuple[uuid.UUID, str, str]]:
    """`n` kitchens spread over the nation's mixes of groups: (id, code, groups)."""
    rows = conn.execute(
        """SELECT k.id, k.code, string_agg(DISTINCT se.target_group, ' ' ORDER BY se.target_group)
           FROM kitchens k JOIN schools s ON s.kitchen_id = k.id
           JOIN school_enrolments se ON se.school_id = s.id AND se.count > 0
           GROUP BY k.id, k.code ORDER BY k.code"""
    ).fetchall()
    step = max(len(rows) // n, 1)
    return [(r[0], r[1], r[2]) for r in rows[::step][:n]]


def add_prices(conn: psycopg.Connection[Any], kitchens: list[uuid.UUID]) -> list[str]:
    """Illustrative kitchen prices for the unpriced foods national recipes buy; the codes
    still without one."""
    now = datetime.now(UTC)
    missing = []
    for food_id, code in conn.execute(_UNPRICED).fetchall():
        if code not in ILLUSTRATIVE:
            missing.append(code)
            continue
        for kitchen in kitchens:
            conn.execute(
                """INSERT INTO food_prices (id, created_at, updated_at, food_id, price_per_kg,
                       valid_from, kitchen_id, note)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                (uuid.uuid4(), now, now, food_id, ILLUSTRATIVE[code], date(2000, 1, 1), kitchen,
                 NOTE),
            )  # fmt: skip
    conn.commit()
    return sorted(missing)


def remove_prices(conn: psycopg.Connection[Any]) -> None:
    conn.execute("DELETE FROM food_prices WHERE note = %s", (NOTE,))
    conn.commit()


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(int(np.ceil(0.95 * len(ordered))) - 1, 0)]


# ---- the baselines, in-process ------------------------------------------------------------------


def greedy(gathered: Gathered) -> tuple[float | None, int]:
    """Day by day the cheapest passing plate whose recipes have repeats left: (cost, days)."""
    problem = gathered.problem
    prep = prepare(problem)
    if prep.reasons or len(prep.segments) != 1:
        return None, 0
    plates = passing_plates(prep)
    order = np.argsort(plates.cost, kind="stable")
    recipes = plates.recipes[:, order]
    cost = plates.cost[order]
    left = np.full(len(prep.recipes) + 1, problem.max_repeats)
    left[-1] = len(problem.days)  # NONE (-1) never runs out
    total, planned = 0.0, 0
    for _ in problem.days:
        usable = np.all(left[recipes] > 0, axis=0)
        if not usable.any():
            break
        best = int(np.argmax(usable))
        for r in recipes[:, best]:
            if r != NONE:
                left[r] -= 1
        total += float(cost[best])
        planned += 1
    return (total if planned == len(problem.days) else None), planned


async def cycle_menus(session: AsyncSession, kitchen_id: uuid.UUID, anchor: date) -> list[Any]:
    """The kitchen's last CYCLE_DAYS lunches up to `anchor`: (recipe ids, factors) each."""
    menus = list(
        (
            await session.exec(
                select(Menu)
                .where(Menu.kitchen_id == kitchen_id, Menu.meal_type == "lunch")
                .where(col(Menu.service_date) <= anchor)
                .order_by(col(Menu.service_date).desc())
                .limit(CYCLE_DAYS)
            )
        ).all()
    )[::-1]
    ids = [m.id for m in menus]
    items: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    for item in await session.exec(
        select(MenuItem).where(col(MenuItem.menu_id).in_(ids)).order_by(col(MenuItem.position))
    ):
        items[item.menu_id].append(item.recipe_id)
    factors: dict[uuid.UUID, dict[str, float]] = {i: {} for i in ids}
    for f in await session.exec(
        select(MenuPortionFactor).where(col(MenuPortionFactor.menu_id).in_(ids))
    ):
        factors[f.menu_id][f.target_group] = f.factor
    return [(items[i], factors[i]) for i in ids]


def least_factors(gathered: Gathered, recipe_ids: list[uuid.UUID]) -> dict[str, float] | None:
    """Per group, the least factor meeting its energy and protein floors (within 0.5-2), as
    the planner serves a plate; None when a recipe is not one the planner could use."""
    prep = prepare(gathered.problem)
    index = {r.id: i for i, r in enumerate(prep.recipes)}
    if any(r not in index for r in recipe_ids):
        return None
    found = plate_factors(prep.at(0), [index[r] for r in recipe_ids])
    return {g: min(max(f, FACTOR_MIN), FACTOR_MAX) for g, (f, _) in found.items()}


def cycle_cost(
    kitchen: Kitchen, gathered: Gathered, cycle: list[Any], *, least: bool
) -> dict[str, Any]:
    """The cycle repeated over the planned days, costed and checked as the menus are."""
    total, unknown, failing, over, group_days = 0.0, 0, 0, 0, 0
    shares: list[float] = []
    for n, day in enumerate(gathered.problem.days):
        recipe_ids, served = cycle[n % len(cycle)]
        factors = dict(served)
        if least:
            found = least_factors(gathered, recipe_ids)
            if found is None:
                return {"cost": None}
            factors = found
        planned = PlannedDay(
            service_date=day,
            items=[PlannedItem(r) for r in recipe_ids],
            portion_factors=factors,
            cost_per_portion={},
            cost_per_day=0.0,
        )
        check = check_of(
            menu_id=uuid.UUID(int=0),
            meal_type="lunch",
            items=[(r, 1.0) for r in recipe_ids],
            factors=factors,
            enrolled=gathered.enrolled,
            nutrition=gathered.nutrition,
            targets=gathered.targets,
            rule=gathered.rule,
            spend=planned_spend(kitchen, gathered, planned),
            computed_at=datetime.now(UTC),
        )
        if check.cost_per_day is None:
            unknown += 1
        else:
            total += check.cost_per_day
        for group in check.groups:
            if group.target_group not in gathered.enrolled:
                continue
            group_days += 1
            failing += group.status.value == "fail"
            over += group.cost is not None and group.cost.status.value == "over_budget"
            share = group.nutrients["energy_kcal"].share
            if share is not None:
                shares.append(share)
    return {
        "cost": None if unknown else total,
        "failing": failing,
        "over_budget": over,
        "group_days": group_days,
        "energy_share": statistics.mean(shares) if shares else None,
    }


def plan_shares(answer: dict[str, Any]) -> float:
    shares = [
        g["nutrients"]["energy_kcal"]["share"]
        for d in answer["days"]
        for g in d["check"]["groups"]
        if g["nutrients"]["energy_kcal"]["share"] is not None
    ]
    return statistics.mean(shares) if shares else 0.0


async def _baselines(
    ctx: Context,
    kitchens: list[tuple[uuid.UUID, str, str]],
    days: list[date],
    repeats: dict[uuid.UUID, int],
) -> dict[uuid.UUID, dict[str, Any]]:
    """The greedy plan (at the plan's repeat limit) and the cycle menu, per kitchen."""
    settings = Settings(_env_file=None, database_url=ctx.database_url)
    engine = make_async_engine(settings)
    found: dict[uuid.UUID, dict[str, Any]] = {}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            for kitchen_id, _, _ in kitchens:
                request = MenuPlanRequest.model_validate(
                    {
                        "from": days[0],
                        "to": days[-1],
                        "meal_type": MealType.lunch,
                        "max_repeats": repeats[kitchen_id],
                    }
                )
                kitchen = await session.get(Kitchen, kitchen_id)
                assert kitchen is not None
                gathered = await gather(session, kitchen=kitchen, data=request, days=days)
                cycle = await cycle_menus(session, kitchen_id, date.fromisoformat(ctx.anchor))
                started = time.perf_counter()
                greedy_cost, greedy_days = greedy(gathered)
                found[kitchen_id] = {
                    "greedy": greedy_cost,
                    "greedy_days": greedy_days,
                    "greedy_seconds": time.perf_counter() - started,
                    "cycle": cycle_cost(kitchen, gathered, cycle, least=False),
                    "cycle_least": cycle_cost(kitchen, gathered, cycle, least=True),
                }
            await session.rollback()
    finally:
        await engine.dispose()
    return found


# ---- the run ----------------------------------------------------------------------------------


def run(ctx: Context) -> list[Result]:
    n_kitchens = 5 if ctx.smoke else 12
    anchor = date.fromisoformat(ctx.anchor)
    days = school_days_after(anchor, 6 * WEEKS)
    with psycopg.connect(ctx.libpq_url) as conn:
        kitchens = pick_kitchens(conn, n_kitchens)
        remove_prices(conn)  # a run that was interrupted
        still_missing = add_prices(conn, [k[0] for k in kitchens])
        try:
            answers: dict[uuid.UUID, dict[str, Any]] = {}
            walls: list[float] = []
            first: list[dict[str, Any]] = []  # the answers at max_repeats 2
            retries: list[float] = []
            with ctx.client() as client:
                headers = admin_headers(client)
                for kitchen_id, _, _ in kitchens:
                    # The default repeat limit first; where no plan exists, the least limit
                    # that allows one (the answer's reason names it), for the comparison.
                    for repeats in range(2, MAX_REPEATS + 1):
                        body = {
                            "from": days[0].isoformat(),
                            "to": days[-1].isoformat(),
                            "meal_type": "lunch",
                            "max_repeats": repeats,
                        }
                        started = time.perf_counter()
                        resp = client.post(
                            f"/api/v1/kitchens/{kitchen_id}/menu-plans", json=body, headers=headers
                        )
                        (walls if repeats == 2 else retries).append(time.perf_counter() - started)
                        resp.raise_for_status()
                        answers[kitchen_id] = resp.json()
                        if repeats == 2:
                            first.append(answers[kitchen_id])
                        if answers[kitchen_id]["status"] != "infeasible":
                            break
            limits = {k: a["max_repeats"] for k, a in answers.items()}
            baselines = asyncio.run(_baselines(ctx, kitchens, days, limits))
        finally:
            remove_prices(conn)

    statuses = Counter(f"{a['status']} at max_repeats {a['max_repeats']}" for a in answers.values())
    at_two = Counter(a["status"] for a in first)
    solver = [a["solver"]["solver_seconds"] for a in first if a["solver"]]
    total = [a["solver"]["total_seconds"] for a in first if a["solver"]]
    timing = Result(
        name=f"menu planning: {len(days)} school days for {len(kitchens)} kitchens, API",
        figures={
            "p95 request seconds (max_repeats 2)": p95(walls),
            "median request seconds": statistics.median(walls),
            "max request seconds": max(walls),
            "p95 planning seconds (in the answer)": p95(total) if total else None,
            "p95 solver seconds (HiGHS)": p95(solver) if solver else None,
            "median solver seconds (HiGHS)": statistics.median(solver) if solver else None,
            "answers at max_repeats 2": dict(at_two),
            "max request seconds, larger max_repeats": max(retries) if retries else None,
            "answers compared below": dict(statuses),
        },
        ratio=p95(walls) / TARGET_P95_SECONDS,
        ratio_name="p95 / 5 s",
        target="<= 1",
        met=p95(walls) <= TARGET_P95_SECONDS,
    )
    if still_missing:
        timing.notes.append(f"foods still without a price: {', '.join(still_missing)}")

    rows: list[str] = []
    savings: list[float] = []
    least_savings: list[float] = []
    greedy_gaps: list[float] = []
    cycle_fail = cycle_days = 0
    for kitchen_id, code, groups in kitchens:
        answer, base = answers[kitchen_id], baselines[kitchen_id]
        plan_cost = answer["total_cost"]
        cycle, least = base["cycle"], base["cycle_least"]
        cycle_fail += cycle.get("failing", 0) + cycle.get("over_budget", 0)
        cycle_days += cycle.get("group_days", 0)
        if plan_cost is not None and cycle["cost"]:
            savings.append(1 - plan_cost / cycle["cost"])
        if plan_cost is not None and least["cost"]:
            least_savings.append(1 - plan_cost / least["cost"])
        if plan_cost is not None and base["greedy"]:
            greedy_gaps.append(base["greedy"] / plan_cost - 1)
        rows.append(
            f"{code} [{groups}]: {answer['status']} at max_repeats {answer['max_repeats']}, "
            f"plan Rp {_rp(plan_cost)}; cycle as served "
            f"Rp {_rp(cycle['cost'])} ({cycle.get('failing', 0)} failing, "
            f"{cycle.get('over_budget', 0)} over budget of {cycle.get('group_days', 0)} "
            f"group-days; energy {_pct(cycle.get('energy_share'))}), cycle at least factors "
            f"Rp {_rp(least['cost'])}; {_greedy(base, len(days))}; "
            f"plan energy {_pct(plan_shares(answer))}"
        )
    median_saving = statistics.median(savings) if savings else None
    cost = Result(
        name="menu planning: cost of the plan against the cycle menu and a greedy plan",
        figures={
            "kitchens compared": len(savings),
            "median saving vs cycle as served": median_saving,
            "least saving vs cycle as served": min(savings) if savings else None,
            "median saving vs cycle at least factors": (
                statistics.median(least_savings) if least_savings else None
            ),
            "greedy plans complete": f"{len(greedy_gaps)} of {len(kitchens)}",
            "median greedy cost above the plan": (
                statistics.median(greedy_gaps) if greedy_gaps else None
            ),
            "cycle group-days failing or over budget": f"{cycle_fail} of {cycle_days}",
            "plan group-days failing or over budget": "0 (every planned day passes)",
        },
        ratio=median_saving,
        ratio_name="median saving",
        target=">= 0.10",
        met=median_saving is not None and median_saving >= TARGET_SAVING,
        notes=rows,
    )
    return [timing, cost]


def _rp(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _greedy(base: dict[str, Any], days: int) -> str:
    if base["greedy"] is None:
        return f"greedy stuck after {base['greedy_days']} of {days} days"
    return f"greedy Rp {_rp(base['greedy'])}"
