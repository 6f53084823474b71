"""Who may record a price: admin and kitchen managers (the service narrows a manager to
the kitchens in their care, and to the kitchen's own prices)."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import gate
from app.auth.models import Principal
from app.auth.policy import PRICES_WRITE

PriceWriter = Annotated[Principal, Depends(gate(PRICES_WRITE))]
