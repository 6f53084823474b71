"""Health report: meal counts summed per date and target group, by school, kitchen or region."""

import uuid
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.kitchens.queries import kitchens_in
from app.mealcounts.queries import COUNT_FIELDS, counts_between
from app.reports.formats import DataValue, dhis2_period, dhis2_value
from app.reports.paging import (
    Key,
    Parser,
    Record,
    Report,
    after,
    as_int,
    as_text,
    statement_rows,
)
from app.reports.window import Window
from app.schools.queries import school_codes


class MealCountLevel(StrEnum):
    school = "school"
    kitchen = "kitchen"
    region = "region"


class MealCountRow(BaseModel):
    """Meal counts summed at one level; the fields of finer levels are left out."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_date": "2026-11-30",
                    "region_code": "32.73.01",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "target_group": "7-9",
                    "planned": 240,
                    "prepared": 236,
                    "served": 231,
                    "returned": 4,
                }
            ]
        }
    )

    service_date: date
    region_code: str
    kitchen_id: uuid.UUID | None = None
    kitchen_code: str | None = None
    school_id: uuid.UUID | None = None
    npsn: str | None = None
    target_group: str
    planned: int | None
    prepared: int | None
    served: int | None
    returned: int | None


COLUMNS = {
    MealCountLevel.school: (
        "service_date",
        "region_code",
        "kitchen_id",
        "kitchen_code",
        "school_id",
        "npsn",
        "target_group",
        *COUNT_FIELDS,
    ),
    MealCountLevel.kitchen: (
        "service_date",
        "region_code",
        "kitchen_id",
        "kitchen_code",
        "target_group",
        *COUNT_FIELDS,
    ),
    MealCountLevel.region: ("service_date", "region_code", "target_group", *COUNT_FIELDS),
}
# DHIS2 data elements (by code) of the four counts, and the org unit of each level.
ELEMENTS = {
    "planned": "MBG_PLANNED",
    "prepared": "MBG_PREPARED",
    "served": "MBG_SERVED",
    "returned": "MBG_RETURNED",
}
ORG_UNIT = {
    MealCountLevel.school: "npsn",
    MealCountLevel.kitchen: "kitchen_code",
    MealCountLevel.region: "region_code",
}


def meal_counts_report(
    *, window: Window, group_by: MealCountLevel, updated_since: datetime | None = None
) -> Report:
    """Planned, prepared, served and returned counts summed per date, level and group.

    SUM skips unknown (null) counts; a sum over nothing but unknown counts stays null.
    With `updated_since`, only sums holding a count reported at or after it (a PUT
    rewrites every count of its day, so a re-reported day comes back whole).
    """
    counts = counts_between(window.date_from, window.date_to).subquery("counts")
    kitchens = kitchens_in(window.region_code).subquery("kitchens")
    schools = school_codes().subquery("schools")
    identity: list[Any] = [counts.c.service_date, kitchens.c.region_code]
    key: list[tuple[str, Parser]] = [("service_date", date.fromisoformat), ("region_code", as_text)]
    order: list[Any] = [counts.c.service_date, kitchens.c.region_code]
    if group_by is not MealCountLevel.region:
        identity += [kitchens.c.kitchen_id, kitchens.c.kitchen_code]
        key.append(("kitchen_code", as_text))
        order.append(kitchens.c.kitchen_code)
    if group_by is MealCountLevel.school:
        identity += [schools.c.school_id, schools.c.npsn]
        key.append(("npsn", as_text))
        order.append(schools.c.npsn)
    identity.append(counts.c.target_group)
    key.append(("target_group", as_text))
    order.append(counts.c.target_group)
    sums = [func.sum(counts.c[f]).label(f) for f in COUNT_FIELDS]

    async def produce(
        session: AsyncSession, start: Key | None, limit: int | None
    ) -> AsyncGenerator[Record, None]:
        stmt = (
            select(*identity, *sums)
            .join_from(counts, kitchens, kitchens.c.kitchen_id == counts.c.kitchen_id)
            .group_by(*identity)
            .order_by(*order)
        )
        if group_by is MealCountLevel.school:
            stmt = stmt.join(schools, schools.c.school_id == counts.c.school_id)
        if updated_since is not None:
            stmt = stmt.having(func.max(counts.c.updated_at) >= updated_since)
        if start is not None:
            # The key columns are grouping columns, so filtering rows filters whole groups.
            stmt = stmt.where(after(order, start))
        async with aclosing(statement_rows(session, stmt, limit=limit)) as rows:
            async for r in rows:
                row = dict(r._mapping)
                yield {**row, **{f: as_int(row[f]) for f in COUNT_FIELDS}}

    return Report(
        name=f"meal-counts:{group_by.value}",
        columns=COLUMNS[group_by],
        key=tuple(key),
        produce=produce,
    )


def dhis2_values(row: Record, level: MealCountLevel) -> Iterator[DataValue]:
    """The DHIS2 data values of one row; unknown (null) counts are left out."""
    for field, element in ELEMENTS.items():
        if row[field] is not None:
            yield {
                "dataElement": element,
                "period": dhis2_period(row["service_date"]),
                "orgUnit": row[ORG_UNIT[level]],
                "categoryOptionCombo": row["target_group"],
                "value": dhis2_value(row[field]),
            }
