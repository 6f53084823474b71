"""Health report: the food-safety checks of a window, with their kitchen's code and region."""

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.foodsafety.queries import checks_between
from app.kitchens.queries import kitchens_in
from app.reports.paging import Key, Record, Report, after, as_text, as_uuid, statement_rows
from app.reports.window import Window

COLUMNS = (
    "id",
    "kitchen_id",
    "kitchen_code",
    "region_code",
    "service_date",
    "cooked_at",
    "dispatched_at",
    "sample_retained",
    "organoleptic_ok",
    "core_temp_c",
    "notes",
    "flags",
    "created_at",
    "updated_at",
)


class FoodSafetyRow(BaseModel):
    """One food-safety check with its kitchen's code and region."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
                    "kitchen_id": "5b0e8c1e-2f7a-4d0c-9a51-0d7c1c6d2a10",
                    "kitchen_code": "SPPG-3273-001",
                    "region_code": "32.73.01",
                    "service_date": "2026-11-30",
                    "cooked_at": "2026-11-29T22:30:00Z",
                    "dispatched_at": "2026-11-30T03:15:00Z",
                    "sample_retained": True,
                    "organoleptic_ok": True,
                    "core_temp_c": 81.5,
                    "notes": None,
                    "flags": ["dispatch_over_4h"],
                    "created_at": "2026-11-30T03:20:00Z",
                    "updated_at": "2026-11-30T03:20:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    kitchen_id: uuid.UUID
    kitchen_code: str
    region_code: str
    service_date: date
    cooked_at: datetime
    dispatched_at: datetime | None
    sample_retained: bool
    organoleptic_ok: bool
    core_temp_c: float | None
    notes: str | None
    flags: list[str]
    created_at: datetime
    updated_at: datetime


def food_safety_report(*, window: Window, updated_since: datetime | None = None) -> Report:
    """The food-safety checks of the window, by date, region, kitchen code and cooking time."""
    checks = checks_between(window.date_from, window.date_to, updated_since=updated_since).subquery(
        "checks"
    )
    kitchens = kitchens_in(window.region_code).subquery("kitchens")
    order = (
        checks.c.service_date,
        kitchens.c.region_code,
        kitchens.c.kitchen_code,
        checks.c.cooked_at,
        checks.c.id,
    )
    fields = {
        **{name: checks.c[name] for name in COLUMNS if name in checks.c},
        "kitchen_code": kitchens.c.kitchen_code,
        "region_code": kitchens.c.region_code,
    }

    async def produce(
        session: AsyncSession, start: Key | None, limit: int | None
    ) -> AsyncGenerator[Record, None]:
        stmt = (
            select(*(fields[name] for name in COLUMNS))
            .join_from(checks, kitchens, kitchens.c.kitchen_id == checks.c.kitchen_id)
            .order_by(*order)
        )
        if start is not None:
            stmt = stmt.where(after(order, start))
        async with aclosing(statement_rows(session, stmt, limit=limit)) as rows:
            async for r in rows:
                yield {**r._mapping, "flags": list(r.flags or [])}

    return Report(
        name="food-safety",
        columns=COLUMNS,
        key=(
            ("service_date", date.fromisoformat),
            ("region_code", as_text),
            ("kitchen_code", as_text),
            ("cooked_at", datetime.fromisoformat),
            ("id", as_uuid),
        ),
        produce=produce,
    )
