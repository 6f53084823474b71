"""HTTP for kitchen staff."""

from typing import Annotated

from fastapi import Query, Response, status

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.kitchens.access import ManagedKitchen, row_etag
from app.staff import service
from app.staff.access import ManagedStaff
from app.staff.models import StaffCreate, StaffPublic, StaffRole, StaffUpdate

router = api_router(tags=["staff"])


@router.post(
    "/kitchens/{kitchen_id}/staff",
    status_code=status.HTTP_201_CREATED,
    summary="Add a staff member to a kitchen",
)
async def create_staff(
    kitchen: ManagedKitchen, data: StaffCreate, session: SessionDep
) -> StaffPublic:
    staff = await service.create_staff(session, kitchen=kitchen, data=data)
    return StaffPublic.model_validate(staff)


@router.get("/kitchens/{kitchen_id}/staff", summary="List a kitchen's staff")
async def list_staff(
    kitchen: ManagedKitchen,
    session: SessionDep,
    page: PageDep,
    role: Annotated[StaffRole | None, Query(description="Only staff of this role")] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) staff")] = None,
) -> Page[StaffPublic]:
    rows, cursor = await service.list_staff(
        session, kitchen=kitchen, role=role, active=active, page=page
    )
    return Page(items=[StaffPublic.model_validate(s) for s in rows], next_cursor=cursor)


@router.get("/staff/{staff_id}", summary="Get a staff member")
async def get_staff(staff: ManagedStaff, session: SessionDep, cond: ConditionalDep) -> StaffPublic:
    cond.tag(row_etag(staff))
    return StaffPublic.model_validate(staff)


@router.patch("/staff/{staff_id}", summary="Update a staff member")
async def update_staff(
    staff: ManagedStaff, data: StaffUpdate, session: SessionDep, cond: ConditionalDep
) -> StaffPublic:
    staff = await service.update_staff(session, staff=staff, data=data)
    cond.tag(row_etag(staff))
    return StaffPublic.model_validate(staff)


@router.delete(
    "/staff/{staff_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a staff member (their history is kept)",
)
async def deactivate_staff(staff: ManagedStaff, session: SessionDep) -> Response:
    await service.deactivate_staff(session, staff=staff)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
