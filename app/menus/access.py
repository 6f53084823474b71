"""Loading a menu the caller may reach."""

from typing import Annotated

from fastapi import Depends

from app.auth.policy import OPS_READ, OPS_WRITE
from app.kitchens.access import loader
from app.menus.models import Menu
from app.menus.service import menu_tag

# Health offices of the region read menus and their checks; only kitchen staff write.
ReadableMenu = Annotated[Menu, Depends(loader(OPS_READ, Menu, param="menu_id", what="Menu"))]
WritableMenu = Annotated[
    Menu, Depends(loader(OPS_WRITE, Menu, param="menu_id", what="Menu", tag=menu_tag))
]
