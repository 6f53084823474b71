"""Region codes (Permendagri): province `32`, regency `32.73`, district `32.73.01`, village
`32.73.01.2001`. A region contains itself and every code that starts with it and a dot;
`None` is the whole nation. The one home of that rule, in Python and in SQL."""

import re
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import ColumnElement, or_, true

# ASCII digits only: `\d` would also take Arabic-Indic or fullwidth digits, which no
# office's region filter would ever match.
REGION_CODE_PATTERN = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$"
REGION_CODE_RE = re.compile(REGION_CODE_PATTERN)
# Characters of a code that name a province, a regency or a district.
LEVEL_LENGTH = {"province": 2, "regency": 5, "district": 8}

RegionCode = Annotated[str, StringConstraints(pattern=REGION_CODE_PATTERN)]


def region_contains(outer: str | None, inner: str | None) -> bool:
    """True when region `inner` lies within `outer` (None is the whole nation)."""
    if outer is None:
        return True
    if inner is None:
        return False
    return inner == outer or inner.startswith(outer + ".")


def region_filter(column: Any, region_code: str | None) -> ColumnElement[bool]:
    """SQL for `column` lying within a region; None is the whole nation."""
    if region_code is None:
        return true()
    return or_(column == region_code, column.startswith(region_code + "."))


def region_within(inner: Any, outer: Any) -> ColumnElement[bool]:
    """SQL for region `inner` lying within region `outer`, both columns (or expressions)."""
    return or_(inner == outer, inner.startswith(outer + "."))
