"""Incidents and their trace: what was served, who cooked it, how long it travelled, and
which other schools ate the same meal.

The trace answers from a fixed number of indexed statements (app/incidents/queries.py),
however large the kitchen: the health office calls it in the first hours of an outbreak.
"""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal
from app.auth.policy import KITCHEN_STAFF
from app.core.errors import Invalid, NotFound
from app.core.localtime import local_today
from app.core.pagination import PageParams, paginate
from app.deliveries.service import public_of
from app.foodsafety.models import FoodSafetyCheckPublic
from app.incidents import queries
from app.incidents.models import (
    AtRiskSchool,
    Incident,
    IncidentCreate,
    IncidentPublic,
    StaffOnShift,
    Trace,
    TraceFood,
    TraceKitchen,
    TraceMenu,
    TraceRecipe,
    TraceSchool,
)
from app.kitchens.access import visible
from app.kitchens.models import Kitchen, KitchenPublic
from app.kitchens.service import scope_filter
from app.schools.models import School

# Shifts whose food handlers the trace lists: those overlapping the window from noon of
# the day before the meal (the evening's preparation, the night's cooking) to the end of
# the meal date (portioning and delivery), kitchen-local.
HANDLING_STARTS_BEFORE = timedelta(hours=12)


def certificate_status(expires_on: date | None, day: date) -> str:
    """A food handler's certificate on `day`: `valid`, `expired` or `missing`."""
    if expires_on is None:
        return "missing"
    return "expired" if expires_on < day else "valid"


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant a kitchen-local day begins, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def incident_errors(data: IncidentCreate, timezone: str) -> list[dict[str, Any]]:
    """Why an incident cannot be right: more hospitalised than ill, a meal date after the
    kitchen's today, symptoms that began before the meal date did."""
    errors: list[dict[str, Any]] = []
    if data.hospitalised is not None and data.hospitalised > data.cases:
        errors.append(
            {
                "loc": ["body", "hospitalised"],
                "msg": f"hospitalised ({data.hospitalised}) exceeds cases ({data.cases})",
            }
        )
    today = local_today(timezone)
    if data.meal_date > today:
        errors.append(
            {
                "loc": ["body", "meal_date"],
                "msg": f"meal_date lies after the kitchen's today ({today}, {timezone})",
            }
        )
    if data.onset_at is not None and data.onset_at < local_midnight(data.meal_date, timezone):
        errors.append(
            {"loc": ["body", "onset_at"], "msg": "onset_at lies before the meal date began"}
        )
    return errors


async def create_incident(
    session: AsyncSession, *, principal: Principal, data: IncidentCreate
) -> Incident:
    """Record an incident at a school the caller may act on (404 for any other school)."""
    row = (
        await session.execute(
            select(School, Kitchen)
            .join(Kitchen, col(Kitchen.id) == col(School.kitchen_id))
            .where(School.id == data.school_id)
        )
    ).first()
    if row is None or not visible(principal, row[1]):
        raise NotFound("School")
    school, kitchen = row
    errors = incident_errors(data, kitchen.timezone)
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)
    incident = Incident(
        kitchen_id=kitchen.id,
        school_id=school.id,
        meal_date=data.meal_date,
        cases=data.cases,
        hospitalised=data.hospitalised,
        onset_at=data.onset_at.astimezone(UTC) if data.onset_at else None,
        symptoms=list(data.symptoms),
        notes=data.notes,
        reported_by_kind=principal.kind,
        reported_by_id=principal.id,
        reported_by_name=principal.name[:200],
    )
    session.add(incident)
    await session.flush()
    return incident


async def list_incidents(
    session: AsyncSession,
    *,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
    kitchen_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[Incident], str | None]:
    """A page of the incidents at kitchens the caller may see, optionally within meal dates."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("`from` is after `to`", loc=["query", "from"])
    stmt = (
        select(Incident)
        .join(Kitchen, col(Kitchen.id) == col(Incident.kitchen_id))
        .where(scope_filter(principal))
    )
    if date_from:
        stmt = stmt.where(Incident.meal_date >= date_from)
    if date_to:
        stmt = stmt.where(Incident.meal_date <= date_to)
    if kitchen_id:
        stmt = stmt.where(Incident.kitchen_id == kitchen_id)
    return await paginate(session, stmt, Incident, page)


async def kitchen_of(session: AsyncSession, incident: Incident) -> Kitchen:
    """The incident's kitchen (its loader read it with the incident: no query)."""
    kitchen = await session.get(Kitchen, incident.kitchen_id)
    if kitchen is None:
        raise NotFound("Incident")
    return kitchen


