"""Statements over kitchens that reports compose (Core selects, no ORM objects)."""

from typing import Any

from sqlalchemy import Select, select

from app.core.db import table_of
from app.core.regions import region_filter
from app.kitchens.models import Kitchen

_kitchens = table_of(Kitchen)


def kitchens_in(region_code: str | None) -> Select[Any]:
    """The kitchens of a region (None: the nation): `kitchen_id`, `kitchen_code`, `region_code`."""
    k = _kitchens.c
    return select(k.id.label("kitchen_id"), k.code.label("kitchen_code"), k.region_code).where(
        region_filter(k.region_code, region_code)
    )
