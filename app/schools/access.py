"""Loading a school the caller may reach."""

from typing import Annotated

from fastapi import Depends

from app.auth.policy import OPS_READ, OPS_WRITE
from app.kitchens.access import loader, row_tag
from app.schools.models import School

ReadableSchool = Annotated[
    School, Depends(loader(OPS_READ, School, param="school_id", what="School"))
]
WritableSchool = Annotated[
    School, Depends(loader(OPS_WRITE, School, param="school_id", what="School", tag=row_tag))
]
