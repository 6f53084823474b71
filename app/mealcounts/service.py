"""Meal counts: a kitchen's day replaced as a whole, validated and totalled.

The PUT is the hottest write of the service: it runs a fixed number of statements however
many counts the day holds (app/mealcounts/queries.py), and answers from what it wrote.
"""

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.conditional import Conditional, version_tag
from app.core.errors import Invalid, NotFound
from app.core.localtime import local_today
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.mealcounts import queries
from app.mealcounts.models import (
    MealCountDay,
    MealCountDayPublic,
    MealCountIn,
    MealCountsPut,
)

_FIELDS = ("planned", "prepared", "served", "returned")


class SchoolNotInKitchen(Invalid):
    code = "school_not_in_kitchen"
    description = "A count names a school that is not one of this kitchen's"


def day_tag(day_id: uuid.UUID, version: int) -> str:
    """A reported day's ETag: its row's version, which every PUT of the day moves."""
    return version_tag("meal_count_days", day_id, version)


def _loc(i: int, field: str | None = None) -> list[str | int]:
    return ["body", "counts", i, field] if field else ["body", "counts", i]


def rule_errors(counts: list[MealCountIn], *, after_today: bool) -> list[dict[str, Any]]:
    """Every broken rule of a day's counts that no single field shows on its own."""
    errors: list[dict[str, Any]] = []
    first_at: dict[tuple[uuid.UUID, str], int] = {}
    for i, c in enumerate(counts):
        key = (c.school_id, c.target_group.value)
        if key in first_at:
            msg = f"school and target group {key[1]} already given at counts[{first_at[key]}]"
            errors.append({"loc": _loc(i), "msg": msg})
        first_at.setdefault(key, i)
        if after_today:
            for field in ("served", "returned"):
                if getattr(c, field) is not None:
                    msg = f"{field} cannot be reported for a date after the kitchen's today"
                    errors.append({"loc": _loc(i, field), "msg": msg})
        if c.served is not None and c.prepared is not None and c.served > c.prepared:
            msg = f"served ({c.served}) exceeds prepared ({c.prepared})"
            errors.append({"loc": _loc(i, "served"), "msg": msg})
        if c.returned is not None and c.served is not None and c.returned > c.served:
            msg = f"returned ({c.returned}) exceeds served ({c.served})"
            errors.append({"loc": _loc(i, "returned"), "msg": msg})
    return errors


async def _school_enrolment(
    session: AsyncSession, kitchen: Kitchen, counts: list[MealCountIn]
) -> tuple[dict[tuple[uuid.UUID, str], int], list[dict[str, Any]]]:
    """Enrolment per (school, group) of the counted schools, and an error for each count
    whose school is not the kitchen's."""
    if not counts:
        return {}, []
    ids = list({c.school_id for c in counts})
    params = {"kitchen_id": kitchen.id, "school_ids": ids}
    rows = (await session.execute(queries.SCHOOLS_AND_ENROLMENT, params)).all()
    own = {school_id for school_id, _, _ in rows}
    errors: list[dict[str, Any]] = [
        {"loc": _loc(i, "school_id"), "msg": "school is not one of this kitchen's"}
        for i, c in enumerate(counts)
        if c.school_id not in own
    ]
    return {(school_id, group): n for school_id, group, n in rows if group is not None}, errors


def _refuse(school_errors: list[dict[str, Any]], errors: list[dict[str, Any]]) -> None:
    """422 with every problem of the day at once, in the order of the counts."""
    every = sorted(school_errors + errors, key=lambda e: e["loc"][2])
    more = f" (and {len(every) - 1} more problems)" if len(every) > 1 else ""
    if school_errors:
        raise SchoolNotInKitchen(
            "A school in the counts does not belong to this kitchen" + more, errors=every
        )
    raise Invalid(every[0]["msg"] + more, errors=every)


