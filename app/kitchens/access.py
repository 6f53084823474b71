"""Loading what a route addresses, under an access policy: the one factory of loaders.

Every route that names an object of a kitchen (the kitchen itself, a school, a menu, an
assignment, ...) gets it from a loader built here from a policy (app/auth/policy.py):

1. authenticate (401) and admit only the policy's roles (403, before anything is read);
2. read the object with its kitchen in one statement; missing, or outside the caller's
   scope, is 404, so nobody learns that another kitchen's objects exist;
3. for a write, lock the object's row for the transaction, compare `If-Match` with its
   current tag (412), and count the write in the kitchen's data version, the ETag of its
   day view (app/dayview).
"""

import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.deps import CurrentPrincipal, ensure_allowed
from app.auth.models import Principal
from app.auth.policy import (
    HEALTH_WRITE,
    INCIDENT_READ,
    KITCHEN_ADMIN,
    KITCHEN_READ,
    OPS_READ,
    OPS_WRITE,
    Policy,
)
from app.core.conditional import ConditionalDep, version_tag
from app.core.deps import SAFE_METHODS, SessionDep
from app.core.errors import NotFound
from app.core.openapi import document_access
from app.core.versions import bump_reference_version
from app.kitchens.models import Kitchen

T = TypeVar("T")
# The tag of an object as its GET gives it: what If-Match is compared with.
TagOf = Callable[[AsyncSession, Any, Any], Awaitable[str]]
_TOUCHED = "kitchens_touched"
_REFERENCE_TOUCHED = "reference_touched"
_LOADED = "kitchens_loaded"


def kitchen_etag(kitchen: Kitchen) -> str:
    """A kitchen's ETag: its row's version, and its hygiene status, which moves with the
    kitchen's calendar (a certificate turns expiring, then expired, with no write)."""
    return version_tag("kitchens", kitchen.id, kitchen.version, kitchen.hygiene_status.value)


def row_etag(obj: Any) -> str:
    """The ETag of an object whose representation is its own row: table, id, version."""
    return version_tag(obj.__tablename__, obj.id, obj.version)


async def kitchen_tag(_: AsyncSession, kitchen: Kitchen, __: Any) -> str:
    """`kitchen_etag` as a loader's tag function."""
    return kitchen_etag(kitchen)


async def row_tag(_: AsyncSession, obj: Any, __: Any) -> str:
    """`row_etag` as a loader's tag function."""
    return row_etag(obj)


async def touch_kitchen(session: AsyncSession, kitchen: Kitchen) -> None:
    """Count a write to the kitchen's data, once per transaction (its row stays locked)."""
    touched: set[uuid.UUID] = session.info.setdefault(_TOUCHED, set())
    if kitchen.id in touched:
        return
    touched.add(kitchen.id)
    new = await session.scalar(
        update(Kitchen)
        .where(Kitchen.id == kitchen.id)  # type: ignore[arg-type]
        # updated_at = itself: the kitchen did not change, only its data did.
        .values(data_version=col(Kitchen.data_version) + 1, updated_at=col(Kitchen.updated_at))
        .returning(col(Kitchen.data_version))
    )
    # Not a change of the kitchen itself: its own version (and ETag) stays.
    set_committed_value(kitchen, "data_version", new)


def visible(principal: Principal, kitchen: Kitchen) -> bool:
    return principal.can_see_kitchen(kitchen.id, kitchen.region_code)


