"""Request-scoped dependencies shared by every domain: settings, session."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings
from app.core.db import SQLITE_BEGIN_OPTION

T = TypeVar("T")
_COMMITTED_BY_ROUTE = "committed_by_route"


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _finish(session: Session, error: BaseException | None) -> None:
    try:
        if error is None:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@asynccontextmanager
async def _request_session(
    request: Request, *, reads_in_transaction: bool
) -> AsyncIterator[Session]:
    engine: Engine = request.app.state.engine
    write = request.method not in {"GET", "HEAD", "OPTIONS"}
    bind: Engine = engine if write or reads_in_transaction else request.app.state.reading_engine
    untransacted = bind is not engine  # reading_engine is the engine itself on SQLite
    # The request rides on the session so the audit hook (app/audit) can describe the write.
    session = Session(bind, expire_on_commit=False, info={"request": request})
    try:
        if write and engine.dialect.name == "sqlite":
            options = {SQLITE_BEGIN_OPTION: "IMMEDIATE"}
            await run_in_threadpool(lambda: session.connection(execution_options=options))
        yield session
    except BaseException as error:
        # In a worker thread even without a transaction: after a failure the connection
        # may be broken or mid-statement, and returning it to the pool may then block.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_finish, session, error)
        raise
    # Nothing left to send: no transaction (reads on PostgreSQL), or the route committed
    # it itself (run_and_commit).
    if untransacted or session.info.get(_COMMITTED_BY_ROUTE):
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_finish, session, None)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back.

    An async dependency on purpose: opening a session does no I/O, so at most the end of
    the transaction takes a worker thread (a sync generator dependency takes two hops, and
    each hop costs about as much as a query). Read-only requests on PostgreSQL run without
    a transaction (app.core.db.reading_engine) and close without any I/O at all. SQLite
    write requests begin IMMEDIATE, taking the write lock up front (that may wait, so it
    runs in a worker thread too).
    """
    async with _request_session(request, reads_in_transaction=False) as session:
        yield session


async def get_report_session(request: Request) -> AsyncIterator[Session]:
    """As get_session, but reads too run in a transaction: for reports that read through a
    server-side cursor, which PostgreSQL only opens inside one."""
    async with _request_session(request, reads_in_transaction=True) as session:
        yield session


async def run_and_commit(session: Session, work: Callable[[], T]) -> T:
    """Run a blocking service call and commit its transaction in one worker-thread hop.

    For the hottest routes, declared `async def`: a sync route takes one hop for itself,
    one to validate its answer and one for the commit, and each costs about as much as a
    query. A failure inside still rolls back and answers as from any route.
    """

    def run() -> T:
        result = work()
        session.commit()
        session.info[_COMMITTED_BY_ROUTE] = True
        return result

    return await run_in_threadpool(run)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
# scope="function": commit before the response is sent, so a failed commit is the answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReportSessionDep = Annotated[Session, Depends(get_report_session, scope="function")]
