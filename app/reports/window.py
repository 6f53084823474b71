"""The window every report covers (dates and region) and who may ask for it.

The order is the API's: no credentials 401, a role that may never pull the report 403, then
the query: a region outside the caller's 403, a bad date range 422.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from app.auth.deps import gate
from app.auth.models import Principal
from app.auth.policy import AGRICULTURE_REPORTS, HEALTH_REPORTS
from app.core.errors import Invalid, RegionForbidden
from app.core.regions import RegionCode, region_contains
from app.core.schemas import IsoDate, IsoDatetime

# `from` and `to` may lie at most this many days apart.
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Window:
    """The dates and region a report covers, already checked against the caller's scope."""

    date_from: date
    date_to: date
    region_code: str | None


HealthOffice = Annotated[Principal, Depends(gate(HEALTH_REPORTS))]
AgricultureOffice = Annotated[Principal, Depends(gate(AGRICULTURE_REPORTS))]

FromDate = Annotated[
    IsoDate, Query(alias="from", description="First service date (inclusive), YYYY-MM-DD")
]
ToDate = Annotated[
    IsoDate,
    Query(
        alias="to",
        description=f"Last service date (inclusive), at most {MAX_RANGE_DAYS} days after `from`",
    ),
]
RegionQuery = Annotated[
    RegionCode | None,
    Query(
        description="Only kitchens in this region (within the caller's); "
        "default: the caller's region, national for admin"
    ),
]
UpdatedSince = Annotated[
    IsoDatetime | None,
    Query(description="Only rows whose record changed at or after this instant"),
]


def checked_region(principal: Principal, region_code: str | None) -> str | None:
    """The region a report covers: the one asked for, which must lie within the caller's
    (403), else the caller's own (national for admin)."""
    own_region = None if principal.is_admin else principal.region_code
    if region_code is None:
        return own_region
    if not region_contains(own_region, region_code):
        raise RegionForbidden(f"Region {region_code} lies outside the caller's region {own_region}")
    return region_code


def report_window(
    principal: Principal, *, date_from: date, date_to: date, region_code: str | None
) -> Window:
    """The checked window: the region lies within the caller's (403), the dates are ordered
    and at most MAX_RANGE_DAYS apart (422)."""
    region_code = checked_region(principal, region_code)
    if date_to < date_from:
        raise Invalid("`to` is before `from`", loc=["query", "to"])
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise Invalid(
            f"`from` and `to` are more than {MAX_RANGE_DAYS} days apart", loc=["query", "to"]
        )
    return Window(date_from=date_from, date_to=date_to, region_code=region_code)


async def health_window(
    principal: HealthOffice, date_from: FromDate, date_to: ToDate, region_code: RegionQuery = None
) -> Window:
    """The window of a health report."""
    return report_window(principal, date_from=date_from, date_to=date_to, region_code=region_code)


async def agriculture_window(
    principal: AgricultureOffice,
    date_from: FromDate,
    date_to: ToDate,
    region_code: RegionQuery = None,
) -> Window:
    """The window of an agriculture report."""
    return report_window(principal, date_from=date_from, date_to=date_to, region_code=region_code)


async def health_region(principal: HealthOffice, region_code: RegionQuery = None) -> str | None:
    """The region of a health report that covers no dates (None: the nation)."""
    return checked_region(principal, region_code)


HealthWindow = Annotated[Window, Depends(health_window)]
HealthRegion = Annotated[str | None, Depends(health_region)]
AgricultureWindow = Annotated[Window, Depends(agriculture_window)]
