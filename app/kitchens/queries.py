"""Statements over kitchens that reports compose (Core selects, no ORM objects)."""

from typing import Any

from sqlalchemy import Select, select

from app.core.db import table_of
from app.core.regions import region_filter
from app.kitchens.models import Kitchen

_kitchens = table_of(Kitchen)


def kitchens_in(region_code: str | None) -> Select[Any]:
    """The kitchens of a region (None: the nation): `kitchen_id`, `kitchen_code`,
    `region_code`, `timezone`."""
    k = _kitchens.c
    return select(
        k.id.label("kitchen_id"), k.code.label("kitchen_code"), k.region_code, k.timezone
    ).where(region_filter(k.region_code, region_code))


def kitchen_oversight_in(region_code: str | None) -> Select[Any]:
    """What a health office oversees of each kitchen of a region: `kitchen_id`,
    `kitchen_code`, `name`, `region_code`, `timezone`, `status`, `capacity_per_day`,
    `certificate_number`, `certificate_expires_on`."""
    k = _kitchens.c
    return select(
        k.id.label("kitchen_id"),
        k.code.label("kitchen_code"),
        k.name,
        k.region_code,
        k.timezone,
        k.status,
        k.capacity_per_day,
        k.hygiene_certificate_number.label("certificate_number"),
        k.hygiene_certificate_expires_on.label("certificate_expires_on"),
    ).where(region_filter(k.region_code, region_code))


def timezones_in(region_code: str | None) -> Select[Any]:
    """The distinct time zones of a region's kitchens: `timezone`."""
    k = _kitchens.c
    return select(k.timezone).where(region_filter(k.region_code, region_code)).distinct()
