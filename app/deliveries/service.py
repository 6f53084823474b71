"""Deliveries: what makes one valid, and the flags the service derives from it.

The driver records a delivery from the kitchen manager's app on the road: a POST when
the food leaves (retried safely with an Idempotency-Key), then PATCHes with If-Match as
the school receives and starts eating it. The flags are computed whenever a delivery is
read, never stored: they depend on the day's food-safety checks, which may be corrected
later, and on the clock (`not_received` once the kitchen-local service day has ended).
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.conditional import version_tag
from app.core.errors import Conflict, Invalid, NotFound
from app.core.localtime import local_date, local_today
from app.core.pagination import PageParams, paginate
from app.deliveries import queries
from app.deliveries.models import (
    Delivery,
    DeliveryCreate,
    DeliveryFlag,
    DeliveryPublic,
    DeliveryUpdate,
)
from app.kitchens.models import Kitchen
from app.kitchens.oversight import ensure_active
from app.mealcounts.service import SchoolNotInKitchen
from app.schools.models import School

# The programme's target and limit from the end of cooking to the start of eating.
TARGET = timedelta(hours=4)
LIMIT = timedelta(hours=6)


class DeliveryExists(Conflict):
    code = "delivery_exists"
    description = (
        "The school already has a delivery of this meal type on this date "
        "(`delivery_id` names it; PATCH it instead)"
    )


# -- the rules, as pure functions -----------------------------------------------------------


def carried_cooking(cooked: Sequence[datetime], departed_at: datetime) -> datetime | None:
    """The cooking a delivery carried, from the day's cooking times: the latest finished no
    later than its departure, else the day's earliest (None when there is no check)."""
    before = [c for c in cooked if c <= departed_at]
    if before:
        return max(before)
    return min(cooked) if cooked else None


def delivery_flags(
    delivery: Mapping[str, Any], *, cooked_at: datetime | None, has_check: bool, today: date
) -> list[DeliveryFlag]:
    """The flags of a delivery's fields, in a fixed order. `today` is the kitchen-local
    date now; exactly 4 (or 6) hours is not over."""
    flags: list[DeliveryFlag] = []
    end = delivery["consumption_started_at"] or delivery["arrived_at"]
    if cooked_at is not None and end is not None:
        elapsed = end - cooked_at
        if elapsed > TARGET:
            flags.append(DeliveryFlag.over_4h)
        if elapsed > LIMIT:
            flags.append(DeliveryFlag.over_6h)
    received = delivery["received_portions"]
    if received is not None and received < delivery["portions"]:
        flags.append(DeliveryFlag.short_delivery)
    # Eating that started is an arrival too, even if the arrival time was not recorded.
    if end is None and today > delivery["service_date"]:
        flags.append(DeliveryFlag.not_received)
    if not has_check:
        flags.append(DeliveryFlag.no_cooking_record)
    return flags


def time_errors(delivery: Delivery, timezone: str) -> list[dict[str, Any]]:
    """Why a delivery's record cannot be right: departure on the service date or the day
    before (kitchen-local), departed <= arrived <= consumption, and no more portions
    received than sent."""
    errors: list[dict[str, Any]] = []
    left_on = local_date(delivery.departed_at, timezone)
    if not delivery.service_date - timedelta(days=1) <= left_on <= delivery.service_date:
        errors.append(
            {
                "loc": ["body", "departed_at"],
                "msg": f"departed_at falls on {left_on} in the kitchen's time zone ({timezone});"
                f" food for {delivery.service_date} leaves that day or the day before",
            }
        )
    if delivery.arrived_at is not None and delivery.arrived_at < delivery.departed_at:
        errors.append({"loc": ["body", "arrived_at"], "msg": "arrived_at is before departed_at"})
    start = delivery.consumption_started_at
    if start is not None:
        before = delivery.arrived_at or delivery.departed_at
        name = "arrived_at" if delivery.arrived_at is not None else "departed_at"
        if start < before:
            msg = f"consumption_started_at is before {name}"
            errors.append({"loc": ["body", "consumption_started_at"], "msg": msg})
    if delivery.received_portions is not None and delivery.received_portions > delivery.portions:
        errors.append(
            {
                "loc": ["body", "received_portions"],
                "msg": f"received_portions ({delivery.received_portions}) exceeds the portions "
                f"sent ({delivery.portions})",
            }
        )
    return errors


def _settle(delivery: Delivery, kitchen: Kitchen) -> None:
    errors = time_errors(delivery, kitchen.timezone)
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


# -- reading ---------------------------------------------------------------------------------


def public_of(
    row: Delivery | Mapping[str, Any],
    *,
    cooked_at: datetime | None,
    has_check: bool,
    today: date,
) -> DeliveryPublic:
    """The API shape of a delivery (an object, or a row of `queries.with_cooking`)."""
    fields = (
        dict(row)
        if isinstance(row, Mapping)
        else {name: getattr(row, name) for name in queries.DELIVERY_FIELDS}
    )
    flags = delivery_flags(fields, cooked_at=cooked_at, has_check=has_check, today=today)
    return DeliveryPublic.model_validate(
        {
            **{name: fields[name] for name in queries.DELIVERY_FIELDS},
            "cooked_at": cooked_at,
            "flags": flags,
        }
    )


