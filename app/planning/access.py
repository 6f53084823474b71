"""Who may plan a kitchen's menus: its managers and admin (the kitchen operations policy).

The planner is a POST that mostly reads, and then computes for up to its time limit. The
kitchen loaders of app/kitchens/access.py lock the kitchen's row for any POST, which would
make every other write to the kitchen wait for the solver; this dependency applies the same
policy and scope (403 for other roles, 404 outside the caller's scope) without the lock.
The service locks the kitchen itself, and counts the write, only when it writes menus
(`apply`).
"""

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.deps import CurrentPrincipal, ensure_allowed
from app.auth.policy import OPS_WRITE
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.openapi import document_access
from app.kitchens.access import visible
from app.kitchens.models import Kitchen


async def _planning_kitchen(
    kitchen_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Kitchen:
    ensure_allowed(principal, OPS_WRITE)
    kitchen = await session.get(Kitchen, kitchen_id)
    if kitchen is None or not visible(principal, kitchen):
        raise NotFound("Kitchen")
    return kitchen


# The kitchen of `{kitchen_id}` under OPS_WRITE, read without locking it.
PlanningKitchen = Annotated[Kitchen, Depends(document_access(_planning_kitchen, OPS_WRITE))]
