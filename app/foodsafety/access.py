"""Loading a food-safety check the caller may reach."""

from typing import Annotated

from fastapi import Depends

from app.auth.policy import OPS_READ, OPS_WRITE
from app.foodsafety.models import FoodSafetyCheck
from app.kitchens.access import loader, row_tag

WHAT = "Food-safety check"

ReadableCheck = Annotated[
    FoodSafetyCheck, Depends(loader(OPS_READ, FoodSafetyCheck, param="check_id", what=WHAT))
]
WritableCheck = Annotated[
    FoodSafetyCheck,
    Depends(loader(OPS_WRITE, FoodSafetyCheck, param="check_id", what=WHAT, tag=row_tag)),
]
