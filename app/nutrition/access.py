"""Loading nutrition targets (by group code) and the rule rows under their policies.

Both are reference data: everyone reads them, admin writes them. A write locks the rows,
compares If-Match with their current tag and counts in the reference data's version
(app/core/versions.py), as `row_loader` does for rows addressed by id.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import select

from app.auth.deps import CurrentPrincipal, ensure_allowed
from app.auth.policy import ANYONE, REFERENCE_WRITE, Policy
from app.core.conditional import ConditionalDep
from app.core.deps import SAFE_METHODS, SessionDep
from app.core.errors import NotFound
from app.core.openapi import document_access
from app.kitchens.access import row_etag, touch_reference
from app.nutrition.models import NutritionRule, NutritionTarget
from app.nutrition.service import rule_rows, rules_tag


def target_loader(policy: Policy) -> Callable[..., Awaitable[NutritionTarget]]:
    """A dependency loading the target of the path's group `code` under `policy`."""

    async def load(
        code: str,
        request: Request,
        principal: CurrentPrincipal,
        session: SessionDep,
        cond: ConditionalDep,
    ) -> NutritionTarget:
        ensure_allowed(principal, policy)
        write = request.method not in SAFE_METHODS
        stmt = select(NutritionTarget).where(NutritionTarget.code == code)
        if write:
            stmt = stmt.with_for_update()
        target = (await session.exec(stmt)).first()
        if target is None:
            raise NotFound("Nutrition target")
        if write:
            cond.require(row_etag(target))
            await touch_reference(session)
        return target

    return document_access(load, policy)


async def _writable_rules(
    principal: CurrentPrincipal, session: SessionDep, cond: ConditionalDep
) -> list[NutritionRule]:
    """The rule rows locked for a write, after If-Match was compared with their tag."""
    ensure_allowed(principal, REFERENCE_WRITE)
    rows = await rule_rows(session, lock=True)
    cond.require(rules_tag(rows))
    await touch_reference(session)
    return rows


ReadableTarget = Annotated[NutritionTarget, Depends(target_loader(ANYONE))]
WritableTarget = Annotated[NutritionTarget, Depends(target_loader(REFERENCE_WRITE))]
WritableRules = Annotated[
    list[NutritionRule], Depends(document_access(_writable_rules, REFERENCE_WRITE))
]
