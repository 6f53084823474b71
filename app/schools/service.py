"""Schools and their enrolment by target group."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

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


class NpsnTaken(Conflict):
    code = "npsn_taken"
    description = "Another school has this NPSN"


async def enrolments_of(
    session: AsyncSession, school_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Enrolment by group for many schools in one query."""
    result: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if school_ids:
        stmt = select(SchoolEnrolment).where(col(SchoolEnrolment.school_id).in_(school_ids))
        for row in await session.exec(stmt):
            result[row.school_id][row.target_group] = row.count
    return result


def to_public(school: School, enrolment: dict[str, int]) -> SchoolPublic:
    """The API shape of a school."""
    return SchoolPublic.model_validate(
        {**school.model_dump(), "enrolment": dict(sorted(enrolment.items()))}
    )


async def _ensure_npsn_free(
    session: AsyncSession, npsn: str, *, exclude: School | None = None
) -> None:
    other = (await session.exec(select(School).where(School.npsn == npsn))).first()
    if other is not None and other is not exclude:
        raise NpsnTaken(f"NPSN {npsn} is already registered")


async def _replace_enrolment(
    session: AsyncSession, school_id: uuid.UUID, enrolment: dict[str, int]
) -> None:
    await session.exec(delete(SchoolEnrolment).where(col(SchoolEnrolment.school_id) == school_id))
    for group, count in enrolment.items():
        session.add(SchoolEnrolment(school_id=school_id, target_group=str(group), count=count))


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise NpsnTaken("NPSN is already registered") from exc


async def create_school(
    session: AsyncSession, *, kitchen: Kitchen, data: SchoolCreate
) -> SchoolPublic:
    """A new school delivered to by `kitchen`; its NPSN must be unused."""
    await _ensure_npsn_free(session, data.npsn)
    school = School(kitchen_id=kitchen.id, npsn=data.npsn, name=data.name, level=data.level)
    session.add(school)
    await _flush(session)
    enrolment = {str(g): n for g, n in data.enrolment.items()}
    await _replace_enrolment(session, school.id, enrolment)
    await _flush(session)
    return to_public(school, enrolment)


async def list_schools(
    session: AsyncSession, *, kitchen: Kitchen, page: PageParams
) -> tuple[list[SchoolPublic], str | None]:
    """A page of a kitchen's schools."""
    stmt = select(School).where(School.kitchen_id == kitchen.id)
    rows, cursor = await paginate(session, stmt, School, page)
    enrolments = await enrolments_of(session, [s.id for s in rows])
    return [to_public(s, enrolments.get(s.id, {})) for s in rows], cursor


async def get_school(session: AsyncSession, *, school: School) -> SchoolPublic:
    """The API shape of one school."""
    enrolments = await enrolments_of(session, [school.id])
    return to_public(school, enrolments.get(school.id, {}))


async def update_school(
    session: AsyncSession, *, school: School, data: SchoolUpdate
) -> SchoolPublic:
    """Apply the fields the client sent; `enrolment` replaces the whole object."""
    changes = data.model_dump(exclude_unset=True)
    enrolment = changes.pop("enrolment", None)
    if "npsn" in changes and changes["npsn"] != school.npsn:
        await _ensure_npsn_free(session, changes["npsn"], exclude=school)
    for field, value in changes.items():
        setattr(school, field, value)
    if enrolment is not None:
        await _replace_enrolment(session, school.id, {str(g): n for g, n in enrolment.items()})
        # Enrolment lives in its own table; touch the school so updated_at and ETags move.
        school.updated_at = utcnow()
    session.add(school)
    await _flush(session)
    return await get_school(session, school=school)
