"""Agriculture report: ingredient demand in kg per period, region and commodity (or food)."""

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, case, distinct, func, literal, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.localtime import iso_week
from app.core.regions import LEVEL_LENGTH
from app.foods.queries import food_facts
from app.kitchens.queries import kitchens_in
from app.mealcounts.queries import portions_eaten
from app.menus.queries import menus_between, portion_factors, standard_portion_grams
from app.prices.queries import resolved_prices
from app.reports.paging import Key, Parser, Record, Report, after, as_text, statement_rows
from app.reports.window import Window

# Menus whose ingredients count as demand: still being planned, or approved.
DEMAND_STATUSES = ("draft", "approved")
KG_PLACES = Decimal("0.001")


class Period(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class DemandBy(StrEnum):
    commodity = "commodity"
    food = "food"


class RegionLevel(StrEnum):
    province = "province"
    regency = "regency"
    district = "district"


class DemandRow(BaseModel):
    """Ingredient demand of one period and region, by commodity (or by food)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-W49",
                    "region_code": "32.73",
                    "commodity": "beras",
                    "edible_kg": 412.5,
                    "purchase_kg": 412.5,
                    "portions": 5500,
                    "kitchens": 3,
                    "value_idr": 5477999,
                }
            ]
        }
    )

    period: str
    region_code: str
    commodity: str
    food_code: str | None = None
    food_name: str | None = None
    edible_kg: float
    purchase_kg: float
    portions: int
    kitchens: int
    value_idr: int | None = Field(
        description="Whole rupiah: purchase kg x the price that applies to each kitchen and "
        "date, summed; null when any of them has no price"
    )


def period_label(day: date, period: Period) -> str:
    """The label of the period holding `day`: `2026-11-28`, ISO week `2026-W48`, `2026-11`."""
    if period is Period.day:
        return day.isoformat()
    if period is Period.week:
        return iso_week(day)[2]
    return f"{day.year}-{day.month:02d}"


def period_spans(start: date, end: date, period: Period) -> list[tuple[date, date, str]]:
    """The periods covering start..end, clipped to it: (first day, last day, label)."""
    spans = []
    day = start
    while day <= end:
        if period is Period.day:
            last = day
        elif period is Period.week:
            last = iso_week(day)[1]
        else:
            next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            last = next_month - timedelta(days=1)
        last = min(last, end)
        spans.append((day, last, period_label(day, period)))
        day = last + timedelta(days=1)
    return spans


def _period_of(column: Any, window: Window, period: Period) -> Any:
    """SQL for a date's period label. Weeks and months are a CASE over the window's
    (at most 54) spans, labelled in Python, so ISO years are right on every database."""
    if period is Period.day:
        return column
    spans = period_spans(window.date_from, window.date_to, period)
    return case(*((and_(column >= s, column <= e), literal(label)) for s, e, label in spans))


def demand_columns(by: DemandBy) -> tuple[str, ...]:
    """The fields of a demand row (the CSV header)."""
    food = ("food_code", "food_name") if by is DemandBy.food else ()
    return (
        "period",
        "region_code",
        "commodity",
        *food,
        "edible_kg",
        "purchase_kg",
        "portions",
        "kitchens",
        "value_idr",
    )


def demand_report(
    *, window: Window, period: Period, by: DemandBy, region_level: RegionLevel
) -> Report:
    """Ingredient demand per period, region (cut to `region_level`) and commodity or food.

    Per menu (draft or approved) each school and target group eats the portions the meal
    counts give (app/mealcounts/queries.py). A menu's edible grams of a food are the sum
    over groups of portions x factor x the grams of the food in one standard portion; a
    cooked ingredient counts as its raw food (grams ÷ cooked yield: app/recipes/queries.py),
    with the raw food's commodity, code, name and edible portion. Purchase grams divide
    each food's by its edible portion; their value is purchase kg x the price that applies
    to the menu's kitchen and date (app/prices/queries.py).
    """
    period_parser: Parser = date.fromisoformat if period is Period.day else as_text
    key: list[tuple[str, Parser]] = [
        ("period", period_parser),
        ("region_code", as_text),
        ("commodity", as_text),
    ]
    if by is DemandBy.food:
        key.append(("food_code", as_text))
    query = demand_query(window=window, period=period, by=by, region_level=region_level)

    async def produce(
        session: AsyncSession, start: Key | None, limit: int | None
    ) -> AsyncGenerator[Record, None]:
        stmt = query
        if start is not None:
            sub = stmt.subquery("demand")
            keys = [sub.c[field] for field, _ in key]
            stmt = select(sub).where(after(keys, start)).order_by(*keys)
        async with aclosing(statement_rows(session, stmt, limit=limit)) as rows:
            async for r in rows:
                row: Record = {
                    "period": r.period if isinstance(r.period, str) else r.period.isoformat(),
                    "region_code": r.region_code,
                    "commodity": r.commodity,
                }
                if by is DemandBy.food:
                    row |= {"food_code": r.food_code, "food_name": r.food_name}
                yield row | {
                    "edible_kg": _kg(r.edible_g),
                    "purchase_kg": _kg(r.purchase_g),
                    "portions": int(r.portions),
                    "kitchens": int(r.kitchens),
                    "value_idr": _rupiah(r.value_g, r.unpriced),
                }

    return Report(
        name=f"demand:{period.value}:{by.value}:{region_level.value}",
        columns=demand_columns(by),
        key=tuple(key),
        produce=produce,
    )


def _rupiah(gram_rupiah: Any, unpriced: Any) -> int | None:
    """Σ purchase grams x price per kg, in whole rupiah (halves away from zero); None when
    any purchase of the row has no price."""
    if unpriced:
        return None
    value = Decimal(repr(float(gram_rupiah or 0) / 1000))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _kg(grams: Any) -> float:
    """Grams summed at full precision, reported in kg to 3 decimals, halves away from zero."""
    kg = Decimal(repr(float(grams or 0) / 1000))
    return float(kg.quantize(KG_PLACES, rounding=ROUND_HALF_UP))


def demand_query(
    *, window: Window, period: Period, by: DemandBy, region_level: RegionLevel
) -> Select[Any]:
    """The whole demand aggregate as one statement of CTEs, ordered as the report."""
    in_range = menus_between(window.date_from, window.date_to, statuses=DEMAND_STATUSES).subquery(
        "menus_in_range"
    )
    kitchens = kitchens_in(window.region_code).subquery("kitchens")
    # The menus that count, with their period label and region cut to the level. Both are
    # computed once here so later GROUP BYs name plain columns (PostgreSQL cannot match a
    # grouped expression that carries bound parameters).
    menus = (
        select(
            in_range.c.menu_id,
            in_range.c.kitchen_id,
            in_range.c.service_date,
            _period_of(in_range.c.service_date, window, period).label("period"),
            func.substr(kitchens.c.region_code, 1, LEVEL_LENGTH[region_level]).label("region_code"),
        )
        .join_from(in_range, kitchens, kitchens.c.kitchen_id == in_range.c.kitchen_id)
        .cte("demand_menus")
    )
    days = select(menus.c.kitchen_id, menus.c.service_date).distinct().cte("demand_days")
    # One row per kitchen, day and group before the factors are looked up.
    group_portions = portions_eaten(days).subquery("demand_group_portions")
    factors = portion_factors().subquery("demand_factors")
    menu_portions = (
        select(
            menus.c.menu_id,
            func.sum(group_portions.c.portions).label("portions"),
            func.sum(group_portions.c.portions * func.coalesce(factors.c.factor, 1.0)).label(
                "weighted"
            ),
        )
        .select_from(menus)
        .join(
            group_portions,
            and_(
                group_portions.c.kitchen_id == menus.c.kitchen_id,
                group_portions.c.service_date == menus.c.service_date,
            ),
        )
        .outerjoin(
            factors,
            and_(
                factors.c.menu_id == menus.c.menu_id,
                factors.c.target_group == group_portions.c.target_group,
            ),
        )
        .group_by(menus.c.menu_id)
        .cte("demand_menu_portions")
    )
    # Edible grams of each food bought for one standard portion of the menu (a cooked
    # ingredient counts as its raw food), and the price of the food for the menu's kitchen
    # and date.
    menu_food = standard_portion_grams(select(menus.c.menu_id)).cte("demand_menu_food")
    needs = (
        select(menus.c.kitchen_id, menus.c.service_date, menu_food.c.food_id)
        .join_from(menus, menu_food, menu_food.c.menu_id == menus.c.menu_id)
        .distinct()
        .subquery("demand_needs")
    )
    prices = resolved_prices(needs).subquery("demand_prices")
    foods = food_facts().subquery("demand_foods")
    item_key: list[Any] = [foods.c.commodity]
    if by is DemandBy.food:
        item_key += [foods.c.food_code, foods.c.food_name]
    edible = menu_portions.c.weighted * menu_food.c.grams
    purchase = edible * 100.0 / foods.c.edible_portion_pct
    # One row per menu and commodity (or food), so a menu's portions count once per row.
    per_menu = (
        select(
            menus.c.menu_id,
            menus.c.kitchen_id,
            menus.c.period,
            menus.c.region_code,
            *item_key,
            menu_portions.c.portions,
            func.sum(edible).label("edible_g"),
            func.sum(purchase).label("purchase_g"),
            func.sum(purchase * prices.c.price_per_kg).label("value_g"),
            func.sum(case((prices.c.price_per_kg.is_(None), 1), else_=0)).label("unpriced"),
        )
        .select_from(menus)
        .join(menu_portions, menu_portions.c.menu_id == menus.c.menu_id)
        .join(menu_food, menu_food.c.menu_id == menus.c.menu_id)
        .join(foods, foods.c.food_id == menu_food.c.food_id)
        .outerjoin(
            prices,
            and_(
                prices.c.kitchen_id == menus.c.kitchen_id,
                prices.c.service_date == menus.c.service_date,
                prices.c.food_id == menu_food.c.food_id,
            ),
        )
        .group_by(
            menus.c.menu_id,
            menus.c.kitchen_id,
            menus.c.period,
            menus.c.region_code,
            *item_key,
            menu_portions.c.portions,
        )
        .subquery("demand_per_menu")
    )
    keys = [per_menu.c.period, per_menu.c.region_code, per_menu.c.commodity]
    if by is DemandBy.food:
        keys += [per_menu.c.food_code, per_menu.c.food_name]
    return (
        select(
            *keys,
            func.sum(per_menu.c.edible_g).label("edible_g"),
            func.sum(per_menu.c.purchase_g).label("purchase_g"),
            func.sum(per_menu.c.portions).label("portions"),
            func.count(distinct(per_menu.c.kitchen_id)).label("kitchens"),
            func.sum(per_menu.c.value_g).label("value_g"),
            func.sum(per_menu.c.unpriced).label("unpriced"),
        )
        .group_by(*keys)
        .order_by(*keys)
    )
