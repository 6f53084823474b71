"""The `dapur` command (also `python -m app`): operator tasks beside the web service."""

from pathlib import Path

import typer
from rich.console import Console
from sqlmodel import select

from app.core.config import get_settings
from app.core.db import make_engine, session_scope

cli = typer.Typer(
    help="Dapur operator commands.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console(soft_wrap=True)


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load a small demo world (idempotent) and print how to log in."""
    from app.demo import DEMO_LOGINS, seed

    engine = make_engine(get_settings())
    for session in session_scope(engine):
        seed(session)
    engine.dispose()
    console.print("[bold green]Demo data ready.[/] Log in at http://localhost:8000/docs with:")
    for who, how in DEMO_LOGINS:
        console.print(f"  [bold]{who}[/]: {how}")


@cli.command("create-admin")
def create_admin(
    username: str, password: str = typer.Option(..., prompt=True, hide_input=True)
) -> None:
    """Create an admin user unless one of that name exists."""
    from app.users.models import User
    from app.users.service import ensure_first_admin

    if len(password) < 10:
        raise typer.BadParameter("password must be at least 10 characters")
    engine = make_engine(get_settings())
    for session in session_scope(engine):
        created = ensure_first_admin(session, username=username, password=password)
        exists = session.exec(select(User).where(User.username == username)).first()
    engine.dispose()
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
    engine = make_engine(get_settings())
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

    from app.foods.importer import UnreadableFile, import_tkpi

    engine = make_engine(get_settings())
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


def main() -> None:
    cli()
