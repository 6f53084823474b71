"""Statements over schools and their enrolment that reports compose."""

from typing import Any

from sqlalchemy import Select, func, select

from app.core.db import table_of
from app.schools.models import School, SchoolEnrolment

_schools = table_of(School)
_enrolments = table_of(SchoolEnrolment)


def school_codes() -> Select[Any]:
    """Every school's NPSN: `school_id`, `npsn`."""
    s = _schools.c
    return select(s.id.label("school_id"), s.npsn)


def school_enrolment() -> Select[Any]:
    """Pupils per school and target group: `school_id`, `kitchen_id`, `target_group`, `count`."""
    s, e = _schools.c, _enrolments.c
    return select(s.id.label("school_id"), s.kitchen_id, e.target_group, e.count).join_from(
        _schools, _enrolments, e.school_id == s.id
    )


def kitchen_enrolment(kitchen_ids: Select[Any]) -> Select[Any]:
    """Pupils per kitchen and target group, over the schools of the kitchens `kitchen_ids`
    selects: `kitchen_id`, `target_group`, `portions`."""
    s, e = _schools.c, _enrolments.c
    return (
        select(s.kitchen_id, e.target_group, func.sum(e.count).label("portions"))
        .join_from(_schools, _enrolments, e.school_id == s.id)
        .where(s.kitchen_id.in_(kitchen_ids))
        .group_by(s.kitchen_id, e.target_group)
    )
