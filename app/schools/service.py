"""Schools and their enrolment by target group."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.core.errors import Conflict
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.kitchens.models import Kitchen
from app.schools.models import (
    School,
    SchoolCreate,
    SchoolEnrolment,
    SchoolPublic,
    SchoolUpdate,
)


def enrolments_of(
    session: Session, school_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Enrolment by group for many schools in one query."""
    result: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if school_ids:
        stmt = select(SchoolEnrolment).where(col(SchoolEnrolment.school_id).in_(school_ids))
        for row in session.exec(stmt):
            result[row.school_id][row.target_group] = row.count
    return result


def to_public(school: School, enrolment: dict[str, int]) -> SchoolPublic:
    """The API shape of a school."""
    return SchoolPublic.model_validate(
        {**school.model_dump(), "enrolment": dict(sorted(enrolment.items()))}
    )


def _ensure_npsn_free(session: Session, npsn: str, *, exclude: School | None = None) -> None:
    other = session.exec(select(School).where(School.npsn == npsn)).first()
    if other is not None and other is not exclude:
        raise Conflict(f"NPSN {npsn} is already registered", code="npsn_taken")


def _replace_enrolment(session: Session, school_id: uuid.UUID, enrolment: dict[str, int]) -> None:
    session.exec(delete(SchoolEnrolment).where(col(SchoolEnrolment.school_id) == school_id))
    for group, count in enrolment.items():
        session.add(SchoolEnrolment(school_id=school_id, target_group=str(group), count=count))


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("NPSN is already registered", code="npsn_taken") from exc


def create_school(session: Session, *, kitchen: Kitchen, data: SchoolCreate) -> SchoolPublic:
    """A new school delivered to by `kitchen`; its NPSN must be unused."""
    _ensure_npsn_free(session, data.npsn)
    school = School(kitchen_id=kitchen.id, npsn=data.npsn, name=data.name, level=data.level)
    session.add(school)
    _flush(session)
    enrolment = {str(g): n for g, n in data.enrolment.items()}
    _replace_enrolment(session, school.id, enrolment)
    _flush(session)
    return to_public(school, enrolment)


def list_schools(
    session: Session, *, kitchen: Kitchen, page: PageParams
) -> tuple[list[SchoolPublic], str | None]:
    """A page of a kitchen's schools."""
    stmt = select(School).where(School.kitchen_id == kitchen.id)
    rows, cursor = paginate(session, stmt, School, page)
    enrolments = enrolments_of(session, [s.id for s in rows])
    return [to_public(s, enrolments.get(s.id, {})) for s in rows], cursor


def get_school(session: Session, *, school: School) -> SchoolPublic:
    """The API shape of one school."""
    return to_public(school, enrolments_of(session, [school.id]).get(school.id, {}))


def update_school(session: Session, *, school: School, data: SchoolUpdate) -> SchoolPublic:
    """Apply the fields the client sent; `enrolment` replaces the whole object."""
    changes = data.model_dump(exclude_unset=True)
    enrolment = changes.pop("enrolment", None)
    changes = {k: v for k, v in changes.items() if v is not None}
    if "npsn" in changes and changes["npsn"] != school.npsn:
        _ensure_npsn_free(session, changes["npsn"], exclude=school)
    for field, value in changes.items():
        setattr(school, field, value)
    if enrolment is not None:
        _replace_enrolment(session, school.id, {str(g): n for g, n in enrolment.items()})
        # Enrolment lives in its own table; touch the school so updated_at and ETags move.
        school.updated_at = utcnow()
    session.add(school)
    _flush(session)
    return get_school(session, school=school)
