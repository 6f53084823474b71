"""Health report: the nutrition of approved menus, one row per menu and target group.

Each row is one group of the check stored when the menu was approved, with the portions
that group was served that day.
"""

import uuid
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Row, and_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.kitchens.queries import kitchens_in
from app.mealcounts.queries import served_by_group
from app.menus.queries import approved_between, checked_groups, group_rank
from app.nutrition.models import NUTRIENTS
from app.reports.formats import DataValue, dhis2_period, dhis2_value
from app.reports.paging import Key, Record, Report, after, as_int, as_text, statement_rows
from app.reports.window import Window

COLUMNS = (
    "service_date",
    "kitchen_id",
    "kitchen_code",
    "region_code",
    "menu_id",
    "meal_type",
    "target_group",
    *NUTRIENTS,
    "energy_share",
    "protein_share",
    "status",
    "override_reason",
    "portions_served",
)
# DHIS2 data elements (by code): per-portion values of approved menus.
ELEMENTS = {
    **{name: f"MBG_{name.upper()}" for name in NUTRIENTS},
    "energy_share": "MBG_ENERGY_SHARE",
    "protein_share": "MBG_PROTEIN_SHARE",
}
CHECK_PASSED_ELEMENT = "MBG_CHECK_PASSED"


class NutritionRow(BaseModel):
    """One approved menu's check result for one target group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_date": "2026-11-30",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "region_code": "32.73.01",
                    "menu_id": "0f6a3c55-7d8e-4b7e-a1f2-3c4d5e6f7a8b",
                    "meal_type": "lunch",
                    "target_group": "7-9",
                    "energy_kcal": 560.0,
                    "protein_g": 21.5,
                    "fat_g": 15.2,
                    "carbohydrate_g": 82.0,
                    "fiber_g": 6.1,
                    "calcium_mg": 180.0,
                    "iron_mg": 3.4,
                    "vitamin_a_mcg": 210.0,
                    "vitamin_c_mg": 18.0,
                    "sodium_mg": 420.0,
                    "energy_share": 0.3394,
                    "protein_share": 0.5375,
                    "status": "pass",
                    "override_reason": None,
                    "portions_served": 118,
                }
            ]
        }
    )

    service_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    region_code: str
    menu_id: uuid.UUID
    meal_type: str
    target_group: str
    energy_kcal: float | None
    protein_g: float | None
    fat_g: float | None
    carbohydrate_g: float | None
    fiber_g: float | None
    calcium_mg: float | None
    iron_mg: float | None
    vitamin_a_mcg: float | None
    vitamin_c_mg: float | None
    sodium_mg: float | None
    energy_share: float | None
    protein_share: float | None
    status: str
    override_reason: str | None
    portions_served: int | None


def nutrition_report(*, window: Window, updated_since: datetime | None = None) -> Report:
    """One row per approved menu and target group of the check stored at its approval."""

    async def produce(
        session: AsyncSession, start: Key | None, _limit: int | None
    ) -> AsyncGenerator[Record, None]:
        # One statement per day, in date order: each sorts one day's rows, so the stream
        # starts at once and no statement outlives the timeout however long the window
        # (the whole window as one statement sorted a nation's rows before the first one).
        # A menu gives a row per group of its check, not per SQL row: pages stream too.
        day = start[0] if start is not None else window.date_from
        while day <= window.date_to:
            async with aclosing(_day_rows(session, window, day, updated_since, start)) as rows:
                async for row in rows:
                    yield row
            start, day = None, day + timedelta(days=1)

    return Report(
        name="nutrition",
        columns=COLUMNS,
        key=(
            ("service_date", date.fromisoformat),
            ("region_code", as_text),
            ("kitchen_code", as_text),
            ("meal_type", as_text),
            ("target_group", as_text),
        ),
        produce=produce,
    )


async def _day_rows(
    session: AsyncSession,
    window: Window,
    day: date,
    updated_since: datetime | None,
    start: Key | None,
) -> AsyncGenerator[Record, None]:
    menus = approved_between(day, day, updated_since=updated_since).subquery("menus")
    kitchens = kitchens_in(window.region_code).subquery("kitchens")
    served = served_by_group(day, day).subquery("served")
    menu_key = (
        menus.c.service_date,
        kitchens.c.region_code,
        kitchens.c.kitchen_code,
        menus.c.meal_type,
    )
    stmt = (
        select(
            menus.c.menu_id,
            menus.c.service_date,
            menus.c.meal_type,
            menus.c.approval_check,
            menus.c.override_reason,
            kitchens.c.kitchen_id,
            kitchens.c.kitchen_code,
            kitchens.c.region_code,
            served.c.target_group.label("served_group"),
            served.c.served,
        )
        .join_from(menus, kitchens, kitchens.c.kitchen_id == menus.c.kitchen_id)
        .outerjoin(
            served,
            and_(
                served.c.kitchen_id == menus.c.kitchen_id,
                served.c.service_date == menus.c.service_date,
            ),
        )
        .order_by(*menu_key, menus.c.menu_id, served.c.target_group)
    )
    if start is not None:
        # The cursor's menu may have rows left: restart at it, skip what was sent.
        stmt = stmt.where(after(menu_key, start[:4], inclusive=True))
    menu: list[Row[Any]] = []  # the SQL rows of one menu: at most one per served group
    async with aclosing(statement_rows(session, stmt, limit=None)) as rows:
        async for row in rows:
            if menu and row.menu_id != menu[0].menu_id:
                for record in _menu_records(menu, start):
                    yield record
                menu = []
            menu.append(row)
    for record in _menu_records(menu, start):
        yield record


def _menu_records(menu: list[Row[Any]], start: Key | None) -> Iterator[Record]:
    """The rows of one menu's stored check, after the cursor's row when it is this menu."""
    if not menu:
        return
    first = menu[0]
    served = {r.served_group: r.served for r in menu if r.served_group}
    for group in checked_groups(first.approval_check):
        row = {
            "service_date": first.service_date,
            "kitchen_id": first.kitchen_id,
            "kitchen_code": first.kitchen_code,
            "region_code": first.region_code,
            "menu_id": first.menu_id,
            "meal_type": first.meal_type,
            "target_group": group.target_group,
            **group.values,
            "energy_share": group.energy_share,
            "protein_share": group.protein_share,
            "status": group.status,
            "override_reason": first.override_reason,
            "portions_served": as_int(served.get(group.target_group)),
        }
        if start is None or not _sent_already(row, start):
            yield row


def _sent_already(row: Record, start: Key) -> bool:
    menu = (row["service_date"], row["region_code"], row["kitchen_code"], row["meal_type"])
    return menu == start[:4] and group_rank(row["target_group"]) <= group_rank(start[4])


def dhis2_values(row: Record) -> Iterator[DataValue]:
    """The DHIS2 data values of one row; the meal type is the attribute option combo, so a
    kitchen's lunch and snack of one day do not overwrite each other."""

    def value(element: str, value: Any) -> DataValue:
        return {
            "dataElement": element,
            "period": dhis2_period(row["service_date"]),
            "orgUnit": row["kitchen_code"],
            "categoryOptionCombo": row["target_group"],
            "attributeOptionCombo": row["meal_type"],
            "value": dhis2_value(value),
        }

    for field, element in ELEMENTS.items():
        if row[field] is not None:
            yield value(element, row[field])
    if row["status"] is not None:
        yield value(CHECK_PASSED_ELEMENT, row["status"] == "pass")
