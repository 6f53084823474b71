"""Stored responses of POSTs sent with an Idempotency-Key."""

from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field

from app.core.models import IdTimestamps
from app.core.types import UTCDateTime


class IdempotencyRecord(IdTimestamps, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    principal: str = Field(max_length=80)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    state: str = Field(default="in_progress", max_length=16)
    response_status: int | None = None
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    response_content_type: str | None = Field(default=None, max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
