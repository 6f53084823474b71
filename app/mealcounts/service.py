"""Meal counts: a kitchen's day replaced as a whole, validated, totalled in SQL."""

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from app.core.errors import Invalid, NotFound
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.mealcounts.models import (
    MealCount,
    MealCountDay,
    MealCountDayPublic,
    MealCountIn,
    MealCountPublic,
    MealCountsPut,
    MealCountTotals,
)
from app.schools.models import School, SchoolEnrolment


def kitchen_today(kitchen: Kitchen, *, now: datetime | None = None) -> date:
    """The date it is now in the kitchen's own time zone."""
    return (now or utcnow()).astimezone(ZoneInfo(kitchen.timezone)).date()


def _rule_errors(counts: list[MealCountIn], *, after_today: bool) -> list[dict[str, Any]]:
    """Every broken rule of §7 that pydantic cannot see on one count alone."""
    errors: list[dict[str, Any]] = []
    first_at: dict[tuple[uuid.UUID, str], int] = {}

    def fail(i: int, field: str | None, msg: str) -> None:
        loc: list[str | int] = ["body", "counts", i]
        errors.append({"loc": [*loc, field] if field else loc, "msg": msg})

    for i, c in enumerate(counts):
        key = (c.school_id, c.target_group.value)
        if key in first_at:
            fail(
                i,
                None,
                f"school and target group {key[1]} already given at counts[{first_at[key]}]",
            )
        first_at.setdefault(key, i)
        if after_today:
            for field in ("served", "returned"):
                if getattr(c, field) is not None:
                    fail(
                        i, field, f"{field} cannot be reported for a date after the kitchen's today"
                    )
        if c.served is not None and c.prepared is not None and c.served > c.prepared:
            fail(i, "served", f"served ({c.served}) exceeds prepared ({c.prepared})")
        if c.returned is not None and c.served is not None and c.returned > c.served:
            fail(i, "returned", f"returned ({c.returned}) exceeds served ({c.served})")
    return errors


def _ensure_schools_of_kitchen(
    session: Session, kitchen: Kitchen, counts: list[MealCountIn]
) -> None:
    ids = {c.school_id for c in counts}
    stmt = select(School.id).where(col(School.id).in_(ids), School.kitchen_id == kitchen.id)
    own = set(session.exec(stmt).all()) if ids else set()
    errors: list[dict[str, Any]] = [
        {"loc": ["body", "counts", i, "school_id"], "msg": "school is not one of this kitchen's"}
        for i, c in enumerate(counts)
        if c.school_id not in own
    ]
    if errors:
        raise Invalid(
            "A school in the counts does not belong to this kitchen",
            code="school_not_in_kitchen",
            errors=errors,
        )


def _locked_day(session: Session, kitchen: Kitchen, service_date: date) -> MealCountDay:
    """The day's row, created if missing, locked until the transaction ends.

    Two PUTs of the same day queue on this lock (PostgreSQL: the upsert waits for the
    other's uncommitted insert, then FOR UPDATE; SQLite: write transactions begin
    IMMEDIATE), so the second replaces the first's counts as a whole, never a mix.
    """
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = (
        insert(MealCountDay)
        .values(
            id=uuid.uuid4(),
            kitchen_id=kitchen.id,
            service_date=service_date,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kitchen_id", "service_date"])
    )
    session.exec(upsert)
    stmt = (
        select(MealCountDay)
        .where(MealCountDay.kitchen_id == kitchen.id, MealCountDay.service_date == service_date)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).one()


def put_day(
    session: Session, *, kitchen: Kitchen, service_date: date, data: MealCountsPut
) -> MealCountDayPublic:
    """Replace a day's counts as a whole; `planned` defaults to the school's enrolment."""
    _ensure_schools_of_kitchen(session, kitchen, data.counts)
    errors = _rule_errors(data.counts, after_today=service_date > kitchen_today(kitchen))
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)
    enrolment: dict[tuple[uuid.UUID, str], int] = {}
    if data.counts:
        rows = session.exec(
            select(SchoolEnrolment).where(
                col(SchoolEnrolment.school_id).in_({c.school_id for c in data.counts})
            )
        )
        enrolment = {(r.school_id, r.target_group): r.count for r in rows}

    day = _locked_day(session, kitchen, service_date)
    session.exec(delete(MealCount).where(col(MealCount.day_id) == day.id))
    now = utcnow()
    counts: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "day_id": day.id,
            "kitchen_id": kitchen.id,
            "service_date": service_date,
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
        # One multi-row INSERT: a day is replaced often (every retry of a phone), and
        # building ORM objects per count cost more than the statement itself.
        session.execute(insert(MealCount), counts)
    day.updated_at = now  # the counts live in another table; the day's ETag must move
    session.add(day)
    session.flush()
    return _days_public(session, [day])[0]


def _days_public(session: Session, days: list[MealCountDay]) -> list[MealCountDayPublic]:
    """The API shape of many days: their counts and SQL totals in two queries."""
    if not days:
        return []
    ids = [d.id for d in days]
    counts: dict[uuid.UUID, list[MealCountPublic]] = defaultdict(list)
    rows = session.exec(
        select(MealCount)
        .where(col(MealCount.day_id).in_(ids))
        .order_by(col(MealCount.school_id), col(MealCount.target_group))
    )
    for r in rows:
        counts[r.day_id].append(MealCountPublic.model_validate(r, from_attributes=True))
    # Five columns: more than sqlmodel's typed select() takes, so plain SQLAlchemy.
    sums = session.execute(
        sa_select(
            col(MealCount.day_id),
            func.sum(col(MealCount.planned)),
            func.sum(col(MealCount.prepared)),
            func.sum(col(MealCount.served)),
            func.sum(col(MealCount.returned)),
        )
        .where(col(MealCount.day_id).in_(ids))
        .group_by(col(MealCount.day_id))
    )
    totals = {
        day_id: MealCountTotals(planned=p, prepared=pr, served=s, returned=r)
        for day_id, p, pr, s, r in sums
    }
    empty = MealCountTotals(planned=None, prepared=None, served=None, returned=None)
    return [
        MealCountDayPublic(
            kitchen_id=d.kitchen_id,
            service_date=d.service_date,
            counts=counts.get(d.id, []),
            totals=totals.get(d.id, empty),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )
        for d in days
    ]


def get_day(session: Session, *, kitchen: Kitchen, service_date: date) -> MealCountDayPublic:
    """One reported day, or 404 when the kitchen has not reported it."""
    day = session.exec(
        select(MealCountDay).where(
            MealCountDay.kitchen_id == kitchen.id, MealCountDay.service_date == service_date
        )
    ).first()
    if day is None:
        raise NotFound("Meal counts for that day")
    return _days_public(session, [day])[0]


def list_days(
    session: Session, *, kitchen: Kitchen, date_from: date | None, date_to: date | None
) -> list[MealCountDayPublic]:
    """The kitchen's reported days within the range (inclusive), newest first."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("`from` is after `to`", loc=["query", "from"])
    stmt = select(MealCountDay).where(MealCountDay.kitchen_id == kitchen.id)
    if date_from:
        stmt = stmt.where(MealCountDay.service_date >= date_from)
    if date_to:
        stmt = stmt.where(MealCountDay.service_date <= date_to)
    days = list(session.exec(stmt.order_by(col(MealCountDay.service_date).desc())).all())
    return _days_public(session, days)
