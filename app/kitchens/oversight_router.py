"""HTTP for a health office's decisions on a kitchen: hygiene certificate and suspension."""

from app.auth.deps import CurrentPrincipal
from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.kitchens import oversight
from app.kitchens.access import HealthAdministeredKitchen, OpsReadKitchen, kitchen_etag
from app.kitchens.models import (
    HygieneCertificate,
    KitchenPublic,
    KitchenSuspensionPublic,
    SuspensionReason,
)
from app.kitchens.oversight import KitchenAlreadySuspended, KitchenNotSuspended

router = api_router(tags=["kitchens"])


@router.put(
    "/kitchens/{kitchen_id}/hygiene-certificate",
    summary="Record a kitchen's hygiene certificate (admin, health office of its region)",
)
async def put_hygiene_certificate(
    kitchen: HealthAdministeredKitchen,
    data: HygieneCertificate,
    session: SessionDep,
    cond: ConditionalDep,
) -> KitchenPublic:
    kitchen = await oversight.put_certificate(session, kitchen=kitchen, data=data)
    cond.tag(kitchen_etag(kitchen))
    return KitchenPublic.model_validate(kitchen)


@router.post(
    "/kitchens/{kitchen_id}/suspension",
    summary="Suspend a kitchen (admin, health office of its region)",
    responses=problems(KitchenAlreadySuspended),
)
async def suspend_kitchen(
    kitchen: HealthAdministeredKitchen,
    principal: CurrentPrincipal,
    data: SuspensionReason,
    session: SessionDep,
    cond: ConditionalDep,
) -> KitchenPublic:
    kitchen = await oversight.suspend(session, kitchen=kitchen, principal=principal, data=data)
    cond.tag(kitchen_etag(kitchen))
    return KitchenPublic.model_validate(kitchen)


@router.delete(
    "/kitchens/{kitchen_id}/suspension",
    summary="Reinstate a suspended kitchen (admin, health office of its region)",
    responses=problems(KitchenNotSuspended),
)
async def reinstate_kitchen(
    kitchen: HealthAdministeredKitchen,
    principal: CurrentPrincipal,
    data: SuspensionReason,
    session: SessionDep,
    cond: ConditionalDep,
) -> KitchenPublic:
    kitchen = await oversight.reinstate(session, kitchen=kitchen, principal=principal, data=data)
    cond.tag(kitchen_etag(kitchen))
    return KitchenPublic.model_validate(kitchen)


@router.get(
    "/kitchens/{kitchen_id}/suspensions",
    summary="A kitchen's suspensions: who suspended and reinstated it, and why",
)
async def list_suspensions(
    kitchen: OpsReadKitchen, session: SessionDep, page: PageDep
) -> Page[KitchenSuspensionPublic]:
    rows, cursor = await oversight.list_suspensions(session, kitchen=kitchen, page=page)
    return Page(items=[KitchenSuspensionPublic.model_validate(r) for r in rows], next_cursor=cursor)
