"""Loading a delivery the caller may reach."""

from typing import Annotated

from fastapi import Depends

from app.auth.policy import OPS_READ, OPS_WRITE
from app.deliveries.models import Delivery
from app.deliveries.service import delivery_tag
from app.kitchens.access import loader

# Health offices of the region read deliveries; the kitchen's staff (the driver, through
# the manager's app) write them.
ReadableDelivery = Annotated[
    Delivery, Depends(loader(OPS_READ, Delivery, param="delivery_id", what="Delivery"))
]
WritableDelivery = Annotated[
    Delivery,
    Depends(loader(OPS_WRITE, Delivery, param="delivery_id", what="Delivery", tag=delivery_tag)),
]
