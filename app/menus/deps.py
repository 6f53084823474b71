"""Loading a menu the caller may reach."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from app.auth.deps import CurrentPrincipal
from app.auth.models import Role
from app.core.deps import SessionDep
from app.kitchens.deps import KITCHEN_STAFF, OPS_READ, scoped_object
from app.menus.models import Menu


def menu_access(roles: frozenset[Role]) -> Callable[..., Menu]:
    def dep(menu_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> Menu:
        menu, _ = scoped_object(session, principal, Menu, menu_id, roles=roles, what="Menu")
        return menu

    return dep


# Health offices of the region read menus and their checks; only kitchen staff write.
ReadableMenu = Annotated[Menu, Depends(menu_access(OPS_READ))]
WritableMenu = Annotated[Menu, Depends(menu_access(KITCHEN_STAFF))]
