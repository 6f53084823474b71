"""Data versions behind ETags of representations that read more than one row.

A kitchen's `data_version` (on its row, app/kitchens) moves with every write to the
kitchen's data; the reference version below moves with every write to the data every
kitchen reads (foods, national recipes, nutrition targets and rules, prices that are not
a kitchen's own). A day view's tag is made of the two, so answering 304 needs no view.
"""

from sqlalchemy import select, update
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

REFERENCE = "reference"


class DataVersion(SQLModel, table=True):
    """A counter of writes to one body of shared data."""

    __tablename__ = "data_versions"

    scope: str = Field(primary_key=True, max_length=32)
    version: int = Field(default=1, nullable=False)


_REFERENCE_VERSION = select(col(DataVersion.version)).where(col(DataVersion.scope) == REFERENCE)
BUMP_REFERENCE = (
    update(DataVersion)
    .where(col(DataVersion.scope) == REFERENCE)
    .values(version=col(DataVersion.version) + 1)
    .returning(col(DataVersion.version))
)


async def reference_version(session: AsyncSession) -> int:
    """The reference data's version now."""
    return int((await session.execute(_REFERENCE_VERSION)).scalar_one())


async def bump_reference_version(session: AsyncSession) -> int:
    """Count a write to reference data (in the writing transaction); the new version."""
    return int((await session.execute(BUMP_REFERENCE)).scalar_one())
