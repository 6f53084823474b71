"""Log lines carry the request id, so an error reported by a client can be found."""

import logging

from app.core.requestid import current_request_id


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class _AccessLogRequestId(logging.Filter):
    """Appends the request id to uvicorn's access-log lines (its format is its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id()
        if request_id and isinstance(record.args, tuple) and "request_id=" not in str(record.msg):
            record.msg = f"{record.msg} request_id=%s"
            record.args = (*record.args, request_id)
        return True


def configure_logging(level: str) -> None:
    """Plain lines on stderr: time, level, logger, request id, message."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger("app")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _AccessLogRequestId) for f in access.filters):
        access.addFilter(_AccessLogRequestId())
