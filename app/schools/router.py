"""HTTP for schools."""

from fastapi import APIRouter, status

from app.core.deps import SessionDep
from app.core.pagination import Page, PageDep
from app.kitchens.deps import ManagedKitchen, OpsReadKitchen
from app.schools import service
from app.schools.deps import ReadableSchool, WritableSchool
from app.schools.models import SchoolCreate, SchoolPublic, SchoolUpdate

router = APIRouter(tags=["schools"])


@router.post(
    "/kitchens/{kitchen_id}/schools",
    status_code=status.HTTP_201_CREATED,
    summary="Add a school a kitchen delivers to",
    responses={409: {"description": "`npsn_taken`"}},
)
def create_school(kitchen: ManagedKitchen, data: SchoolCreate, session: SessionDep) -> SchoolPublic:
    return service.create_school(session, kitchen=kitchen, data=data)


@router.get("/kitchens/{kitchen_id}/schools", summary="List a kitchen's schools")
def list_schools(kitchen: OpsReadKitchen, session: SessionDep, page: PageDep) -> Page[SchoolPublic]:
    items, cursor = service.list_schools(session, kitchen=kitchen, page=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/schools/{school_id}", summary="Get a school")
def get_school(school: ReadableSchool, session: SessionDep) -> SchoolPublic:
    return service.get_school(session, school=school)


@router.patch(
    "/schools/{school_id}",
    summary="Update a school",
    responses={409: {"description": "`npsn_taken`"}},
)
def update_school(school: WritableSchool, data: SchoolUpdate, session: SessionDep) -> SchoolPublic:
    return service.update_school(session, school=school, data=data)