def loader(
    policy: Policy,
    model: type[T],
    *,
    param: str,
    what: str,
    kitchen_id: Any = None,
    joins: tuple[tuple[Any, ColumnElement[bool]], ...] = (),
    tag: TagOf | None = None,
) -> Callable[..., Awaitable[T]]:
    """A dependency loading `model` by the path parameter `param` under `policy`.

    `kitchen_id` is the column naming the object's kitchen (default `model.kitchen_id`),
    reached through `joins` when the object does not hold it itself (an assignment
    through its shift). `tag` gives the object's ETag, for If-Match on writes; without
    it the route does not take If-Match for this object.
    """
    is_kitchen = model is Kitchen
    column = Kitchen.id if is_kitchen else (kitchen_id or model.kitchen_id)  # type: ignore[attr-defined]

    async def load(
        request: Request,
        principal: CurrentPrincipal,
        session: SessionDep,
        cond: ConditionalDep,
        **path: uuid.UUID,
    ) -> T:
        ensure_allowed(principal, policy)
        write = request.method not in SAFE_METHODS
        if is_kitchen:
            stmt: Any = select(Kitchen).where(Kitchen.id == path[param])  # type: ignore[arg-type]
        else:
            stmt = select(model, Kitchen)
            for target, onclause in joins:
                stmt = stmt.join(target, onclause)
            stmt = stmt.join(Kitchen, Kitchen.id == column).where(model.id == path[param])  # type: ignore[attr-defined]
        if write:
            # The kitchen's row first, then the object's, in one statement: every write of
            # a kitchen queues on its kitchen before it holds anything else, so two writes
            # never wait on each other crosswise (deadlock).
            stmt = stmt.with_for_update(of=(Kitchen,) if is_kitchen else (Kitchen, model))
        row = (await session.execute(stmt)).first()
        if row is None:
            raise NotFound(what)
        obj, kitchen = (row[0], row[0]) if is_kitchen else (row[0], row[1])
        if not visible(principal, kitchen):
            raise NotFound(what)
        # The identity map holds objects weakly: keep the kitchen for the request, so the
        # services' `session.get(Kitchen, obj.kitchen_id)` is answered without a query.
        session.info.setdefault(_LOADED, []).append(kitchen)
        if write:
            if tag is not None:
                cond.require(await tag(session, obj, kitchen))
            await touch_kitchen(session, kitchen)
        return obj  # type: ignore[no-any-return]

    return document_access(_with_path_parameter(load, param), policy)


def row_loader(
    policy: Policy,
    model: type[T],
    *,
    param: str,
    what: str,
    tag: TagOf | None = row_tag,
    reference: bool = False,
) -> Callable[..., Awaitable[T]]:
    """A dependency loading `model` by `param` under a policy that is not kitchen-scoped
    (users, foods, nutrition targets, ...): 403 for other roles, 404 when missing.

    Writes lock the row and compare If-Match with `tag`; a `reference` row's writes count
    in the reference data's version (app/core/versions.py).
    """

    async def load(
        request: Request,
        principal: CurrentPrincipal,
        session: SessionDep,
        cond: ConditionalDep,
        **path: uuid.UUID,
    ) -> T:
        ensure_allowed(principal, policy)
        write = request.method not in SAFE_METHODS
        obj = await session.get(model, path[param], with_for_update=write)
        if obj is None:
            raise NotFound(what)
        if write:
            if tag is not None:
                cond.require(await tag(session, obj, None))
            if reference:
                await touch_reference(session)
        return obj

    return document_access(_with_path_parameter(load, param), policy)


async def touch_reference(session: AsyncSession) -> None:
    """Count a write to reference data, once per transaction."""
    if not session.info.get(_REFERENCE_TOUCHED):
        session.info[_REFERENCE_TOUCHED] = True
        await bump_reference_version(session)


def _with_path_parameter(load: Callable[..., Any], param: str) -> Callable[..., Any]:
    """Give `load(**path)` the signature FastAPI reads: `param` from the path, then the rest."""
    parameters = [
        inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=uuid.UUID),
        *[
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(load).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD
        ],
    ]
    load.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return load


def kitchen_loader(
    policy: Policy, *, tag: TagOf | None = None
) -> Callable[..., Awaitable[Kitchen]]:
    """A dependency loading the kitchen of `{kitchen_id}` under `policy`."""
    return loader(policy, Kitchen, param="kitchen_id", what="Kitchen", tag=tag)


# Any role that may see the kitchen at all (offices: kitchens in their region).
VisibleKitchen = Annotated[Kitchen, Depends(kitchen_loader(KITCHEN_READ))]
# The kitchen itself, changed by admin (If-Match on its own ETag).
AdministeredKitchen = Annotated[Kitchen, Depends(kitchen_loader(KITCHEN_ADMIN, tag=kitchen_tag))]
# Schools, menus, meal counts, food safety: read.
OpsReadKitchen = Annotated[Kitchen, Depends(kitchen_loader(OPS_READ))]
# Operations writes, and staff, shifts and timesheets (read and write).
ManagedKitchen = Annotated[Kitchen, Depends(kitchen_loader(OPS_WRITE))]
# A health office's actions on a kitchen of its region.
HealthKitchen = Annotated[Kitchen, Depends(kitchen_loader(HEALTH_WRITE))]
# The same, changing the kitchen itself (certificate, suspension): If-Match on its ETag.
HealthAdministeredKitchen = Annotated[
    Kitchen, Depends(kitchen_loader(HEALTH_WRITE, tag=kitchen_tag))
]
IncidentKitchen = Annotated[Kitchen, Depends(kitchen_loader(INCIDENT_READ))]
