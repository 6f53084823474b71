"""HTTP for kitchen staff."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.kitchens.deps import ManagedKitchen
from app.staff import service
from app.staff.deps import ManagedStaff
from app.staff.models import StaffCreate, StaffPublic, StaffRole, StaffUpdate

router = APIRouter(tags=["staff"])


@router.post(
    "/kitchens/{kitchen_id}/staff",
    status_code=status.HTTP_201_CREATED,
    summary="Add a staff member to a kitchen",
)
def create_staff(kitchen: ManagedKitchen, data: StaffCreate, session: SessionDep) -> StaffPublic:
    staff = service.create_staff(session, kitchen=kitchen, data=data)
    return StaffPublic.model_validate(staff, from_attributes=True)


@router.get("/kitchens/{kitchen_id}/staff", summary="List a kitchen's staff")
def list_staff(
    kitchen: ManagedKitchen,
    session: SessionDep,
    page: PageDep,
    role: Annotated[StaffRole | None, Query(description="Only staff of this role")] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) staff")] = None,
) -> Page[StaffPublic]:
    rows, cursor = service.list_staff(session, kitchen=kitchen, role=role, active=active, page=page)
    items = [StaffPublic.model_validate(s, from_attributes=True) for s in rows]
    return Page(items=items, next_cursor=cursor)


@router.get("/staff/{staff_id}", summary="Get a staff member")
def get_staff(staff: ManagedStaff) -> StaffPublic:
    return StaffPublic.model_validate(staff, from_attributes=True)


@router.patch("/staff/{staff_id}", summary="Update a staff member")
def update_staff(staff: ManagedStaff, data: StaffUpdate, session: SessionDep) -> StaffPublic:
    staff = service.update_staff(session, staff=staff, data=data)
    return StaffPublic.model_validate(staff, from_attributes=True)


@router.delete(
    "/staff/{staff_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a staff member (their history is kept)",
)
def deactivate_staff(staff: ManagedStaff, session: SessionDep) -> Response:
    service.deactivate_staff(session, staff=staff)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
