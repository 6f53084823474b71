"""API keys for machine clients of health and agriculture offices."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.auth.models import Role
from app.core.models import Timestamps
from app.core.regions import RegionCode


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
    region_code: RegionCode | None = None


class ApiKeyPublic(Timestamps):
    id: uuid.UUID
    name: str
    role: Role
    region_code: str | None
    key_prefix: str
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str
