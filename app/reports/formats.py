"""How a report is answered: a JSON page, or every row streamed as CSV or DHIS2 JSON."""

import csv
import io
import json
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.pagination import Page
from app.reports.paging import Paging, Record, Report, every_row, read_page

# Characters of text gathered before a chunk goes out.
CHUNK_CHARS = 64 * 1024
# First characters that make a spreadsheet read a cell as a formula (or, for tab and
# carriage return, hide one behind them): such text cells get a leading `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Format(StrEnum):
    json = "json"
    csv = "csv"
    dhis2 = "dhis2"


class TableFormat(StrEnum):
    """Formats of the reports that have no DHIS2 shape."""

    json = "json"
    csv = "csv"


class DataValue(TypedDict):
    """One DHIS2 data value, identified by codes (`idScheme=code`); DHIS2's field names."""

    dataElement: str
    period: str
    orgUnit: str
    categoryOptionCombo: str
    attributeOptionCombo: NotRequired[str]
    value: str


# Types the csv module writes as they should read: str() of them, and None as empty. Numbers
# stay numbers (a negative temperature is not a formula).
_CSV_AS_IS = frozenset({int, float, Decimal, date, uuid.UUID, type(None)})


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made plain text by a leading `'`."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: empty for null, JSON-like booleans, `;` between list items,
    and text that could start a formula neutralised."""
    kind = type(value)
    if kind in _CSV_AS_IS:
        return value  # the writer itself renders these (None as an empty field)
    if kind is str:
        return neutralise(value)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return neutralise(";".join(str(v) for v in value))
    return neutralise(str(value))


async def csv_chunks(columns: tuple[str, ...], rows: AsyncIterable[Record]) -> AsyncIterator[str]:
    """The header line, then one line per row, in chunks of about CHUNK_CHARS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    async for row in rows:
        writer.writerow([csv_cell(row[c]) for c in columns])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def dhis2_value(value: Any) -> str:
    """A DHIS2 value string: plain decimal notation (no exponent), booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(float(value))).normalize(), "f")


def dhis2_period(day: date) -> str:
    """A DHIS2 daily period: yyyyMMdd."""
    return day.strftime("%Y%m%d")


async def dhis2_chunks(values: AsyncIterable[DataValue]) -> AsyncIterator[str]:
    """A `dataValueSets` JSON document, written value by value in chunks of CHUNK_CHARS."""
    buffer = io.StringIO()
    buffer.write('{"dataValues": [')
    separator = ""
    async for value in values:
        buffer.write(separator + json.dumps(value, ensure_ascii=False))
        separator = ", "
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    buffer.write("]}")
    yield buffer.getvalue()


async def _data_values(
    rows: AsyncIterable[Record], values_of: Callable[[Record], Iterable[DataValue]]
) -> AsyncIterator[DataValue]:
    async for row in rows:
        for value in values_of(row):
            yield value


def filename(name: str, date_from: date, date_to: date) -> str:
    """A CSV download's name: the report and its dates."""
    return f"{name}_{date_from.isoformat()}_{date_to.isoformat()}.csv"


async def respond(
    session: AsyncSession,
    report: Report,
    paging: Paging,
    *,
    format_: str,
    row_model: type[BaseModel],
    csv_name: str,
    dhis2: Callable[[Record], Iterable[DataValue]] | None = None,
) -> Page[Any] | Response:
    """The report as a JSON page, every row as CSV, or (with `dhis2`) a DHIS2 dataValueSet.

    CSV and DHIS2 read `session` while the body is sent: it must be the request-scoped one.
    """
    if format_ == Format.csv:
        return StreamingResponse(
            csv_chunks(report.columns, every_row(session, report)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{csv_name}"'},
        )
    if format_ == Format.dhis2 and dhis2 is not None:
        values = _data_values(every_row(session, report), dhis2)
        return StreamingResponse(dhis2_chunks(values), media_type="application/json")
    items, cursor = await read_page(session, report, paging)
    return Page(items=[row_model(**r) for r in items], next_cursor=cursor)
