"""Columns every table shares: a server-made UUID and UTC timestamps."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class IdTimestamps(SQLModel):
    """Mixed into every table: `id`, `created_at`, `updated_at` (set on every update)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Timestamps(BaseModel):
    """What every public resource returns besides its own fields.

    A plain pydantic model, not an SQLModel: public shapes are validated on every response,
    and SQLModel's Python-level __init__ made each nested one (a shift's assignments, say)
    several times dearer. Read from ORM objects as SQLModel models are (`from_attributes`).
    """

    model_config = ConfigDict(from_attributes=True)

    created_at: datetime
    updated_at: datetime


class Versioned(SQLModel):
    """Mixed into every table whose rows are written through PATCH or PUT.

    `version` is SQLAlchemy's version counter: every ORM UPDATE of the row sets it one
    higher, on the condition that it still holds the version this session read, so no
    write is lost between a read and an update. ETags derive from it (conditional.py).
    """

    version: int = Field(default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
