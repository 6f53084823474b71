"""Loading a food: everyone reads, admin writes (reference data)."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import gate
from app.auth.models import Principal
from app.auth.policy import ANYONE, REFERENCE_WRITE
from app.foods.models import Food
from app.kitchens.access import row_loader

ReadableFood = Annotated[Food, Depends(row_loader(ANYONE, Food, param="food_id", what="Food"))]
WritableFood = Annotated[
    Food,
    Depends(row_loader(REFERENCE_WRITE, Food, param="food_id", what="Food", reference=True)),
]
# Admin, writing reference data that no row addresses yet (a new food).
ReferenceWriter = Annotated[Principal, Depends(gate(REFERENCE_WRITE))]
