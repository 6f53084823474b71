"""The `dapur` command (also `python -m app`): operator tasks beside the web service."""

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


def main() -> None:
    cli()
