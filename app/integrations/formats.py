"""CSV and DHIS2 renderings of report rows, streamed: written as the rows arrive."""

import csv
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

from fastapi.responses import StreamingResponse

from app.integrations.models import MealCountLevel
from app.nutrition.models import NUTRIENTS

# Characters of text gathered before a chunk goes out.
CHUNK_CHARS = 64 * 1024

# DHIS2 data elements (by code): counts from health/meal-counts ...
COUNT_ELEMENTS = {
    "planned": "MBG_PLANNED",
    "prepared": "MBG_PREPARED",
    "served": "MBG_SERVED",
    "returned": "MBG_RETURNED",
}
# ... and per-portion values of approved menus from health/nutrition.
NUTRITION_ELEMENTS = {
    **{name: f"MBG_{name.upper()}" for name in NUTRIENTS},
    "energy_share": "MBG_ENERGY_SHARE",
    "protein_share": "MBG_PROTEIN_SHARE",
}
CHECK_PASSED_ELEMENT = "MBG_CHECK_PASSED"


class DataValue(TypedDict):
    """One DHIS2 data value, identified by codes (`idScheme=code`); DHIS2's field names."""

    dataElement: str
    period: str
    orgUnit: str
    categoryOptionCombo: str
    attributeOptionCombo: NotRequired[str]
    value: str


# Types the csv module writes as they should read: str() of them, and None as empty.
_CSV_AS_IS = frozenset({str, int, float, date, uuid.UUID, type(None)})


def csv_cell(value: Any) -> Any:
    """A value as CSV text: empty for null, JSON-like for booleans, `;` between list items."""
    kind = type(value)
    if kind in _CSV_AS_IS:
        return value  # the writer itself renders these (None as an empty field)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_chunks(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header line, then one line per row, in chunks of about CHUNK_CHARS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[c]) for c in columns])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    columns: tuple[str, ...], rows: Iterable[dict[str, Any]], *, filename: str
) -> StreamingResponse:
    """A `text/csv` download streamed row by row."""
    return StreamingResponse(
        csv_chunks(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def dhis2_value(value: Any) -> str:
    """A DHIS2 value string: plain decimal notation (no exponent), booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(float(value))).normalize(), "f")


def dhis2_period(day: date) -> str:
    """A DHIS2 daily period: yyyyMMdd."""
    return day.strftime("%Y%m%d")


def meal_count_values(row: dict[str, Any], level: MealCountLevel) -> Iterator[DataValue]:
    """The data values of one meal-count row; unknown (null) counts are left out."""
    org_unit = {
        MealCountLevel.school: "npsn",
        MealCountLevel.kitchen: "kitchen_code",
        MealCountLevel.region: "region_code",
    }[level]
    for field, element in COUNT_ELEMENTS.items():
        if row[field] is not None:
            yield {
                "dataElement": element,
                "period": dhis2_period(row["service_date"]),
                "orgUnit": row[org_unit],
                "categoryOptionCombo": row["target_group"],
                "value": dhis2_value(row[field]),
            }


def nutrition_values(row: dict[str, Any]) -> Iterator[DataValue]:
    """The data values of one nutrition row; the meal type is the attribute option combo,
    so a kitchen's lunch and snack of one day do not overwrite each other."""

    def value(element: str, value: Any) -> DataValue:
        return {
            "dataElement": element,
            "period": dhis2_period(row["service_date"]),
            "orgUnit": row["kitchen_code"],
            "categoryOptionCombo": row["target_group"],
            "attributeOptionCombo": row["meal_type"],
            "value": dhis2_value(value),
        }

    for field, element in NUTRITION_ELEMENTS.items():
        if row[field] is not None:
            yield value(element, row[field])
    if row["status"] is not None:
        yield value(CHECK_PASSED_ELEMENT, row["status"] == "pass")


def dhis2_chunks(values: Iterable[DataValue]) -> Iterator[str]:
    """A `dataValueSets` JSON document, written value by value in chunks of CHUNK_CHARS."""
    buffer = io.StringIO()
    buffer.write('{"dataValues": [')
    separator = ""
    for value in values:
        buffer.write(separator + json.dumps(value, ensure_ascii=False))
        separator = ", "
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    buffer.write("]}")
    yield buffer.getvalue()


def dhis2_response(values: Iterable[DataValue]) -> StreamingResponse:
    """A DHIS2 `dataValueSets` document streamed as JSON."""
    return StreamingResponse(dhis2_chunks(values), media_type="application/json")
