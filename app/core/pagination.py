"""Keyset pagination over (created_at, id), shared by every list endpoint."""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import InvalidCursor
from app.core.schemas import IsoDatetime

T = TypeVar("T")
M = TypeVar("M")

MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    """A page of a list: `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    updated_since: datetime | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    updated_since: Annotated[
        IsoDatetime | None, Query(description="Only items changed at or after this instant")
    ] = None,
) -> PageParams:
    """The paging query parameters every list takes."""
    return PageParams(limit=limit, cursor=cursor, updated_since=updated_since)


PageDep = Annotated[PageParams, Depends(page_params)]


def encode_cursor(created_at: datetime, id_: uuid.UUID) -> str:
    raw = json.dumps([created_at.astimezone(UTC).isoformat(), id_.hex]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, id_hex = json.loads(raw)
        return datetime.fromisoformat(ts), uuid.UUID(hex=id_hex)
    except (binascii.Error, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidCursor(
            "cursor is not one this service issued", loc=["query", "cursor"]
        ) from exc


async def paginate(
    session: AsyncSession, stmt: SelectOfScalar[M], model: Any, params: PageParams
) -> tuple[list[M], str | None]:
    """Run `stmt` (a select of `model` with its filters) one page at a time."""
    if params.updated_since is not None:
        stmt = stmt.where(model.updated_at >= params.updated_since)
    if params.cursor:
        ts, last_id = decode_cursor(params.cursor)
        stmt = stmt.where(
            or_(model.created_at > ts, and_(model.created_at == ts, model.id > last_id))
        )
    stmt = stmt.order_by(model.created_at, model.id).limit(params.limit + 1)
    rows = list((await session.exec(stmt)).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    return rows, encode_cursor(last.created_at, last.id)  # type: ignore[attr-defined]


__all__ = ["MAX_LIMIT", "Page", "PageDep", "PageParams", "paginate", "select"]
