"""Engines: the async one every request uses, and a sync one for batch tools.

Requests run on SQLAlchemy's asyncio engine over asyncpg (PostgreSQL) or aiosqlite
(SQLite); docs/performance.md records the measurement that chose it. Batch tools (the
CLI, the TKPI import, the synthetic-nation generator, migrations) keep a sync engine over
psycopg: they run one long transaction, not thousands of small ones. Both are built from
the one `DATABASE_URL`, so operators configure a single database address.
"""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, MetaData, Table, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlmodel import Session, SQLModel, create_engine

from app.core.config import Settings

# Deterministic constraint names so migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

# How a SQLite transaction begins: writes take the write lock up front (IMMEDIATE), so
# concurrent writers queue on busy_timeout instead of failing on a stale read snapshot.
SQLITE_BEGIN_OPTION = "dapur_sqlite_begin"


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for statements that read plain rows."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sync_url(url: str) -> str:
    """The URL for the sync engine: PostgreSQL through psycopg, SQLite through sqlite3."""
    parsed = make_url(url)
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The URL for the request engine: PostgreSQL through asyncpg, SQLite through aiosqlite."""
    parsed = make_url(url)
    driver = "sqlite+aiosqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+asyncpg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _sqlite_events(engine: Engine, settings: Settings) -> None:
    """Pragmas on every connection, and transactions that begin as the session asks."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Leave "BEGIN" to the listener below (pysqlite and aiosqlite alike).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(settings.db_timeout_seconds * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(settings: Settings) -> Engine:
    """The sync engine of batch tools (CLI, imports, the generator, migrations)."""
    url = sync_url(settings.database_url)
    if is_sqlite(url):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": settings.db_timeout_seconds}
        )
        _sqlite_events(engine, settings)
        return engine
    timeout_ms = int(settings.db_timeout_seconds * 1000)
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": max(1, int(settings.db_timeout_seconds)),
            "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}",
        },
        hide_parameters=True,
    )


def make_async_engine(settings: Settings) -> AsyncEngine:
    """The engine requests use, with a fixed pool and bounded waits on PostgreSQL.

    `hide_parameters`: a failing statement is logged without its parameters, which may
    hold password and API-key hashes or staff phone numbers.
    """
    url = async_url(settings.database_url)
    if is_sqlite(url):
        engine = create_async_engine(
            url, connect_args={"timeout": settings.db_timeout_seconds}, hide_parameters=True
        )
        _sqlite_events(engine.sync_engine, settings)
        return engine
    timeout_ms = str(int(settings.db_timeout_seconds * 1000))
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_timeout_seconds,
        hide_parameters=True,
        connect_args={
            "timeout": max(1.0, settings.db_timeout_seconds),
            "command_timeout": settings.db_timeout_seconds + 1,
            "server_settings": {"statement_timeout": timeout_ms, "lock_timeout": timeout_ms},
        },
    )


def session_scope(
    engine: Engine, *, write: bool = True, info: dict[str, Any] | None = None
) -> Iterator[Session]:
    """A batch tool's session: it commits when the block ends cleanly, else rolls back."""
    with Session(engine, expire_on_commit=False, info=info) as session:
        if write and engine.dialect.name == "sqlite":
            session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def begin_writing(session: AsyncSession) -> None:
    """Begin the session's transaction as a writer: on SQLite that takes the database's
    write lock now (BEGIN IMMEDIATE), so writers queue instead of failing to upgrade."""
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        await session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database does not answer."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class Database:
    """The request engine of one application, one per event loop.

    asyncpg connections belong to the event loop that opened them. A server process runs
    one loop, so this holds one engine; tests serve one app from two loops at once
    (TestClient's and a live uvicorn's), and each gets its own pool.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = "sqlite" if is_sqlite(settings.database_url) else "postgresql"
        self._engines: dict[int, AsyncEngine] = {}
        self._on_new_engine: list[Callable[[AsyncEngine], None]] = []

    def on_new_engine(self, callback: Callable[[AsyncEngine], None]) -> None:
        """Call `callback` with every engine made from now on (metrics watch their pools)."""
        self._on_new_engine.append(callback)

    @property
    def engine(self) -> AsyncEngine:
        """The engine of the running event loop."""
        loop = id(asyncio.get_running_loop())
        engine = self._engines.get(loop)
        if engine is None:
            engine = self._engines[loop] = make_async_engine(self.settings)
            for callback in self._on_new_engine:
                callback(engine)
        return engine

    async def dispose(self) -> None:
        """Close the running loop's pool (at shutdown)."""
        engine = self._engines.pop(id(asyncio.get_running_loop()), None)
        if engine is not None:
            await engine.dispose()
