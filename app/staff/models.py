"""Kitchen staff: personal data seen only by admin and the kitchen's managers."""

import uuid
from datetime import date

from sqlmodel import Field

from app.core.models import IdTimestamps


class Staff(IdTimestamps, table=True):
    __tablename__ = "staff"

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", index=True, ondelete="CASCADE")
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    food_handler_cert_expires_on: date | None = None
    health_check_on: date | None = None
    active: bool = True
