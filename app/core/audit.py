"""The audit trail's recording: every successful write under /api/v1, by one mechanism.

Routes do nothing to be audited. The request's session carries the request
(`session.info["request"]`, set by the session dependency); two SQLAlchemy session hooks

- note the objects each flush inserts (the first one a create makes is the created
  resource), and
- add one AuditEvent just before the request's transaction commits.

The event shares the request's transaction on purpose: a write that commits always has
its event, and a request that fails (its transaction rolls back) leaves none. The caller
is read from `request.state.principal` (kind, id, name), which authentication sets.
Reading the trail is the `audit` domain's business (app/audit).
"""

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Field, Session

from app.core.models import IdTimestamps
from app.core.requestid import current_request_id
from app.core.types import utcnow

API_PREFIX = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Logins are recorded by the login itself (it runs its own transaction).
NOT_AUDITED = frozenset({f"{API_PREFIX}/auth/token"})
# Bookkeeping rows, never "the resource" a request created.
BOOKKEEPING_TABLES = frozenset(
    {"audit_events", "idempotency_records", "login_failures", "data_versions"}
)
METHOD_ACTIONS = {"POST": "create", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}
_INSERTED = "audit_inserted"
_REQUEST = "request"
# Set on a session whose write was refused after all (an idempotent refusal is kept).
REFUSED = "refused"


class AuditEvent(IdTimestamps, table=True):
    """One recorded write or login."""

    __tablename__ = "audit_events"

    actor_kind: str = Field(max_length=16)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_name: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=16)
    resource: str = Field(max_length=64, index=True)
    resource_id: str | None = Field(default=None, max_length=64)
    path: str = Field(max_length=500)
    status: int
    request_id: str | None = Field(default=None, max_length=64)


_AUDIT_INSERT = AuditEvent.__table__.insert()  # type: ignore[attr-defined]


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def describe_write(
    *,
    method: str,
    template: str,
    path_params: dict[str, Any],
    status: int,
    created_id: str | None,
) -> tuple[str, str | None, str]:
    """(resource, resource_id, action) of a write, from its route's path template.

    `/kitchens/{kitchen_id}/schools` POST 201 is (schools, <new id>, create);
    `/schools/{school_id}` PATCH is (schools, <school_id>, update);
    `/menus/{menu_id}/approve` POST is (menus, <menu_id>, approve);
    `/kitchens/{kitchen_id}/suspension` DELETE is (kitchens, <kitchen_id>, end_suspension).
    """
    segments = template.removeprefix(API_PREFIX).strip("/").split("/")
    last = segments[-1]
    if _is_param(last):
        resource = segments[-2] if len(segments) > 1 else last.strip("{}")
        return resource, str(path_params.get(last.strip("{}"), "")) or None, METHOD_ACTIONS[method]
    acts_on_object = len(segments) >= 3 and _is_param(segments[-2])
    if acts_on_object and (method == "DELETE" or (method == "POST" and status != 201)):
        # An action on an object (`/menus/{id}/approve`), or its undoing
        # (DELETE `/kitchens/{id}/suspension`: end_suspension).
        action = last if method == "POST" else f"end_{last}"
        return segments[-3], str(path_params.get(segments[-2].strip("{}"), "")) or None, action
    return last, created_id if method == "POST" else None, METHOD_ACTIONS[method]


def _note_inserts(session: OrmSession, _flush: UOWTransaction) -> None:
    if _REQUEST not in session.info:
        return
    inserted: list[Any] = session.info.setdefault(_INSERTED, [])
    inserted.extend(
        obj
        for obj in session.new
        if getattr(obj, "__tablename__", None) not in BOOKKEEPING_TABLES
        and getattr(obj, "id", None) is not None
    )


def _record_before_commit(session: OrmSession) -> None:
    request = session.info.get(_REQUEST)
    if request is None or request.method not in WRITE_METHODS or session.info.get(REFUSED):
        return
    path = request.url.path
    route = request.scope.get("route")
    template: str | None = getattr(route, "path", None)
    if not template or not path.startswith(API_PREFIX + "/") or path in NOT_AUDITED:
        return
    session.info.pop(_REQUEST)  # one event per request, even if something commits twice
    status = getattr(route, "status_code", None) or 200
    inserted = session.info.pop(_INSERTED, [])
    resource, resource_id, action = describe_write(
        method=request.method,
        template=template,
        path_params=request.path_params,
        status=status,
        created_id=str(inserted[0].id) if inserted else None,
    )
    principal = getattr(request.state, "principal", None)
    now = utcnow()
    # A Core insert on the request's connection: one statement, no unit of work to flush.
    session.connection().execute(
        _AUDIT_INSERT,
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "actor_kind": principal.kind if principal else "anonymous",
            "actor_id": principal.id if principal else None,
            "actor_name": principal.name[:200] if principal else None,
            "action": action[:16],
            "resource": resource[:64],
            "resource_id": resource_id[:64] if resource_id else None,
            "path": path[:500],
            "status": status,
            "request_id": current_request_id(),
        },
    )


def install_audit_hooks() -> None:
    """Listen on every Session; sessions without a request in `info` are left alone."""
    if not event.contains(Session, "before_commit", _record_before_commit):
        event.listen(Session, "after_flush", _note_inserts)
        event.listen(Session, "before_commit", _record_before_commit)


def login_event(
    *, user_id: uuid.UUID | None, username: str | None, succeeded: bool, path: str, status: int
) -> AuditEvent:
    """An event for a login attempt; a failed one names the account only if it exists."""
    return AuditEvent(
        actor_kind="user" if succeeded and user_id else "anonymous",
        actor_id=user_id if succeeded else None,
        actor_name=username if succeeded else None,
        action="login" if succeeded else "login_failed",
        resource="auth",
        resource_id=str(user_id) if user_id else None,
        path=path,
        status=status,
        request_id=current_request_id(),
    )
