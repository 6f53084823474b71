"""Health report: the deliveries of a window, each with its cooking, hours and flags.

One row per delivery (school, date and meal type), with its kitchen's code and region and
the school's NPSN. The flags are the ones the kitchen's app shows (app/deliveries), from
the same rules; `minutes_to_consumption` is what the 4- and 6-hour rules measure.
"""

import uuid
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.localtime import local_today
from app.deliveries.models import DeliveryFlag
from app.deliveries.queries import deliveries_between
from app.deliveries.service import delivery_flags
from app.kitchens.queries import kitchens_in
from app.reports.formats import DataValue, dhis2_period, dhis2_value
from app.reports.paging import Key, Record, Report, after, as_text, statement_rows
from app.reports.window import Window
from app.schools.queries import school_codes

COLUMNS = (
    "id",
    "service_date",
    "kitchen_id",
    "kitchen_code",
    "region_code",
    "school_id",
    "npsn",
    "meal_type",
    "portions",
    "departed_at",
    "arrived_at",
    "received_by",
    "received_portions",
    "arrival_temp_c",
    "consumption_started_at",
    "cooked_at",
    "minutes_to_consumption",
    "flags",
    "notes",
    "created_at",
    "updated_at",
)
# DHIS2 data elements (by code) of a delivery; the school (NPSN) is the org unit and the
# meal type the category option combo.
ELEMENTS = {
    "portions": "MBG_DELIVERY_PORTIONS",
    "received_portions": "MBG_DELIVERY_RECEIVED",
    "minutes_to_consumption": "MBG_DELIVERY_MINUTES",
}
LATE_4H_ELEMENT = "MBG_DELIVERY_LATE_4H"
LATE_6H_ELEMENT = "MBG_DELIVERY_LATE_6H"
SHORT_ELEMENT = "MBG_DELIVERY_SHORT"
SHORT_PORTIONS_ELEMENT = "MBG_DELIVERY_SHORT_PORTIONS"
NOT_RECEIVED_ELEMENT = "MBG_DELIVERY_NOT_RECEIVED"


class DeliveryRow(BaseModel):
    """One delivery with its kitchen's code and region, its cooking, hours and flags."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                    "service_date": "2026-11-30",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "region_code": "32.73.01",
                    "school_id": "3f0c6a0e-8c1b-4a8e-9d57-0a4a3d7f6a11",
                    "npsn": "20219101",
                    "meal_type": "lunch",
                    "portions": 308,
                    "departed_at": "2026-11-30T02:40:00Z",
                    "arrived_at": "2026-11-30T03:05:00Z",
                    "received_by": "Ibu Ratna",
                    "received_portions": 300,
                    "arrival_temp_c": 63.5,
                    "consumption_started_at": "2026-11-30T05:10:00Z",
                    "cooked_at": "2026-11-29T22:30:00Z",
                    "minutes_to_consumption": 400,
                    "flags": ["over_4h", "over_6h", "short_delivery"],
                    "notes": None,
                    "created_at": "2026-11-30T02:41:00Z",
                    "updated_at": "2026-11-30T05:12:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    service_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    region_code: str
    school_id: uuid.UUID
    npsn: str
    meal_type: str
    portions: int
    departed_at: datetime
    arrived_at: datetime | None
    received_by: str | None
    received_portions: int | None
    arrival_temp_c: float | None
    consumption_started_at: datetime | None
    cooked_at: datetime | None
    minutes_to_consumption: int | None
    flags: list[DeliveryFlag]
    notes: str | None
    created_at: datetime
    updated_at: datetime


def minutes_to_consumption(row: Record) -> int | None:
    """Whole minutes from the end of cooking to the start of eating (else arrival)."""
    end = row["consumption_started_at"] or row["arrived_at"]
    if row["cooked_at"] is None or end is None:
        return None
    return int((end - row["cooked_at"]).total_seconds() // 60)


def deliveries_report(*, window: Window, updated_since: datetime | None = None) -> Report:
    """The deliveries of the window by date, region, kitchen code, NPSN and meal type."""
    deliveries = deliveries_between(
        window.date_from, window.date_to, updated_since=updated_since
    ).subquery("deliveries")
    kitchens = kitchens_in(window.region_code).subquery("kitchens")
    schools = school_codes().subquery("schools")
    order = (
        deliveries.c.service_date,
        kitchens.c.region_code,
        kitchens.c.kitchen_code,
        schools.c.npsn,
        deliveries.c.meal_type,
    )

    async def produce(
        session: AsyncSession, start: Key | None, limit: int | None
    ) -> AsyncGenerator[Record, None]:
        stmt = (
            select(
                deliveries,
                kitchens.c.kitchen_code,
                kitchens.c.region_code,
                kitchens.c.timezone,
                schools.c.npsn,
            )
            .join_from(deliveries, kitchens, kitchens.c.kitchen_id == deliveries.c.kitchen_id)
            .join(schools, schools.c.school_id == deliveries.c.school_id)
            .order_by(*order)
        )
        if start is not None:
            stmt = stmt.where(after(order, start))
        todays: dict[str, date] = {}
        async with aclosing(statement_rows(session, stmt, limit=limit)) as rows:
            async for r in rows:
                row = dict(r._mapping)
                today = todays.get(row["timezone"])
                if today is None:
                    today = todays[row["timezone"]] = local_today(row["timezone"])
                row["flags"] = delivery_flags(
                    row,
                    cooked_at=row["cooked_at"],
                    has_check=row["first_cooked_at"] is not None,
                    today=today,
                )
                row["minutes_to_consumption"] = minutes_to_consumption(row)
                yield {name: row[name] for name in COLUMNS}

    return Report(
        name="deliveries",
        columns=COLUMNS,
        key=(
            ("service_date", date.fromisoformat),
            ("region_code", as_text),
            ("kitchen_code", as_text),
            ("npsn", as_text),
            ("meal_type", as_text),
        ),
        produce=produce,
    )


def dhis2_values(row: Record) -> Iterator[DataValue]:
    """The DHIS2 data values of one delivery: portions sent and received, minutes from
    cooking to eating, and 1/0 for late (4 h, 6 h), short and not received. A value that
    is not known yet (no arrival, no cooking record) is left out."""

    def value(element: str, value: Any) -> DataValue:
        return {
            "dataElement": element,
            "period": dhis2_period(row["service_date"]),
            "orgUnit": row["npsn"],
            "categoryOptionCombo": row["meal_type"],
            "value": dhis2_value(value),
        }

    for field, element in ELEMENTS.items():
        if row[field] is not None:
            yield value(element, row[field])
    flags = set(row["flags"])
    if row["minutes_to_consumption"] is not None:
        yield value(LATE_4H_ELEMENT, int(DeliveryFlag.over_4h in flags))
        yield value(LATE_6H_ELEMENT, int(DeliveryFlag.over_6h in flags))
    if row["received_portions"] is not None:
        yield value(SHORT_ELEMENT, int(DeliveryFlag.short_delivery in flags))
        yield value(SHORT_PORTIONS_ELEMENT, max(0, row["portions"] - row["received_portions"]))
    received = row["arrived_at"] or row["consumption_started_at"]
    if received is not None or DeliveryFlag.not_received in flags:
        yield value(NOT_RECEIVED_ELEMENT, int(DeliveryFlag.not_received in flags))
