"""What a health office decides about a kitchen: its hygiene certificate and its suspension.

Both are writes a health office may make on the kitchens of its region (and admin on any).
A suspended kitchen may not plan or approve menus or send deliveries (409
`kitchen_suspended`); meal counts and food-safety records stay open, so what happened can
still be recorded. Every suspension is kept with who suspended it and why, and who
reinstated the kitchen and why.
"""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal
from app.core.errors import Conflict, Invalid
from app.core.localtime import local_today
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.kitchens.models import (
    HygieneCertificate,
    Kitchen,
    KitchenStatus,
    KitchenSuspension,
    SuspensionReason,
)


class KitchenSuspended(Conflict):
    code = "kitchen_suspended"
    description = (
        "The kitchen is suspended by a health office: no menus, approvals or deliveries "
        "until it is reinstated"
    )


class KitchenAlreadySuspended(Conflict):
    code = "kitchen_already_suspended"
    description = "The kitchen is already suspended (reinstate it first to suspend it anew)"


class KitchenNotSuspended(Conflict):
    code = "kitchen_not_suspended"
    description = "The kitchen is not suspended, so there is nothing to reinstate"


def ensure_active(kitchen: Kitchen) -> None:
    """409 `kitchen_suspended` while a health office has the kitchen suspended."""
    if kitchen.status == KitchenStatus.suspended:
        raise KitchenSuspended(
            f"Kitchen {kitchen.code} is suspended since "
            f"{kitchen.suspended_at.isoformat() if kitchen.suspended_at else 'an unknown time'}"
            f": {kitchen.suspension_reason or 'no reason recorded'}"
        )


def certificate_errors(kitchen: Kitchen, data: HygieneCertificate) -> list[dict[str, object]]:
    """Why a certificate cannot be right: issued after it expires, or issued in the future."""
    errors: list[dict[str, object]] = []
    if data.expires_on < data.issued_on:
        errors.append({"loc": ["body", "expires_on"], "msg": "expires_on is before issued_on"})
    today = local_today(kitchen.timezone)
    if data.issued_on > today:
        errors.append(
            {
                "loc": ["body", "issued_on"],
                "msg": f"issued_on lies after the kitchen's today ({today}, {kitchen.timezone})",
            }
        )
    return errors


async def put_certificate(
    session: AsyncSession, *, kitchen: Kitchen, data: HygieneCertificate
) -> Kitchen:
    """Record the kitchen's current hygiene certificate, replacing any earlier one."""
    errors = certificate_errors(kitchen, data)
    if errors:
        raise Invalid(str(errors[0]["msg"]), errors=errors)
    kitchen.hygiene_certificate_number = data.number
    kitchen.hygiene_certificate_issued_on = data.issued_on
    kitchen.hygiene_certificate_expires_on = data.expires_on
    kitchen.updated_at = utcnow()  # a PUT of the same certificate still moves the version
    session.add(kitchen)
    await session.flush()
    return kitchen


async def suspend(
    session: AsyncSession, *, kitchen: Kitchen, principal: Principal, data: SuspensionReason
) -> Kitchen:
    """Suspend an active kitchen, recording who and why (409 if it is suspended already)."""
    if kitchen.status == KitchenStatus.suspended:
        raise KitchenAlreadySuspended(
            f"Kitchen {kitchen.code} is already suspended since {kitchen.suspended_at}"
        )
    now = utcnow()
    kitchen.status = KitchenStatus.suspended.value
    kitchen.suspended_at = now
    kitchen.suspension_reason = data.reason
    session.add(kitchen)
    session.add(
        KitchenSuspension(
            kitchen_id=kitchen.id,
            suspended_at=now,
            suspended_by_kind=principal.kind,
            suspended_by_id=principal.id,
            suspended_by_name=principal.name[:200],
            reason=data.reason,
        )
    )
    await session.flush()
    return kitchen


async def reinstate(
    session: AsyncSession, *, kitchen: Kitchen, principal: Principal, data: SuspensionReason
) -> Kitchen:
    """End the kitchen's suspension, recording who and why (409 if it is not suspended)."""
    if kitchen.status != KitchenStatus.suspended:
        raise KitchenNotSuspended(f"Kitchen {kitchen.code} is not suspended")
    now = utcnow()
    open_ = (
        await session.exec(
            select(KitchenSuspension)
            .where(
                KitchenSuspension.kitchen_id == kitchen.id,
                col(KitchenSuspension.reinstated_at).is_(None),
            )
            .order_by(col(KitchenSuspension.suspended_at).desc())
        )
    ).first()
    if open_ is not None:
        open_.reinstated_at = now
        open_.reinstated_by_kind = principal.kind
        open_.reinstated_by_id = principal.id
        open_.reinstated_by_name = principal.name[:200]
        open_.reinstatement_reason = data.reason
        session.add(open_)
    kitchen.status = KitchenStatus.active.value
    kitchen.suspended_at = None
    kitchen.suspension_reason = None
    session.add(kitchen)
    await session.flush()
    return kitchen


async def list_suspensions(
    session: AsyncSession, *, kitchen: Kitchen, page: PageParams
) -> tuple[list[KitchenSuspension], str | None]:
    """A page of the kitchen's suspensions, oldest first."""
    stmt = select(KitchenSuspension).where(KitchenSuspension.kitchen_id == kitchen.id)
    return await paginate(session, stmt, KitchenSuspension, page)
