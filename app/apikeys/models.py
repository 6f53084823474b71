"""API keys for machine clients of health and agriculture offices."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import String
from sqlmodel import Field

from app.auth.models import REGION_CODE_PATTERN, Role
from app.core.models import IdTimestamps, Timestamps
from app.core.types import UTCDateTime


class ApiKey(IdTimestamps, table=True):
    __tablename__ = "api_keys"

    name: str = Field(max_length=200)
    role: str = Field(sa_type=String(32))
    region_code: str | None = Field(default=None, max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=12)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Dinkes Kota Bandung DHIS2",
                    "role": "health_office",
                    "region_code": "32.73",
                }
            ]
        },
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: Literal[Role.health_office, Role.agriculture_office]
    region_code: Annotated[str, StringConstraints(pattern=REGION_CODE_PATTERN)] | None = None


class ApiKeyPublic(Timestamps):
    id: uuid.UUID
    name: str
    role: Role
    region_code: str | None
    key_prefix: str
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str