def _menus(rows: Any, meal_types: set[str]) -> list[TraceMenu]:
    """Menus from MENU_CONTENTS rows (one per ingredient), only of `meal_types` if any."""
    menus: dict[uuid.UUID, TraceMenu] = {}
    recipes: dict[tuple[uuid.UUID, uuid.UUID], TraceRecipe] = {}
    for r in rows:
        if meal_types and r.meal_type not in meal_types:
            continue
        menu = menus.get(r.id)
        if menu is None:
            menu = menus[r.id] = TraceMenu(
                id=r.id,
                meal_type=r.meal_type,
                status=r.status,
                approved_at=r.approved_at,
                override_reason=r.override_reason,
                recipes=[],
            )
        if r.recipe_id is None:
            continue
        recipe = recipes.get((r.id, r.recipe_id))
        if recipe is None:
            recipe = recipes[(r.id, r.recipe_id)] = TraceRecipe(
                recipe_id=r.recipe_id, name=r.recipe_name, servings=r.servings, foods=[]
            )
            menu.recipes.append(recipe)
        if r.food_id is not None:
            recipe.foods.append(
                TraceFood(
                    food_id=r.food_id,
                    code=r.code,
                    name=r.food_name,
                    commodity=r.commodity,
                    grams=r.grams,
                    allergens=r.allergens,
                )
            )
    return list(menus.values())


async def trace(session: AsyncSession, *, incident: Incident, principal: Principal) -> Trace:
    """Everything about the meal the incident followed, from six indexed statements."""
    kitchen = await kitchen_of(session, incident)
    day, tz = incident.meal_date, kitchen.timezone
    today = local_today(tz)
    at = {"kitchen_id": kitchen.id, "day": day, "school_id": incident.school_id}
    # Plain rows on the session's connection: no ORM identity map to fill.
    db = await session.connection()

    deliveries = [
        public_of(
            dict(r._mapping),
            cooked_at=r.cooked_at,
            has_check=r.first_cooked_at is not None,
            today=today,
        )
        for r in await db.execute(queries.SCHOOL_DELIVERIES, at)
    ]
    content = (await db.execute(queries.MENU_CONTENTS, at)).all()
    # The meal types this school was delivered; all of the day's menus without a record.
    menus = _menus(content, {d.meal_type.value for d in deliveries})
    checks = [
        FoodSafetyCheckPublic.model_validate(dict(r._mapping))
        for r in await db.execute(queries.CHECKS, at)
    ]

    start = local_midnight(day, tz) - HANDLING_STARTS_BEFORE
    end = local_midnight(day + timedelta(days=1), tz)
    names = principal.role in KITCHEN_STAFF
    staff = [
        StaffOnShift(
            staff_id=r.staff_id,
            role=r.role,
            certificate_status=certificate_status(r.food_handler_cert_expires_on, day),
            full_name=r.full_name if names else None,
            shift_id=r.shift_id,
            shift_name=r.shift_name,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            clock_in_at=r.clock_in_at,
            clock_out_at=r.clock_out_at,
        )
        for r in await db.execute(
            queries.HANDLERS_ON_SHIFT, {"kitchen_id": kitchen.id, "start": start, "end": end}
        )
    ]
    school: TraceSchool | None = None
    at_risk = []
    for r in await db.execute(queries.SCHOOLS_THAT_ATE, {**at, "any_menu": bool(content)}):
        if r.id == incident.school_id:
            school = TraceSchool(id=r.id, npsn=r.npsn, name=r.name)
            continue
        at_risk.append(
            AtRiskSchool(
                school_id=r.id,
                npsn=r.npsn,
                name=r.name,
                portions_delivered=None if r.delivered is None else int(r.delivered),
                portions_served=None if r.served is None else int(r.served),
            )
        )
    if school is None:  # schools never change kitchen; a deleted one took its incidents
        raise NotFound("Incident")
    return Trace(
        incident=IncidentPublic.model_validate(incident),
        kitchen=TraceKitchen(
            **dict(KitchenPublic.model_validate(kitchen)),
            hygiene_status_on_meal_date=kitchen.hygiene_status_on(day),
        ),
        school=school,
        menus=menus,
        food_safety_checks=checks,
        deliveries=deliveries,
        staff_on_shift=staff,
        at_risk_schools=at_risk,
    )
