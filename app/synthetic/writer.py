"""Bulk loading in one transaction: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples in the order of the given columns. Values are `uuid.UUID`, `date`, aware
`datetime` in UTC, `bool`, numbers, `str` and `None`; JSON columns take encoded text.
COPY uses the binary format with the columns' types: the server parses no text, which
makes it several times faster than text COPY for rows full of UUIDs and timestamps.

On PostgreSQL the keys, indexes and foreign keys of the tables being loaded are dropped
first and rebuilt by `finish()`, the way pg_restore loads: one sorted index build and one
foreign-key check per table instead of a random B-tree insert and a lookup per row. The
rebuild still enforces every key and reference, so a generator bug fails loudly, and it
all happens in one transaction: a failure leaves the schema exactly as it was.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Uuid
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeEngine

import app.models  # noqa: F401  (every table in the metadata)
from app.core.db import metadata

Row = Sequence[Any]

# Keys and foreign keys on the loaded tables, and foreign keys that point at them.
_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid), c.contype
FROM pg_constraint c
WHERE c.contype IN ('p', 'u', 'f')
  AND (c.conrelid = ANY(%s::regclass[]) OR (c.contype = 'f' AND c.confrelid = ANY(%s::regclass[])))
"""
_PLAIN_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%s::regclass[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
  )
"""


def _pg_type(sa_type: TypeEngine[Any]) -> str:
    """The PostgreSQL type whose binary form COPY should send for a column."""
    impl = getattr(sa_type, "impl", sa_type)
    for python, pg in (
        (Uuid, "uuid"),
        (DateTime, "timestamptz"),
        (Date, "date"),
        (Boolean, "bool"),
        (Integer, "int4"),
        (Float, "float8"),
        (JSON, "text"),  # json's binary form is its text
    ):
        if isinstance(impl, python):
            return pg
    return "text"


def _sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite (hex UUIDs, naive UTC, 0/1 booleans)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class BulkWriter:
    """Writes rows through the engine's raw connection in one transaction."""

    def __init__(self, engine: Engine, *, defer_constraints_of: Sequence[str] = ()) -> None:
        self._raw = engine.raw_connection()
        self.dialect = engine.dialect.name
        self.tables = list(defer_constraints_of)
        self._rebuild: list[str] = []
        cur = self._raw.cursor()
        if self.dialect == "postgresql":
            # Index builds over millions of rows outlast the service's request timeouts.
            cur.execute("SET statement_timeout = 0")
            cur.execute("SET lock_timeout = 0")
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            if self.tables:
                self._defer_constraints(cur)
        else:
            # The connection runs in autocommit mode (app/core/db.py): begin by hand.
            cur.execute("BEGIN IMMEDIATE")
        cur.close()

    def _defer_constraints(self, cur: Any) -> None:
        cur.execute(_CONSTRAINTS, (self.tables, self.tables))
        constraints = cur.fetchall()
        cur.execute(_PLAIN_INDEXES, (self.tables,))
        indexes = cur.fetchall()
        # Drop foreign keys before the keys they point at; rebuild in the opposite order.
        constraints.sort(key=lambda c: c[3] != "f")
        for table, name, _, _ in constraints:
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")
        keys = [c for c in constraints if c[3] != "f"]
        foreign = [c for c in constraints if c[3] == "f"]
        self._rebuild = [
            *(f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d, _ in keys),
            *(definition for _, definition in indexes),
            *(f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d, _ in foreign),
        ]

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        """Append rows to `table`; returns how many."""
        names = ", ".join(columns)
        count = 0
        if self.dialect == "postgresql":
            pg: Any = self._raw.driver_connection
            sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
            with pg.cursor() as cur, cur.copy(sql) as copy:
                copy.set_types([_pg_type(metadata.tables[table].c[c].type) for c in columns])
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("?" for _ in columns)
        batch = [tuple(_sqlite_value(v) for v in row) for row in rows]
        cur = self._raw.cursor()
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
        cur.close()
        return len(batch)

    def execute(self, statement: str) -> None:
        """Run one statement without parameters in the load's transaction."""
        cur = self._raw.cursor()
        cur.execute(statement)
        cur.close()

    def finish(self) -> None:
        """Rebuild what was deferred, commit, and refresh the planner's statistics."""
        cur = self._raw.cursor()
        for statement in self._rebuild:
            cur.execute(statement)
        self._rebuild.clear()
        if self.dialect == "postgresql":
            cur.close()
            self._raw.commit()
            pg: Any = self._raw.driver_connection
            pg.autocommit = True
            with pg.cursor() as vacuum:
                # VACUUM sets the visibility map (index-only scans); ANALYZE the statistics.
                vacuum.execute("VACUUM (ANALYZE)")
                vacuum.execute("RESET statement_timeout")
                vacuum.execute("RESET lock_timeout")
            pg.autocommit = False
        else:
            cur.execute("COMMIT")
            cur.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            if self.dialect == "postgresql":
                self._raw.rollback()
            else:
                cur = self._raw.cursor()
                cur.execute("ROLLBACK")
                cur.close()
        self._raw.close()