async def put_day(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    service_date: date,
    data: MealCountsPut,
    cond: Conditional | None = None,
) -> tuple[MealCountDayPublic, str]:
    """Replace a day's counts as a whole; `planned` defaults to the school's enrolment.
    The day and its new ETag.

    Four statements of its own however many counts: the schools with their enrolment,
    the day's upsert (which locks it, and against whose version If-Match is compared), the
    delete and one batched insert of its counts. The answer is built from what was
    written, not read back.
    """
    enrolment, school_errors = await _school_enrolment(session, kitchen, data.counts)
    errors = rule_errors(data.counts, after_today=service_date > local_today(kitchen.timezone))
    if school_errors or errors:
        _refuse(school_errors, errors)

    now = utcnow()
    params = {"id": uuid.uuid4(), "kitchen_id": kitchen.id, "service_date": service_date}
    upsert = queries.UPSERT_DAY[session.get_bind().dialect.name]
    day_id, created_at, updated_at, version = (
        await session.execute(upsert, {**params, "now": now})
    ).one()
    if cond is not None:
        # A day reported before is compared as it was; a new day has nothing to match.
        cond.require(day_tag(day_id, version - 1) if version > 1 else None)
    await session.execute(queries.DELETE_COUNTS, {"day_id": day_id})
    counts: list[dict[str, Any]] = [
        {
            "day_id": day_id,
            "school_id": c.school_id,
            "target_group": c.target_group.value,
            "planned": c.planned
            if c.planned is not None
            else enrolment.get((c.school_id, c.target_group.value), 0),
            "prepared": c.prepared,
            "served": c.served,
            "returned": c.returned,
        }
        for c in data.counts
    ]
    if counts:
        # One executemany (one round trip): a day is replaced often (every retry of a phone).
        fixed = {"kitchen_id": kitchen.id, "service_date": service_date, "created_at": now}
        await session.execute(
            queries.INSERT_COUNTS,
            [{"id": uuid.uuid4(), **fixed, "updated_at": now, **c} for c in counts],
        )
    public = _day_public(
        kitchen.id, service_date, counts, created_at=created_at, updated_at=updated_at
    )
    return public, day_tag(day_id, version)


def _total(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _day_public(
    kitchen_id: uuid.UUID,
    service_date: date,
    counts: list[dict[str, Any]],
    *,
    created_at: datetime,
    updated_at: datetime,
) -> MealCountDayPublic:
    """A day's API shape: counts by school and group (the same order on every database)."""
    ordered = sorted(counts, key=lambda c: (c["school_id"], c["target_group"]))
    return MealCountDayPublic.model_validate(
        {
            "kitchen_id": kitchen_id,
            "service_date": service_date,
            "counts": ordered,
            "totals": {field: _total([c[field] for c in ordered]) for field in _FIELDS},
            "created_at": created_at,
            "updated_at": updated_at,
        }
    )


async def _days_public(session: AsyncSession, days: list[Any]) -> list[MealCountDayPublic]:
    """The API shape of many days: their counts in one query, totalled here."""
    if not days:
        return []
    counts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    rows = await session.execute(queries.COUNTS_OF_DAYS, {"day_ids": [d.id for d in days]})
    for row in rows.mappings().all():
        counts[row["day_id"]].append(dict(row))
    return [
        _day_public(
            d.kitchen_id,
            d.service_date,
            counts.get(d.id, []),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )
        for d in days
    ]


async def get_day(
    session: AsyncSession, *, kitchen: Kitchen, service_date: date, cond: Conditional
) -> MealCountDayPublic:
    """One reported day (404 when the kitchen has not reported it); tagged from its row
    before its counts are read, so a 304 reads one row."""
    params = {"kitchen_id": kitchen.id, "service_date": service_date}
    day = (await session.execute(queries.DAY_OF_KITCHEN, params)).first()
    if day is None:
        raise NotFound("Meal counts for that day")
    cond.tag(day_tag(day.id, day.version))
    return (await _days_public(session, [day]))[0]


async def list_days(
    session: AsyncSession, *, kitchen: Kitchen, date_from: date | None, date_to: date | None
) -> list[MealCountDayPublic]:
    """The kitchen's reported days within the range (inclusive), newest first."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("`from` is after `to`", loc=["query", "from"])
    stmt = select(MealCountDay).where(MealCountDay.kitchen_id == kitchen.id)
    if date_from:
        stmt = stmt.where(MealCountDay.service_date >= date_from)
    if date_to:
        stmt = stmt.where(MealCountDay.service_date <= date_to)
    days = list((await session.exec(stmt.order_by(col(MealCountDay.service_date).desc()))).all())
    return await _days_public(session, days)
