"""Statements over meal counts: the day's PUT and reads, and what reports compose."""

from datetime import date
from typing import Any

from sqlalchemy import FromClause, Select, and_, bindparam, func, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.db import table_of
from app.mealcounts.models import MealCount, MealCountDay
from app.schools.models import School, SchoolEnrolment
from app.schools.queries import kitchen_enrolment, school_enrolment

COUNT_FIELDS = ("planned", "prepared", "served", "returned")
_counts = table_of(MealCount)


def counts_between(date_from: date, date_to: date) -> Select[Any]:
    """The count rows of a date range (inclusive): `kitchen_id`, `service_date`, `school_id`,
    `target_group`, the four counts and `updated_at`."""
    c = _counts.c
    return select(
        c.kitchen_id,
        c.service_date,
        c.school_id,
        c.target_group,
        *(c[field] for field in COUNT_FIELDS),
        c.updated_at,
    ).where(c.service_date >= date_from, c.service_date <= date_to)


def served_by_group(date_from: date, date_to: date) -> Select[Any]:
    """Served counts summed per kitchen, day and target group: `kitchen_id`, `service_date`,
    `target_group`, `served` (null when no school of the group reported one)."""
    c = _counts.c
    return (
        select(c.kitchen_id, c.service_date, c.target_group, func.sum(c.served).label("served"))
        .where(c.service_date >= date_from, c.service_date <= date_to)
        .group_by(c.kitchen_id, c.service_date, c.target_group)
    )


def portions_eaten(days: FromClause, *, planned_only: bool = False) -> Select[Any]:
    """Portions per kitchen, day and target group on the (`kitchen_id`, `service_date`)
    pairs of `days`: `kitchen_id`, `service_date`, `target_group`, `portions`.

    Each school and group eats its day's `prepared` count where known, else its `planned`
    count where a count row exists, else the school's enrolment (`planned_only`: its
    planned count where a row exists, else its enrolment). Computed as the kitchen's
    whole enrolment of the group (summed once per kitchen, not per day), corrected by each
    count row with (its count - the enrolment of the school and group it stands for): the
    same sum as a union of "counted" and "enrolled without a count" pairs, without the
    anti-join that made that form several times slower on a year of data.
    """
    c = _counts.c
    enrolment = kitchen_enrolment(select(days.c.kitchen_id)).subquery("kitchen_enrolment")
    enrolled = select(
        days.c.kitchen_id, days.c.service_date, enrolment.c.target_group, enrolment.c.portions
    ).join_from(days, enrolment, enrolment.c.kitchen_id == days.c.kitchen_id)
    # The enrolment a count row replaces: its school's, if the school is this kitchen's.
    # Only the schools of the days' kitchens: a few days of one kitchen must not read every
    # school's enrolment in the nation.
    of_kitchens = school_enrolment()
    school = of_kitchens.where(
        of_kitchens.selected_columns.kitchen_id.in_(select(days.c.kitchen_id))
    ).subquery("school_enrolment")
    counted = (
        select(
            days.c.kitchen_id,
            days.c.service_date,
            c.target_group,
            func.sum(
                (c.planned if planned_only else func.coalesce(c.prepared, c.planned))
                - func.coalesce(school.c["count"], 0)
            ).label("portions"),
        )
        .select_from(days)
        .join(
            _counts,
            and_(c.kitchen_id == days.c.kitchen_id, c.service_date == days.c.service_date),
        )
        .outerjoin(
            school,
            and_(
                school.c.school_id == c.school_id,
                school.c.kitchen_id == days.c.kitchen_id,
                school.c.target_group == c.target_group,
            ),
        )
        .group_by(days.c.kitchen_id, days.c.service_date, c.target_group)
    )
    corrected = union_all(enrolled, counted).subquery("corrected")
    return select(
        corrected.c.kitchen_id,
        corrected.c.service_date,
        corrected.c.target_group,
        func.sum(corrected.c.portions).label("portions"),
    ).group_by(corrected.c.kitchen_id, corrected.c.service_date, corrected.c.target_group)


# -- a kitchen's day: the PUT that replaces it and the reads of it ------------------------
# Built once, here: building a statement costs more than running it (SQLAlchemy caches the
# compiled SQL, not the construction), and the PUT is the hottest write. Plain rows only.

_days = table_of(MealCountDay)
_schools, _enrolments = table_of(School), table_of(SchoolEnrolment)

# The counted schools that are the kitchen's, each with its enrolment rows (if any).
SCHOOLS_AND_ENROLMENT = (
    select(_schools.c.id, _enrolments.c.target_group, _enrolments.c["count"])
    .select_from(_schools.outerjoin(_enrolments, _enrolments.c.school_id == _schools.c.id))
    .where(
        _schools.c.kitchen_id == bindparam("kitchen_id"),
        _schools.c.id.in_(bindparam("school_ids", expanding=True)),
    )
)
DELETE_COUNTS = _counts.delete().where(_counts.c.day_id == bindparam("day_id"))
INSERT_COUNTS = _counts.insert()
_COUNT_COLUMNS = (
    _counts.c.day_id,
    _counts.c.school_id,
    _counts.c.target_group,
    *(_counts.c[field] for field in COUNT_FIELDS),
)
COUNTS_OF_DAYS = select(*_COUNT_COLUMNS).where(
    _counts.c.day_id.in_(bindparam("day_ids", expanding=True))
)
DAY_OF_KITCHEN = select(_days).where(
    _days.c.kitchen_id == bindparam("kitchen_id"),
    _days.c.service_date == bindparam("service_date"),
)


def _upsert_day(dialect: str) -> Any:
    """INSERT the day, or touch it if it exists; either way its row stays locked.

    ON CONFLICT DO UPDATE locks the existing row until the transaction ends, so two PUTs
    of the same day queue here (PostgreSQL; SQLite write transactions begin IMMEDIATE) and
    the second replaces the first's counts as a whole, never a mix. The version moves
    because the day's counts (in another table) change: its ETag must move with them. A
    new day comes back with version 1, a replaced one with its old version + 1.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_days).values(
        id=bindparam("id"),
        kitchen_id=bindparam("kitchen_id"),
        service_date=bindparam("service_date"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
        version=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=["kitchen_id", "service_date"],
        set_={"updated_at": stmt.excluded.updated_at, "version": _days.c.version + 1},
    ).returning(_days.c.id, _days.c.created_at, _days.c.updated_at, _days.c.version)


UPSERT_DAY = {dialect: _upsert_day(dialect) for dialect in ("postgresql", "sqlite")}
