"""Alembic environment: the app's metadata, the URL from the app's settings."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool, text

import app.models  # noqa: F401  (registers every table)
from app.core.config import Settings
from app.core.db import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.attributes.get("database_url") or Settings().database_url
config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

# The PostgreSQL advisory lock every `alembic upgrade` (or downgrade) holds while it runs, so
# replicas that start together migrate one after the other: the first does the work, the
# others wait, then find the database at head and do nothing. The key is fixed (the bytes
# of "dapurmig"); the app's own advisory locks use hashed keys of their own.
MIGRATION_LOCK_KEY = int.from_bytes(b"dapurmig", "big")


def _configure(**kw: object) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        **kw,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _configure(connection=connectable)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    # NullPool: closing the connection ends its database session, so a migration that fails
    # frees the lock below with it.
    with engine.connect() as connection:
        _lock(connection)
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        _unlock(connection)


def _lock(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock (a session lock: it outlives COMMIT)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        # End the transaction the statement began, so that the migrations run in one of
        # their own and read the version table as it is once the lock is held.
        connection.commit()


def _unlock(connection: Connection) -> None:
    """Release the migration lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
