"""Engine and session: one transaction per request."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import MetaData, Table, event, text
from sqlalchemy.engine import Engine
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


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for hot paths that read plain rows, not objects."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, tuned for each dialect."""
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.db_timeout_seconds},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event, below, say how each transaction begins.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(settings.db_timeout_seconds * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Write requests take the write lock up front (BEGIN IMMEDIATE), so concurrent
            # writers queue on busy_timeout instead of failing on a stale read snapshot.
            mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    timeout_ms = int(settings.db_timeout_seconds * 1000)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_timeout_seconds,
        connect_args={
            "connect_timeout": max(1, int(settings.db_timeout_seconds)),
            "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}",
        },
    )


SQLITE_BEGIN_OPTION = "dapur_sqlite_begin"


def reading_engine(engine: Engine) -> Engine:
    """The engine read-only requests use: the same pool, but without a transaction.

    On PostgreSQL each statement then commits by itself, which saves every read request
    its BEGIN and COMMIT round trips and lets its session close without any I/O. What the
    request sees is unchanged: at READ COMMITTED every statement takes its own snapshot
    inside a transaction too. SQLite reads keep their transaction (a single snapshot
    there), so its engine is returned as it is.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def session_scope(
    engine: Engine, *, write: bool = True, info: dict[str, Any] | None = None
) -> Iterator[Session]:
    """A session whose transaction commits when the block ends cleanly, else rolls back.

    `write` sessions on SQLite begin IMMEDIATE (they hold the write lock from the start).
    `info` is kept on the session for its event hooks (the request, for the audit trail).
    """
    with Session(engine, expire_on_commit=False, info=info) as session:
        if write and engine.dialect.name == "sqlite":
            session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    """Raise if the database does not answer."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
