"""Loading a school the caller may reach."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from app.auth.deps import CurrentPrincipal
from app.auth.models import Role
from app.core.deps import SessionDep
from app.core.openapi import tag_roles
from app.kitchens.deps import KITCHEN_STAFF, OPS_READ, scoped_object
from app.schools.models import School


def school_access(roles: frozenset[Role]) -> Callable[..., School]:
    def dep(school_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> School:
        school, _ = scoped_object(session, principal, School, school_id, roles=roles, what="School")
        return school

    return tag_roles(dep, roles)


ReadableSchool = Annotated[School, Depends(school_access(OPS_READ))]
WritableSchool = Annotated[School, Depends(school_access(KITCHEN_STAFF))]
