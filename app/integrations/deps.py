"""Who may pull which report, and the window (dates and region) every report takes.

The order is the contract's: no credentials 401, a role that may never pull the report 403,
then the query: a region outside the caller's 403, a bad date range 422.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from app.auth.deps import require_roles
from app.auth.models import Principal, Role, region_contains
from app.core.errors import Forbidden, Invalid
from app.core.pagination import MAX_LIMIT
from app.integrations.service import MAX_RANGE_DAYS, Window
from app.users.models import RegionCode

HealthReader = Annotated[Principal, Depends(require_roles(Role.admin, Role.health_office))]
AgricultureReader = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.agriculture_office))
]

FromDate = Annotated[
    date, Query(alias="from", description="First service date (inclusive), YYYY-MM-DD")
]
ToDate = Annotated[
    date,
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


def report_window(
    principal: Principal, *, date_from: date, date_to: date, region_code: str | None
) -> Window:
    """The checked window: the region lies within the caller's (403), the dates are ordered
    and at most MAX_RANGE_DAYS apart (422)."""
    own_region = None if principal.is_admin else principal.region_code
    if region_code is None:
        region_code = own_region
    elif not region_contains(own_region, region_code):
        raise Forbidden(
            f"Region {region_code} lies outside the caller's region {own_region}",
            code="region_forbidden",
        )
    if date_to < date_from:
        raise Invalid("`to` is before `from`", loc=["query", "to"])
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise Invalid(
            f"`from` and `to` are more than {MAX_RANGE_DAYS} days apart", loc=["query", "to"]
        )
    return Window(date_from=date_from, date_to=date_to, region_code=region_code)


def health_window(
    principal: HealthReader,
    date_from: FromDate,
    date_to: ToDate,
    region_code: RegionQuery = None,
) -> Window:
    return report_window(principal, date_from=date_from, date_to=date_to, region_code=region_code)


def agriculture_window(
    principal: AgricultureReader,
    date_from: FromDate,
    date_to: ToDate,
    region_code: RegionQuery = None,
) -> Window:
    return report_window(principal, date_from=date_from, date_to=date_to, region_code=region_code)


HealthWindow = Annotated[Window, Depends(health_window)]
AgricultureWindow = Annotated[Window, Depends(agriculture_window)]


@dataclass(frozen=True)
class Paging:
    limit: int
    cursor: str | None


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per JSON page")] = 100,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous JSON page")
    ] = None,
) -> Paging:
    """Paging of the JSON format (CSV and DHIS2 return every row)."""
    return Paging(limit=limit, cursor=cursor)


PagingDep = Annotated[Paging, Depends(paging)]
