"""Meal counts: a kitchen's day replaced as a whole, validated and totalled."""

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.core.db import table_of
from app.core.errors import Invalid, NotFound
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.mealcounts.models import (
    MealCount,
    MealCountDay,
    MealCountDayPublic,
    MealCountIn,
    MealCountsPut,
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


# Statements built once (building one costs more than running it); plain rows, no objects.
_schools, _enrolments = table_of(School), table_of(SchoolEnrolment)
_days, _counts = table_of(MealCountDay), table_of(MealCount)
_SCHOOLS_AND_ENROLMENT = (
    sa_select(_schools.c.id, _enrolments.c.target_group, _enrolments.c.count)
    .select_from(_schools.outerjoin(_enrolments, _enrolments.c.school_id == _schools.c.id))
    .where(
        _schools.c.kitchen_id == bindparam("kitchen_id"),
        _schools.c.id.in_(bindparam("school_ids", expanding=True)),
    )
)
_DELETE_COUNTS = _counts.delete().where(_counts.c.day_id == bindparam("day_id"))
_INSERT_COUNTS = _counts.insert()
_COUNT_COLUMNS = (
    _counts.c.day_id,
    _counts.c.school_id,
    _counts.c.target_group,
    _counts.c.planned,
    _counts.c.prepared,
    _counts.c.served,
    _counts.c.returned,
)
_COUNTS_OF_DAYS = sa_select(*_COUNT_COLUMNS).where(
    _counts.c.day_id.in_(bindparam("day_ids", expanding=True))
)
_DAY_OF_KITCHEN = sa_select(_days).where(
    _days.c.kitchen_id == bindparam("kitchen_id"),
    _days.c.service_date == bindparam("service_date"),
)


def _upsert_day(dialect: str) -> Any:
    """INSERT the day, or touch it if it exists; either way its row stays locked.

    ON CONFLICT DO UPDATE locks the existing row until the transaction ends, so two PUTs
    of the same day queue here (PostgreSQL; SQLite write transactions begin IMMEDIATE) and
    the second replaces the first's counts as a whole, never a mix. `updated_at` moves
    because the day's counts (in another table) change: its ETag must move with them.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_days).values(
        id=bindparam("id"),
        kitchen_id=bindparam("kitchen_id"),
        service_date=bindparam("service_date"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["kitchen_id", "service_date"],
        set_={"updated_at": stmt.excluded.updated_at},
    ).returning(_days.c.id, _days.c.created_at, _days.c.updated_at)


_UPSERT_DAY = {dialect: _upsert_day(dialect) for dialect in ("postgresql", "sqlite")}


def _school_enrolment(
    session: Session, kitchen: Kitchen, counts: list[MealCountIn]
) -> dict[tuple[uuid.UUID, str], int]:
    """Enrolment per (school, group) of the counted schools; 422 if one is not the kitchen's."""
    ids = list({c.school_id for c in counts})
    rows = session.execute(
        _SCHOOLS_AND_ENROLMENT, {"kitchen_id": kitchen.id, "school_ids": ids}
    ).all()
    own = {school_id for school_id, _, _ in rows}
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
    return {(school_id, group): n for school_id, group, n in rows if group is not None}


def put_day(
    session: Session, *, kitchen: Kitchen, service_date: date, data: MealCountsPut
) -> MealCountDayPublic:
    """Replace a day's counts as a whole; `planned` defaults to the school's enrolment.

    Five statements however many counts: the schools with their enrolment, the day's
    upsert (which also locks it), the delete and one batched insert of its counts, and
    the audit event. The answer is built from what was written, not read back.
    """
    enrolment = _school_enrolment(session, kitchen, data.counts) if data.counts else {}
    errors = _rule_errors(data.counts, after_today=service_date > kitchen_today(kitchen))
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)

    now = utcnow()
    connection = session.connection()
    day_id, created_at, updated_at = connection.execute(
        _UPSERT_DAY[connection.dialect.name],
        {"id": uuid.uuid4(), "kitchen_id": kitchen.id, "service_date": service_date, "now": now},
    ).one()
    connection.execute(_DELETE_COUNTS, {"day_id": day_id})
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
        # One executemany, which psycopg sends as one pipeline (one round trip): a day
        # is replaced often (every retry of a phone).
        fixed = {"kitchen_id": kitchen.id, "service_date": service_date, "created_at": now}
        connection.execute(
            _INSERT_COUNTS,
            [{"id": uuid.uuid4(), **fixed, "updated_at": now, **c} for c in counts],
        )
    return _day_public(
        kitchen.id, service_date, counts, created_at=created_at, updated_at=updated_at
    )


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
            "totals": {
                field: _total([c[field] for c in ordered])
                for field in ("planned", "prepared", "served", "returned")
            },
            "created_at": created_at,
            "updated_at": updated_at,
        }
    )


def _days_public(session: Session, days: list[Any]) -> list[MealCountDayPublic]:
    """The API shape of many days: their counts in one query, totalled here."""
    if not days:
        return []
    counts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    rows = session.execute(_COUNTS_OF_DAYS, {"day_ids": [d.id for d in days]}).mappings()
    for row in rows.all():
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


def get_day(session: Session, *, kitchen: Kitchen, service_date: date) -> MealCountDayPublic:
    """One reported day, or 404 when the kitchen has not reported it."""
    params = {"kitchen_id": kitchen.id, "service_date": service_date}
    day = session.execute(_DAY_OF_KITCHEN, params).first()
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
