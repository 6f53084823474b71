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
    ValidationInfo,
    field_validator,
)

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 datetime, e.g. 2026-11-28T02:00:00+07:00")
    return value


def _as_utc(value: datetime) -> datetime:
    """An instant in UTC; one without an offset is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


def _real_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return value


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_as_utc)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
StrictInt = Annotated[int, Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]
Number = Annotated[float, BeforeValidator(_real_number)]
StrictBool = Annotated[bool, Strict()]
AwareIsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]

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
