"""`python -m tests.ops.pg_ready URL`: one clear line and exit 1 when PostgreSQL does not answer.

`make test-postgres` runs it first, so an unreachable server gives that line instead of an
error in every test.
"""

import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError


def main(url: str) -> int:
    """0 after naming the database when it answers, else 1 after saying why on stderr."""
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(
            f"PostgreSQL is unreachable at {shown}: {reason}. "
            "Start it, or point TEST_DATABASE_URL at one that runs.",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    print(f"== PostgreSQL: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
