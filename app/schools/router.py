"""HTTP for schools."""

from fastapi import status

from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.pagination import Page, PageDep
from app.core.routing import api_router
from app.kitchens.access import ManagedKitchen, OpsReadKitchen, row_etag
from app.schools import service
from app.schools.access import ReadableSchool, WritableSchool
from app.schools.models import SchoolCreate, SchoolPublic, SchoolUpdate
from app.schools.service import NpsnTaken

router = api_router(tags=["schools"])


@router.post(
    "/kitchens/{kitchen_id}/schools",
    status_code=status.HTTP_201_CREATED,
    summary="Add a school a kitchen delivers to",
    responses=problems(NpsnTaken),
)
async def create_school(
    kitchen: ManagedKitchen, data: SchoolCreate, session: SessionDep
) -> SchoolPublic:
    return await service.create_school(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/schools", summary="List a kitchen's schools")
async def list_schools(
    kitchen: OpsReadKitchen, session: SessionDep, page: PageDep
) -> Page[SchoolPublic]:
    items, cursor = await service.list_schools(session, kitchen=kitchen, page=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/schools/{school_id}", summary="Get a school")
async def get_school(
    school: ReadableSchool, session: SessionDep, cond: ConditionalDep
) -> SchoolPublic:
    cond.tag(row_etag(school))
    return await service.get_school(session, school=school)


@router.patch("/schools/{school_id}", summary="Update a school", responses=problems(NpsnTaken))
async def update_school(
    school: WritableSchool, data: SchoolUpdate, session: SessionDep, cond: ConditionalDep
) -> SchoolPublic:
    public = await service.update_school(session, school=school, data=data)
    cond.tag(row_etag(school))
    return public
