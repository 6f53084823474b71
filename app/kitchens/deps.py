"""Loading a kitchen the caller may see: the one scope check every kitchen route uses.

The order is the contract's: a role that may never do this gets 403 first; an object that
does not exist or lies outside the caller's scope then gets 404, so nobody learns that
another kitchen's objects exist.
"""

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CredentialsDep, authenticate
from app.auth.models import Principal, Role
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Forbidden, NotFound
from app.core.openapi import tag_roles
from app.kitchens.models import Kitchen

T = TypeVar("T")

ALL_ROLES = frozenset(Role)
# Schools, menus, meal counts, food-safety checks: health offices read, nobody else.
OPS_READ = frozenset({Role.admin, Role.kitchen_manager, Role.health_office})
# Writes to a kitchen's operations, and anything with staff personal data.
KITCHEN_STAFF = frozenset({Role.admin, Role.kitchen_manager})


def ensure_role(principal: Principal, roles: frozenset[Role]) -> None:
    """403 unless the caller's role is one of `roles`."""
    if principal.role not in roles:
        raise Forbidden(f"The {principal.role.value} role may not do this", code="role_forbidden")


def visible_kitchen(session: Session, principal: Principal, kitchen_id: uuid.UUID) -> Kitchen:
    """The kitchen if it exists and lies in the caller's scope, else 404."""
    kitchen = session.get(Kitchen, kitchen_id)
    if kitchen is None or not principal.can_see_kitchen(kitchen.id, kitchen.region_code):
        raise NotFound("Kitchen")
    return kitchen


def scoped_object(
    session: Session,
    principal: Principal,
    model: type[T],
    object_id: uuid.UUID,
    *,
    roles: frozenset[Role],
    what: str,
) -> tuple[T, Kitchen]:
    """An object with a `kitchen_id`, and its kitchen, if the caller may reach it.

    403 when the role may not touch this kind of object at all; 404 when the object is
    missing or belongs to a kitchen outside the caller's scope.
    """
    ensure_role(principal, roles)
    obj = session.get(model, object_id)
    kitchen_id: Any = getattr(obj, "kitchen_id", None) if obj is not None else None
    kitchen = session.get(Kitchen, kitchen_id) if kitchen_id is not None else None
    if (
        obj is None
        or kitchen is None
        or not principal.can_see_kitchen(kitchen.id, kitchen.region_code)
    ):
        raise NotFound(what)
    return obj, kitchen


def kitchen_access(roles: frozenset[Role]) -> Callable[..., Coroutine[Any, Any, Kitchen]]:
    """A dependency loading `{kitchen_id}` from the path for callers in `roles`.

    The caller and the kitchen are read in one worker-thread hop: every kitchen route runs
    this, and each hop costs about as much as a query.
    """

    async def dep(
        kitchen_id: uuid.UUID,
        request: Request,
        presented: CredentialsDep,
        session: SessionDep,
        settings: SettingsDep,
    ) -> Kitchen:
        def load() -> Kitchen:
            principal = authenticate(request, session, settings, presented)
            ensure_role(principal, roles)
            return visible_kitchen(session, principal, kitchen_id)

        return await run_in_threadpool(load)

    return tag_roles(dep, roles)


# Any role that may see the kitchen at all (offices: kitchens in their region).
VisibleKitchen = Annotated[Kitchen, Depends(kitchen_access(ALL_ROLES))]
# Schools, menus, meal counts, food safety: read.
OpsReadKitchen = Annotated[Kitchen, Depends(kitchen_access(OPS_READ))]
# Operations writes, and staff, shifts and timesheets (read and write).
ManagedKitchen = Annotated[Kitchen, Depends(kitchen_access(KITCHEN_STAFF))]
