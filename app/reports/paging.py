"""Reading a report: its rows in order, a JSON page after a keyset cursor, or every row.

Each report is a statement (or one per day) whose rows come back in the report's order
(date, region, kitchen code, then tie-breakers). A JSON page reads `limit + 1` rows after
its cursor; CSV and DHIS2 stream every row from a server-side cursor, a partition at a
time, so memory stays flat however many rows a range holds.
"""

import base64
import binascii
import json
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Row, Select, and_, or_, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import InvalidCursor
from app.core.pagination import MAX_LIMIT

# Rows fetched from the server-side cursor at a time.
YIELD_PER = 1000
_PLANNED = "reports_planned_transaction"

Record = dict[str, Any]
Key = tuple[Any, ...]
Parser = Callable[[str], Any]
# A report's rows after a key (None: from the start), at most `limit` of them (None: all).
Produce = Callable[[AsyncSession, Key | None, int | None], AsyncGenerator[Record, None]]


@dataclass(frozen=True)
class Report:
    """A report's rows in order, and the fields (with parsers) a cursor names a row by."""

    name: str
    columns: tuple[str, ...]
    key: tuple[tuple[str, Parser], ...]
    produce: Produce


@dataclass(frozen=True)
class Paging:
    """Paging of the JSON format (CSV and DHIS2 return every row)."""

    limit: int
    cursor: str | None


async def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per JSON page")] = 100,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous JSON page")
    ] = None,
) -> Paging:
    """The `limit` and `cursor` of a JSON page."""
    return Paging(limit=limit, cursor=cursor)


PagingDep = Annotated[Paging, Depends(paging)]


def _cursor_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def encode_cursor(report: Report, row: Record) -> str:
    """The cursor of the page after `row`: the report's name and the row's key."""
    values = [report.name, *(_cursor_text(row[field]) for field, _ in report.key)]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(report: Report, cursor: str) -> Key:
    """The key a cursor names; 422 `invalid_cursor` unless this report issued it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, *values = json.loads(raw)
        if name != report.name or len(values) != len(report.key):
            raise ValueError("cursor of another report")
        return tuple(parse(v) for (_, parse), v in zip(report.key, values, strict=True))
    except (binascii.Error, ValueError, TypeError, AttributeError) as exc:
        raise InvalidCursor(
            "cursor is not one this report issued", loc=["query", "cursor"]
        ) from exc


async def read_page(
    session: AsyncSession, report: Report, paging: Paging
) -> tuple[list[Record], str | None]:
    """Up to `limit` rows after the cursor, and the next page's cursor (None at the end)."""
    after = decode_cursor(report, paging.cursor) if paging.cursor else None
    rows = report.produce(session, after, paging.limit + 1)
    taken: list[Record] = []
    try:
        async for row in rows:
            taken.append(row)
            if len(taken) > paging.limit:
                break
    finally:
        await rows.aclose()
    if len(taken) <= paging.limit:
        return taken, None
    taken = taken[: paging.limit]
    return taken, encode_cursor(report, taken[-1])


def every_row(session: AsyncSession, report: Report) -> AsyncGenerator[Record, None]:
    """Every row of the report, streamed (the session must outlive the response body)."""
    return report.produce(session, None, None)


async def _plan_for_reports(session: AsyncSession) -> None:
    """Once per transaction on PostgreSQL: no JIT, and plans made for the parameters given.

    The reports are wide aggregates that PostgreSQL's planner costs above jit_above_cost;
    compiling them took longer (seconds) than running them. And a prepared report
    statement run a few times would otherwise fall back to a generic plan, blind to the
    region and dates that decide how much it reads; planning costs far less than that.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_PLANNED) == id(transaction):
        return
    await (await session.connection()).execute(
        text(
            "SELECT set_config('jit', 'off', true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)"
        )
    )
    session.info[_PLANNED] = id(session.get_transaction())


async def statement_rows(
    session: AsyncSession, stmt: Select[Any], *, limit: int | None
) -> AsyncGenerator[Row[Any], None]:
    """The statement's rows: the first `limit` read at once, or (None) every row streamed
    from a server-side cursor, YIELD_PER at a time (closed when the reader stops early).

    Reports are Core statements of plain rows: they run on the session's connection, in
    its transaction, with no ORM identity map to fill.
    """
    await _plan_for_reports(session)
    connection = await session.connection()
    if limit is not None:
        for row in await connection.execute(stmt.limit(limit)):
            yield row
        return
    result = await connection.stream(stmt.execution_options(yield_per=YIELD_PER))
    try:
        async for partition in result.partitions():
            for row in partition:
                yield row
    finally:
        await result.close()


def after(columns: Sequence[Any], values: Sequence[Any], *, inclusive: bool = False) -> Any:
    """SQL for (columns) > (values) in lexicographic order (>= when `inclusive`).

    Spelled out with AND/OR rather than a row-value comparison so it reads the same to
    every database and planner.
    """
    last_col, last_value = columns[-1], values[-1]
    clause: ColumnElement[bool] = last_col >= last_value if inclusive else last_col > last_value
    for column, value in zip(reversed(columns[:-1]), reversed(values[:-1]), strict=True):
        clause = or_(column > value, and_(column == value, clause))
    return clause


def as_int(value: Any) -> int | None:
    """A SQL sum as an int (None stays None)."""
    return None if value is None else int(value)


def as_uuid(value: str) -> uuid.UUID:
    """A cursor's UUID field."""
    return uuid.UUID(value)


def as_text(value: str) -> str:
    """A cursor's text field (anything else is not a cursor this service wrote)."""
    if not isinstance(value, str):
        raise TypeError("cursor value is not text")
    return value