async def to_public_many(
    session: AsyncSession, kitchen: Kitchen, deliveries: Sequence[Delivery]
) -> list[DeliveryPublic]:
    """The API shape of deliveries of one kitchen: one query for their days' cooking."""
    days = sorted({d.service_date for d in deliveries})
    cooked: dict[date, list[datetime]] = defaultdict(list)
    if days:
        params = {"kitchen_id": kitchen.id, "days": days}
        for day, cooked_at in await session.execute(queries.COOKING_OF_DAYS, params):
            cooked[day].append(cooked_at)
    today = local_today(kitchen.timezone)
    return [
        public_of(
            d,
            cooked_at=carried_cooking(cooked[d.service_date], d.departed_at),
            has_check=bool(cooked[d.service_date]),
            today=today,
        )
        for d in deliveries
    ]


async def to_public(session: AsyncSession, delivery: Delivery, kitchen: Kitchen) -> DeliveryPublic:
    """The API shape of one delivery."""
    return (await to_public_many(session, kitchen, [delivery]))[0]


def tag_of(public: DeliveryPublic, version: int) -> str:
    """A delivery's ETag: its row's version, and what its flags read from other rows and
    from the clock (the cooking it carried, the end of its service day)."""
    cooked = public.cooked_at.isoformat() if public.cooked_at else None
    return version_tag("deliveries", public.id, version, cooked, ",".join(public.flags))


async def kitchen_of(session: AsyncSession, delivery: Delivery) -> Kitchen:
    """The delivery's kitchen (its loader read it with the delivery: no query)."""
    kitchen = await session.get(Kitchen, delivery.kitchen_id)
    if kitchen is None:
        raise NotFound("Delivery")
    return kitchen


async def delivery_tag(session: AsyncSession, delivery: Delivery, kitchen: Any) -> str:
    """The ETag of a delivery as its GET gives it (the loader's If-Match compares it)."""
    if not isinstance(kitchen, Kitchen):
        kitchen = await kitchen_of(session, delivery)
    return tag_of(await to_public(session, delivery, kitchen), delivery.version)


async def list_deliveries(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    date_from: date | None,
    date_to: date | None,
    school_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[DeliveryPublic], str | None]:
    """A page of the kitchen's deliveries, optionally within service dates and of one school."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("`from` is after `to`", loc=["query", "from"])
    stmt = select(Delivery).where(Delivery.kitchen_id == kitchen.id)
    if date_from:
        stmt = stmt.where(Delivery.service_date >= date_from)
    if date_to:
        stmt = stmt.where(Delivery.service_date <= date_to)
    if school_id:
        stmt = stmt.where(Delivery.school_id == school_id)
    rows, cursor = await paginate(session, stmt, Delivery, page)
    return await to_public_many(session, kitchen, rows), cursor


# -- writing ---------------------------------------------------------------------------------


def _exists(existing: uuid.UUID | None, data: DeliveryCreate) -> DeliveryExists:
    return DeliveryExists(
        f"The school already has a {data.meal_type.value} delivery on {data.service_date}",
        extra={"delivery_id": str(existing)} if existing else None,
    )


async def create_delivery(
    session: AsyncSession, *, kitchen: Kitchen, data: DeliveryCreate
) -> DeliveryPublic:
    """Record a delivery leaving the kitchen: one per school, date and meal type; refused
    while the kitchen is suspended."""
    ensure_active(kitchen)
    school = await session.get(School, data.school_id)
    if school is None or school.kitchen_id != kitchen.id:
        raise SchoolNotInKitchen(
            "The school is not one this kitchen delivers to", loc=["body", "school_id"]
        )
    existing = (
        await session.exec(
            select(Delivery.id).where(
                Delivery.school_id == data.school_id,
                Delivery.service_date == data.service_date,
                Delivery.meal_type == data.meal_type.value,
            )
        )
    ).first()
    if existing is not None:
        raise _exists(existing, data)
    delivery = Delivery(
        kitchen_id=kitchen.id,
        school_id=data.school_id,
        service_date=data.service_date,
        meal_type=data.meal_type.value,
        portions=data.portions,
        departed_at=data.departed_at.astimezone(UTC),
    )
    _settle(delivery, kitchen)
    session.add(delivery)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent POST of the same delivery won the race
        raise _exists(None, data) from exc
    return await to_public(session, delivery, kitchen)


async def update_delivery(
    session: AsyncSession, *, delivery: Delivery, data: DeliveryUpdate
) -> DeliveryPublic:
    """Add to or correct a delivery; the fields sent replace the recorded ones. Allowed while
    the kitchen is suspended: food already on the road must still be accounted for."""
    kitchen = await kitchen_of(session, delivery)
    changes = data.model_dump(exclude_unset=True)
    for field in ("departed_at", "arrived_at", "consumption_started_at"):
        if field in changes:
            changes[field] = _utc(changes[field])
    for field, value in changes.items():
        setattr(delivery, field, value)
    _settle(delivery, kitchen)
    session.add(delivery)
    await session.flush()
    return await to_public(session, delivery, kitchen)


async def deliveries_of_school(
    session: AsyncSession, *, kitchen: Kitchen, school_id: uuid.UUID, day: date
) -> list[DeliveryPublic]:
    """A school's deliveries of one day, by meal type."""
    rows = (
        await session.exec(
            select(Delivery)
            .where(Delivery.school_id == school_id, Delivery.service_date == day)
            .order_by(col(Delivery.meal_type))
        )
    ).all()
    return await to_public_many(session, kitchen, rows)
