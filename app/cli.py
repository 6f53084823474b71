"""The `dapur` command (also `python -m app`): operator tasks beside the web service."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings, get_settings
from app.core.db import begin_writing, make_async_engine, make_engine, session_scope, sync_url

T = TypeVar("T")

cli = typer.Typer(
    help="Dapur operator commands.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console(soft_wrap=True)

UPGRADE_HINT = "run `alembic upgrade head` first"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def database_problem(url: str) -> str | None:
    """Why the database at `url` cannot be used yet, in one line; None when it is migrated.

    Reads only: a missing SQLite file is reported without being created.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        file = Path(parsed.database).resolve()
        parsed = parsed.set(database=str(file))
        if not file.is_file():
            return f"The database {parsed} does not exist: {UPGRADE_HINT}."
    shown = parsed.render_as_string(hide_password=True)
    connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
    engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"Cannot open the database {shown}: {reason}"
    finally:
        engine.dispose()
    if current is None:
        return f"The database {shown} has no schema: {UPGRADE_HINT}."
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads() if MIGRATIONS.is_dir() else []
    if heads and current not in heads:
        return (
            f"The database {shown} is at revision {current}, this release needs "
            f"{', '.join(heads)}: {UPGRADE_HINT}."
        )
    return None


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        _fail("Invalid settings: " + "; ".join(str(e["msg"]) for e in exc.errors()))


def _ready(settings: Settings) -> None:
    """Exit 1 with one line unless the configured database exists and is migrated."""
    problem = database_problem(sync_url(settings.database_url))
    if problem:
        _fail(problem)


def _open_database(settings: Settings) -> Engine:
    """An engine on the configured database once it is known to be migrated, else exit 1."""
    _ready(settings)
    return make_engine(settings)


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load a small demo world (idempotent) and print how to log in."""
    from app.demo import DEMO_LOGINS, DemoRefused, refuse_in_production, seed

    settings = _settings()
    try:
        refuse_in_production(settings.environment)
    except DemoRefused as exc:
        _fail(str(exc))
    _ready(settings)
    asyncio.run(_in_one_transaction(settings, seed))
    console.print("[bold green]Demo data ready.[/] Log in with:")
    for who, how in DEMO_LOGINS:
        console.print(f"  [bold]{who}[/]: {how}")


@cli.command("create-admin")
def create_admin(
    username: str,
    password: str | None = typer.Option(
        None, help="Asked for (hidden, twice) when not given.", show_default=False
    ),
) -> None:
    """Create an admin user unless one of that name exists."""
    from app.auth.models import User
    from app.users.service import ensure_first_admin

    settings = _settings()
    _ready(settings)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise typer.BadParameter("password must be at least 10 characters")

    async def create(session: AsyncSession) -> tuple[bool, User | None]:
        created = await ensure_first_admin(session, username=username, password=password)
        exists = (await session.exec(select(User).where(User.username == username))).first()
        return created, exists

    created, exists = asyncio.run(_in_one_transaction(settings, create))
    console.print(
        "created" if created else f"user {username!r} already exists ({exists and exists.role})"
    )


@cli.command("generate")
def generate(
    size: str = typer.Option("small", help="small (100 kitchens x 30 days) or large (2000 x 60)"),
    seed: int = typer.Option(1, help="The same seed gives the same nation."),
    days: int | None = typer.Option(None, help="Past days of history (default: the size's)."),
    kitchens: int | None = typer.Option(None, help="Kitchens (default: the size's)."),
) -> None:
    """Build a synthetic nation of kitchens in an empty database (COPY on PostgreSQL)."""
    import time

    from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

    from app.synthetic.generator import SIZES, GeneratorError, Plan
    from app.synthetic.generator import generate as build

    if size not in SIZES:
        raise typer.BadParameter(f"size must be one of {', '.join(SIZES)}")
    plan = Plan(kitchens=kitchens or SIZES[size][0], days=days or SIZES[size][1], seed=seed)
    engine = _open_database(_settings())
    started = time.monotonic()
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("kitchens", total=plan.kitchens)
            written = build(engine, plan, progress=lambda n: bar.advance(task, n))
    except GeneratorError as exc:
        console.print(f"[bold red]Cannot generate:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    for table, rows in written.items():
        console.print(f"  {table:<22} {rows:>12,}")
    console.print(
        f"[bold green]Built[/] {plan.kitchens:,} kitchens x {plan.days} days "
        f"in {time.monotonic() - started:.1f} s (seed {seed}, today {plan.today})."
    )


@cli.command("import-tkpi")
def import_tkpi(
    path: Path,
    reclassify: bool = typer.Option(
        False,
        help="Also re-derive commodity, halal status and allergens of the file's foods "
        "that exist already and are not built-in (once, after upgrading Dapur).",
    ),
) -> None:
    """Load or update foods from a TKPI-style CSV; every row not loaded is reported."""
    from rich.progress import Progress

    from app.core.csvfiles import UnreadableFile
    from app.foods.importer import import_tkpi

    engine = _open_database(_settings())
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines, Progress(console=console) as bar:
            task = bar.add_task(f"Importing {path.name}", total=None)
            for session in session_scope(engine):
                report = import_tkpi(
                    session,
                    lines=lines,
                    reclassify=reclassify,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
    except (OSError, UnreadableFile) as exc:
        Console(stderr=True).print(f"[bold red]Cannot import {path}:[/] {exc}")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    for line in report.lines():
        console.print(line, markup=False)


@cli.command("purge-idempotency")
def purge_idempotency() -> None:
    """Delete the stored answers of Idempotency-Keys past their expiry (run it daily)."""
    from app.core.idempotency import purge_expired
    from app.core.types import utcnow

    settings = _settings()
    _ready(settings)

    async def purge(session: AsyncSession) -> int:
        return await purge_expired(session, now=utcnow())

    console.print(f"deleted {asyncio.run(_in_one_transaction(settings, purge))} expired keys")


@cli.command("import-prices")
def import_prices(path: Path) -> None:
    """Load or update food prices from a CSV price list; every row not loaded is reported."""
    from app.core.csvfiles import UnreadableFile
    from app.prices.importer import import_prices

    engine = _open_database(_settings())
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines:
            for session in session_scope(engine):
                report = import_prices(session, lines=lines)
    except (OSError, UnreadableFile) as exc:
        Console(stderr=True).print(f"[bold red]Cannot import {path}:[/] {exc}")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    for line in report.lines():
        console.print(line, markup=False)


async def _in_one_transaction(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run async domain services in one session of the async engine, committed at the end."""
    engine = make_async_engine(settings)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await begin_writing(session)
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def main() -> None:
    cli()
