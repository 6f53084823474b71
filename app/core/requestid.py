"""The request id of the request being served, for log lines and problem bodies.

It is set by the edge middleware (app/core/edge.py) from `X-Request-ID` or made fresh.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


@contextmanager
def request_id_context(request_id: str) -> Iterator[None]:
    """Serve a request under `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)
