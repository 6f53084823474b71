"""Food prices: recording them (admin: national and regional; a kitchen's managers: the
kitchen's own), listing them, and the price list of a kitchen on a date."""

import uuid
from datetime import date
from importlib.resources import files

from sqlalchemy import ColumnElement, Uuid, literal, true
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal, Role
from app.core.db import table_of
from app.core.errors import Conflict, NotFound, RoleForbidden
from app.core.pagination import PageParams, paginate
from app.foods.models import Food
from app.foods.service import UnknownFood
from app.kitchens.access import touch_kitchen, touch_reference, visible
from app.kitchens.models import Kitchen
from app.kitchens.service import scope_filter
from app.prices.importer import PriceRow, parse_prices
from app.prices.models import (
    FoodPrice,
    FoodPriceCreate,
    FoodPricePublic,
    PriceSource,
    ResolvedPrice,
)
from app.prices.queries import resolved_prices

_foods = table_of(Food)


class FoodPriceExists(Conflict):
    code = "food_price_exists"
    description = (
        "The food already has a price of this scope from this date (`price_id` names it); "
        "record a correction from a later date"
    )


class ReferencePriceForbidden(RoleForbidden):
    """Only admin records national and regional prices (kitchen managers: their own)."""

    def __init__(self) -> None:
        super().__init__(
            "Only admin records national and regional prices; a kitchen's managers record "
            "the kitchen's own (kitchen_id)"
        )


def scope_of(price: FoodPrice) -> PriceSource:
    """Whether a price is a kitchen's own, regional or national."""
    if price.kitchen_id is not None:
        return PriceSource.kitchen
    if price.region_code is not None:
        return PriceSource.region
    return PriceSource.national


def to_public(price: FoodPrice) -> FoodPricePublic:
    """The API shape of a price."""
    return FoodPricePublic(
        id=price.id,
        food_id=price.food_id,
        price_per_kg=price.price_per_kg,
        valid_from=price.valid_from,
        region_code=price.region_code,
        kitchen_id=price.kitchen_id,
        scope=scope_of(price),
        note=price.note,
        created_at=price.created_at,
        updated_at=price.updated_at,
    )


def _same_key(data: FoodPriceCreate) -> ColumnElement[bool]:
    """SQL for the price of the same food, scope and first day as `data`."""
    key = (
        col(FoodPrice.food_id) == data.food_id,
        col(FoodPrice.valid_from) == data.valid_from,
        col(FoodPrice.kitchen_id).is_(None)
        if data.kitchen_id is None
        else col(FoodPrice.kitchen_id) == data.kitchen_id,
        col(FoodPrice.region_code).is_(None)
        if data.region_code is None
        else col(FoodPrice.region_code) == data.region_code,
    )
    clause: ColumnElement[bool] = true()
    for part in key:
        clause = clause & part
    return clause


async def _kitchen_to_write(
    session: AsyncSession, principal: Principal, kitchen_id: uuid.UUID
) -> Kitchen:
    """The kitchen a price is recorded for, locked (writes to a kitchen take turns on its
    row) and counted in its data version; 404 outside the caller's scope."""
    kitchen = (
        await session.exec(select(Kitchen).where(col(Kitchen.id) == kitchen_id).with_for_update())
    ).first()
    if kitchen is None or not visible(principal, kitchen):
        raise NotFound("Kitchen")
    await touch_kitchen(session, kitchen)
    return kitchen


async def create_price(
    session: AsyncSession, *, principal: Principal, data: FoodPriceCreate
) -> FoodPrice:
    """Record a price. A kitchen's own price is a write to the kitchen's data; a national or
    regional one (admin only) a write to the reference data every kitchen reads."""
    if data.kitchen_id is not None:
        await _kitchen_to_write(session, principal, data.kitchen_id)
    elif principal.role is not Role.admin:
        raise ReferencePriceForbidden()
    if await session.get(Food, data.food_id) is None:
        raise UnknownFood(f"Food {data.food_id} does not exist", loc=["body", "food_id"])
    existing = (await session.execute(select(FoodPrice.id).where(_same_key(data)))).scalar()
    if existing is not None:
        raise _exists(data, existing)
    price = FoodPrice(**data.model_dump())
    session.add(price)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same key won the race
        raise _exists(data, None) from exc
    if data.kitchen_id is None:
        await touch_reference(session)
    return price


