"""Statements over food-safety checks that reports compose."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select

from app.core.db import table_of
from app.foodsafety.models import FoodSafetyCheck

_checks = table_of(FoodSafetyCheck)


def checks_between(
    date_from: date, date_to: date, *, updated_since: datetime | None = None
) -> Select[Any]:
    """The checks of a service-date range (inclusive), optionally only those changed at or
    after `updated_since`: every column of a check."""
    c = _checks.c
    stmt = select(
        c.id,
        c.kitchen_id,
        c.service_date,
        c.cooked_at,
        c.dispatched_at,
        c.sample_retained,
        c.organoleptic_ok,
        c.core_temp_c,
        c.notes,
        c.flags,
        c.created_at,
        c.updated_at,
    ).where(c.service_date >= date_from, c.service_date <= date_to)
    if updated_since is not None:
        stmt = stmt.where(c.updated_at >= updated_since)
    return stmt
