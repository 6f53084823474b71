"""Loading a food-safety check the caller may read."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.deps import CurrentPrincipal
from app.core.deps import SessionDep
from app.foodsafety.models import FoodSafetyCheck
from app.kitchens.deps import OPS_READ, scoped_object


def readable_check(
    check_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> FoodSafetyCheck:
    check, _ = scoped_object(
        session, principal, FoodSafetyCheck, check_id, roles=OPS_READ, what="Food-safety check"
    )
    return check


ReadableCheck = Annotated[FoodSafetyCheck, Depends(readable_check)]