def _exists(data: FoodPriceCreate, price_id: uuid.UUID | None) -> FoodPriceExists:
    return FoodPriceExists(
        f"The food already has a price of this scope from {data.valid_from.isoformat()}",
        extra={"price_id": str(price_id)} if price_id is not None else None,
    )


async def list_prices(
    session: AsyncSession,
    *,
    principal: Principal,
    food_id: uuid.UUID | None,
    region_code: str | None,
    kitchen_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[FoodPrice], str | None]:
    """Prices the caller may read, oldest recorded first: national and regional ones, and
    the own prices of kitchens in the caller's scope. `kitchen_id` keeps that kitchen's own
    (404 outside the caller's scope), `region_code` the regional prices of that region."""
    stmt = select(FoodPrice)
    if principal.role is not Role.admin:
        kitchens_in_scope = select(Kitchen.id).where(scope_filter(principal))
        stmt = stmt.where(
            col(FoodPrice.kitchen_id).is_(None) | col(FoodPrice.kitchen_id).in_(kitchens_in_scope)
        )
    if kitchen_id is not None:
        kitchen = await session.get(Kitchen, kitchen_id)
        if kitchen is None or not visible(principal, kitchen):
            raise NotFound("Kitchen")
        stmt = stmt.where(col(FoodPrice.kitchen_id) == kitchen_id)
    if region_code is not None:
        stmt = stmt.where(col(FoodPrice.region_code) == region_code)
    if food_id is not None:
        stmt = stmt.where(col(FoodPrice.food_id) == food_id)
    return await paginate(session, stmt, FoodPrice, page)


async def kitchen_prices(
    session: AsyncSession, *, kitchen: Kitchen, day: date, page: PageParams
) -> tuple[list[ResolvedPrice], str | None]:
    """A page of every food (in the order they were added) with the price that applies to
    the kitchen on `day`; foods without one have `price_per_kg` null."""
    foods, cursor = await paginate(session, select(Food), Food, page)
    prices: dict[uuid.UUID, tuple[int, str, date]] = {}
    if foods:
        f = _foods.c
        needs = (
            core_select(
                literal(kitchen.id, type_=Uuid()).label("kitchen_id"),
                literal(day).label("service_date"),
                f.id.label("food_id"),
            )
            .where(f.id.in_([food.id for food in foods]))
            .subquery("needs")
        )
        for row in await session.execute(resolved_prices(needs)):
            prices[row.food_id] = (row.price_per_kg, row.source, row.valid_from)
    items = []
    for food in foods:
        found = prices.get(food.id)
        items.append(
            ResolvedPrice(
                food_id=food.id,
                food_code=food.code,
                food_name=food.name,
                price_per_kg=found[0] if found else None,
                source=PriceSource(found[1]) if found else None,
                valid_from=found[2] if found else None,
            )
        )
    return items, cursor


REFERENCE_PRICES = "reference_prices.csv"


def reference_price_rows() -> list[PriceRow]:
    """The national price list shipped with Dapur (app/prices/data/reference_prices.csv):
    partly cited Panel Harga Pangan averages, partly illustrative (each row's note says
    which; docs/costs.md)."""
    text = files("app.prices").joinpath("data", REFERENCE_PRICES).read_text(encoding="utf-8")
    rows, rejected, _ = parse_prices(text.splitlines())
    if rejected:
        raise ValueError(f"{REFERENCE_PRICES}: {rejected}")
    return rows


async def seed_reference_prices(session: AsyncSession) -> int:
    """Record the shipped national prices that are missing (for the demo world); how many."""
    rows = reference_price_rows()
    foods = dict(
        (
            await session.exec(
                select(Food.code, Food.id).where(col(Food.code).in_({r.food_code for r in rows}))
            )
        ).all()
    )
    national = await session.execute(
        core_select(col(FoodPrice.food_id), col(FoodPrice.valid_from)).where(
            col(FoodPrice.kitchen_id).is_(None), col(FoodPrice.region_code).is_(None)
        )
    )
    have = {(food_id, day) for food_id, day in national}
    added = 0
    for row in rows:
        food_id = foods.get(row.food_code)
        if food_id is None or (food_id, row.valid_from) in have:
            continue
        session.add(
            FoodPrice(
                food_id=food_id,
                price_per_kg=row.price_per_kg,
                valid_from=row.valid_from,
                note=row.note,
            )
        )
        added += 1
    if added:
        await session.flush()
        await touch_reference(session)
    return added
