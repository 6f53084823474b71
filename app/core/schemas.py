"""Field types for request bodies and queries that accept exactly what the schema says.

Pydantic's lax mode would take `false` or `"12"` for an integer and a bare number for a
datetime; clients of a public API should get 422 for those instead of a silent guess.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The calendar the service accepts (§11): nothing before 2000 or after 2100.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# Integers fit a 32-bit column (§11): anything larger is refused, never truncated.
INT_MAX = 2_147_483_647
# Whitespace and invisible characters a blank-looking string may be made of.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2028-\u202f\u205f-\u206f\ufeff\u00ad\u034f\u180e]+")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError(
            "must be an ISO 8601 datetime with an offset, e.g. 2026-11-28T02:00:00+07:00"
        )
    return value


def _in_calendar(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must lie between {FIRST_DAY} and {LAST_DAY}")
    return value


def _as_utc(value: datetime) -> datetime:
    """The instant in UTC (an offset is required: §11 refuses guessing one)."""
    _in_calendar(value)  # before converting: year 1 would overflow
    return value.astimezone(UTC)


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


def _real_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if abs(value) > INT_MAX:
        raise ValueError(f"must lie between -{INT_MAX} and {INT_MAX}")
    return value


def not_blank(value: str) -> str:
    """A string that is more than whitespace and invisible characters."""
    if not _INVISIBLE.sub("", value):
        raise ValueError("must not be blank")
    return value


# Datetimes must carry an offset; they are stored and returned in UTC.
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime), AfterValidator(_as_utc)]
AwareIsoDatetime = IsoDatetime
IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_in_calendar)]
StrictInt = Annotated[int, Strict(), Field(ge=-INT_MAX, le=INT_MAX)]
Count = Annotated[int, Strict(), Field(ge=0, le=INT_MAX)]
Number = Annotated[float, BeforeValidator(_real_number)]
StrictBool = Annotated[bool, Strict()]
# Required text: trimmed, and more than whitespace or invisible characters.
Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(not_blank)]

# The `from` / `to` date range a list filters on (both inclusive).
FromDate = Annotated[IsoDate | None, Query(alias="from", description="First date (inclusive)")]
ToDate = Annotated[IsoDate | None, Query(alias="to", description="Last date (inclusive)")]


class Patch(BaseModel):
    """A PATCH body: fields left out keep their values; `null` only where a field may be
    empty (`NULLABLE`), otherwise 422 (never a silent no-op)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_nullable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value
