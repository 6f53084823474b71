"""Health report: every kitchen of a region with its hygiene certificate, status and load.

One row per kitchen, by region and kitchen code, so a district sees at a glance which
kitchens cook without a valid certificate, which are suspended, and which plan more
portions than their capacity on the day. The day is each kitchen's own today (its time
zone), or the `date` asked for.
"""

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Date, and_, case, literal, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.localtime import local_today
from app.deliveries.queries import planned_portions
from app.kitchens.models import HygieneStatus, KitchenStatus, hygiene_status
from app.kitchens.queries import kitchen_oversight_in, timezones_in
from app.reports.paging import Key, Record, Report, after, as_int, as_text, statement_rows

COLUMNS = (
    "kitchen_id",
    "kitchen_code",
    "name",
    "region_code",
    "hygiene_status",
    "status",
    "capacity_per_day",
    "certificate_number",
    "certificate_expires_on",
    "date",
    "planned_portions",
    "over_capacity",
)


class KitchenRow(BaseModel):
    """One kitchen as its health office oversees it, on one day."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "name": "SPPG Bandung Wetan",
                    "region_code": "32.73.11",
                    "hygiene_status": "expiring",
                    "status": "active",
                    "capacity_per_day": 3000,
                    "certificate_number": "SLHS/3273/0412/2024",
                    "certificate_expires_on": "2026-12-20",
                    "date": "2026-11-30",
                    "planned_portions": 3210,
                    "over_capacity": True,
                }
            ]
        }
    )

    kitchen_id: uuid.UUID
    kitchen_code: str
    name: str
    region_code: str
    hygiene_status: HygieneStatus
    status: KitchenStatus
    capacity_per_day: int | None
    certificate_number: str | None
    certificate_expires_on: date | None
    date: date
    planned_portions: int
    over_capacity: bool


def kitchens_report(*, region_code: str | None, day: date | None) -> Report:
    """The kitchens of a region with hygiene status and planned portions on `day` (None:
    each kitchen's own today)."""
    kitchens = kitchen_oversight_in(region_code).subquery("kitchens")
    order = (kitchens.c.region_code, kitchens.c.kitchen_code)

    async def produce(
        session: AsyncSession, start: Key | None, limit: int | None
    ) -> AsyncGenerator[Record, None]:
        if day is not None:
            the_day: Any = literal(day, Date)
        else:
            # Each kitchen's today, from its time zone: a handful of zones, one CASE.
            zones = (await session.execute(timezones_in(region_code))).scalars().all()
            fallback = literal(local_today("Asia/Jakarta"), Date)
            the_day = (
                case(
                    *((kitchens.c.timezone == z, literal(local_today(z), Date)) for z in zones),
                    else_=fallback,
                )
                if zones
                else fallback  # no kitchen in the region: a CASE needs at least one WHEN
            )
        days = select(kitchens.c.kitchen_id, the_day.label("service_date")).subquery("days")
        planned = planned_portions(days).subquery("planned")
        stmt = (
            select(kitchens, days.c.service_date, planned.c.portions)
            .join_from(kitchens, days, days.c.kitchen_id == kitchens.c.kitchen_id)
            .outerjoin(
                planned,
                and_(
                    planned.c.kitchen_id == days.c.kitchen_id,
                    planned.c.service_date == days.c.service_date,
                ),
            )
            .order_by(*order)
        )
        if start is not None:
            stmt = stmt.where(after(order, start))
        async with aclosing(statement_rows(session, stmt, limit=limit)) as rows:
            async for r in rows:
                on = r.service_date
                portions = as_int(r.portions) or 0
                yield {
                    "kitchen_id": r.kitchen_id,
                    "kitchen_code": r.kitchen_code,
                    "name": r.name,
                    "region_code": r.region_code,
                    "hygiene_status": hygiene_status(r.certificate_expires_on, on),
                    "status": r.status,
                    "capacity_per_day": r.capacity_per_day,
                    "certificate_number": r.certificate_number,
                    "certificate_expires_on": r.certificate_expires_on,
                    "date": on,
                    "planned_portions": portions,
                    "over_capacity": r.capacity_per_day is not None
                    and portions > r.capacity_per_day,
                }

    return Report(
        name="kitchens",
        columns=COLUMNS,
        key=(("region_code", as_text), ("kitchen_code", as_text)),
        produce=produce,
    )
