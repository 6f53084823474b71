"""Schools a kitchen delivers to, with enrolment by AKG target group."""

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.models import IdTimestamps, Timestamps, Versioned
from app.core.schemas import Patch
from app.nutrition.models import TargetGroup


class SchoolLevel(StrEnum):
    paud = "paud"
    sd = "sd"
    smp = "smp"
    sma = "sma"
    smk = "smk"
    slb = "slb"


# ASCII digits only (`\d` would take Arabic-Indic or fullwidth digits too).
Npsn = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Enrolment = dict[TargetGroup, Annotated[int, PField(ge=0, strict=True)]]


class School(IdTimestamps, Versioned, table=True):
    __tablename__ = "schools"

    kitchen_id: uuid.UUID = Field(foreign_key="kitchens.id", index=True, ondelete="CASCADE")
    npsn: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=200)
    level: str = Field(sa_type=String(8))


class SchoolEnrolment(SQLModel, table=True):
    """Pupils of one target group at one school (one row per group, for SQL sums)."""

    __tablename__ = "school_enrolments"

    school_id: uuid.UUID = Field(foreign_key="schools.id", primary_key=True, ondelete="CASCADE")
    target_group: str = Field(max_length=16, primary_key=True)
    count: int


class SchoolCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "npsn": "20219001",
                    "name": "SD Negeri Cicadas 1",
                    "level": "sd",
                    "enrolment": {"7-9": 120, "10-12-m": 40, "10-12-f": 42},
                }
            ]
        },
    )

    npsn: Npsn
    name: Name
    level: SchoolLevel
    enrolment: Enrolment = {}


class SchoolUpdate(Patch):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"enrolment": {"7-9": 125}}]}
    )

    npsn: Npsn | None = None
    name: Name | None = None
    level: SchoolLevel | None = None
    enrolment: Enrolment | None = None


class SchoolPublic(Timestamps):
    id: uuid.UUID
    kitchen_id: uuid.UUID
    npsn: str
    name: str
    level: SchoolLevel
    enrolment: dict[str, int]
