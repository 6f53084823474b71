"""Kitchens: creation, scoped listing, updates."""

from typing import Any

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import Principal, Role
from app.core.errors import Conflict
from app.core.pagination import PageParams, paginate
from app.kitchens.models import Kitchen, KitchenCreate, KitchenUpdate


def region_filter(column: Any, region_code: str | None) -> ColumnElement[bool]:
    """SQL for `column` lying within a region (a Permendagri code prefix); None is national."""
    if region_code is None:
        return true()
    return or_(column == region_code, col(column).startswith(region_code + "."))


def scope_filter(principal: Principal) -> ColumnElement[bool]:
    """SQL restricting kitchens to those the caller may see."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.kitchen_manager:
        return col(Kitchen.id).in_(principal.kitchen_ids)
    return region_filter(Kitchen.region_code, principal.region_code)


def _ensure_code_free(session: Session, code: str, *, exclude: Kitchen | None = None) -> None:
    other = session.exec(select(Kitchen).where(Kitchen.code == code)).first()
    if other is not None and other is not exclude:
        raise Conflict(f"Kitchen code {code!r} is already taken", code="kitchen_code_taken")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race
        raise Conflict("Kitchen code is already taken", code="kitchen_code_taken") from exc


def create_kitchen(session: Session, *, data: KitchenCreate) -> Kitchen:
    """A new kitchen; its code must be unused."""
    _ensure_code_free(session, data.code)
    kitchen = Kitchen(**data.model_dump())
    session.add(kitchen)
    _flush(session)
    return kitchen


def list_kitchens(
    session: Session, *, principal: Principal, region_code: str | None, page: PageParams
) -> tuple[list[Kitchen], str | None]:
    """The kitchens the caller may see, optionally within a region."""
    stmt = select(Kitchen).where(scope_filter(principal))
    if region_code:
        stmt = stmt.where(region_filter(Kitchen.region_code, region_code))
    return paginate(session, stmt, Kitchen, page)


def update_kitchen(session: Session, *, kitchen: Kitchen, data: KitchenUpdate) -> Kitchen:
    """Apply the fields the client sent."""
    changes = data.model_dump(exclude_unset=True)
    for field in ("code", "name", "region_code", "timezone"):
        if field in changes and changes[field] is None:
            changes.pop(field)  # required fields cannot be cleared
    if "code" in changes and changes["code"] != kitchen.code:
        _ensure_code_free(session, changes["code"], exclude=kitchen)
    for field, value in changes.items():
        setattr(kitchen, field, value)
    session.add(kitchen)
    _flush(session)
    return kitchen
