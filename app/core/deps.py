"""Request-scoped dependencies shared by every domain: settings and the one session."""

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.db import Database, begin_writing

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed when the route returns, else rolled back.

    Every route reads and writes through this session, and nothing else commits. The
    request rides on the session (`info`) for the hooks that run at commit: the audit
    trail and the data versions behind ETags. On SQLite a writing request begins
    IMMEDIATE, taking the write lock up front so concurrent writers queue instead of
    failing on a stale read snapshot; PostgreSQL's row locks need no such help.
    """
    database: Database = request.app.state.database
    session = AsyncSession(database.engine, expire_on_commit=False, info={"request": request})
    request.state.session = session  # for the idempotency claim (app/core/idempotency.py)
    try:
        if request.method not in SAFE_METHODS:
            await begin_writing(session)
        yield session
        # Shielded: a client that hangs up must not leave the transaction half-finished.
        with anyio.CancelScope(shield=True):
            await session.commit()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await session.rollback()
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": commit before the response is sent, so a failed commit is the answer.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# scope="request": the session stays open while a streamed body (CSV, DHIS2) is sent, and
# ends after it; a failure then can no longer change the status already sent.
StreamSessionDep = Annotated[AsyncSession, Depends(get_session, scope="request")]
