"""HTTP for the integration reports of health and agriculture offices (CONTRACT §8).

JSON pages read the request's session; CSV and DHIS2 stream every row from a session of
their own, opened inside the response body's generator, because the request's session has
closed by the time the body is sent.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.deps import EngineDep, ReportSessionDep
from app.core.openapi import ALTERNATIVE_JSON
from app.core.pagination import Page
from app.core.schemas import IsoDatetime
from app.integrations import formats, service
from app.integrations.deps import AgricultureWindow, HealthWindow, Paging, PagingDep
from app.integrations.models import (
    DemandBy,
    DemandRow,
    FoodSafetyRow,
    Format,
    MealCountLevel,
    MealCountRow,
    NutritionRow,
    Period,
    RegionLevel,
    TableFormat,
)
from app.integrations.service import Window

router = APIRouter(prefix="/integrations", tags=["integrations"])

CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}
OK_CONTENT = {
    200: {
        "description": "A page of rows (`format=json`) or every row as CSV (`format=csv`)",
        "content": CSV_CONTENT,
    },
    403: {"description": "The role may not pull this report, or the region is not the caller's"},
}
DHIS2_OK_CONTENT = {
    **OK_CONTENT,
    200: {
        "description": "A page of rows (`format=json`), every row as CSV (`format=csv`), or a "
        "DHIS2 dataValueSet `{dataValues: [...]}` (`format=dhis2`, see docs/integration.md)",
        "content": CSV_CONTENT,
    },
}
FormatQuery = Annotated[
    Format, Query(alias="format", description="`json` pages, `csv` or a DHIS2 dataValueSet")
]
TableFormatQuery = Annotated[
    TableFormat, Query(alias="format", description="`json` pages or `csv` (every row)")
]
UpdatedSince = Annotated[
    IsoDatetime | None, Query(description="Only rows whose record changed at or after this instant")
]


def _filename(name: str, window: Window) -> str:
    return f"{name}_{window.date_from.isoformat()}_{window.date_to.isoformat()}.csv"


@dataclass(frozen=True)
class ReportSource:
    """Where a report is read: the request's session for a JSON page, the engine for a
    stream (which outlives the request's session), and the page asked for."""

    session: Session
    engine: Engine
    paging: Paging


async def report_source(
    session: ReportSessionDep, engine: EngineDep, paging: PagingDep
) -> ReportSource:
    return ReportSource(session=session, engine=engine, paging=paging)


ReportSourceDep = Annotated[ReportSource, Depends(report_source)]


def _render(
    report: service.Report,
    source: ReportSource,
    *,
    csv: bool,
    row_model: type[BaseModel],
    filename: str,
    dhis2: Callable[[service.Row], Iterable[formats.DataValue]] | None = None,
) -> Page[Any] | Response:
    """The report as a JSON page, every row as CSV, or (with `dhis2`) a dataValueSet."""
    if csv:
        rows = service.stream_rows(source.engine, report=report)
        return formats.csv_response(report.columns, rows, filename=filename)
    if dhis2 is not None:
        rows = service.stream_rows(source.engine, report=report)
        return formats.dhis2_response(v for row in rows for v in dhis2(row))
    paging = source.paging
    items, cursor = service.read_page(
        source.session, report=report, limit=paging.limit, cursor=paging.cursor
    )
    return Page(items=[row_model(**r) for r in items], next_cursor=cursor)


@router.get(
    "/health/nutrition",
    summary="Nutrition of approved menus per target group (health offices)",
    response_model=Page[NutritionRow],
    responses=DHIS2_OK_CONTENT,  # type: ignore[arg-type]
    openapi_extra={ALTERNATIVE_JSON: "DataValueSet"},
)
def health_nutrition(
    window: HealthWindow,
    source: ReportSourceDep,
    format_: FormatQuery = Format.json,
    updated_since: UpdatedSince = None,
) -> Page[NutritionRow] | Response:
    report = service.nutrition_report(window=window, updated_since=updated_since)
    return _render(
        report,
        source,
        csv=format_ is Format.csv,
        row_model=NutritionRow,
        filename=_filename("nutrition", window),
        dhis2=formats.nutrition_values if format_ is Format.dhis2 else None,
    )


@router.get(
    "/health/meal-counts",
    summary="Meal counts summed by school, kitchen or region (health offices)",
    response_model=Page[MealCountRow],
    # Rows carry only their level's fields (no kitchen fields with group_by=region).
    response_model_exclude_unset=True,
    responses=DHIS2_OK_CONTENT,  # type: ignore[arg-type]
    openapi_extra={ALTERNATIVE_JSON: "DataValueSet"},
)
def health_meal_counts(
    window: HealthWindow,
    source: ReportSourceDep,
    group_by: Annotated[
        MealCountLevel, Query(description="Sum per school, kitchen or the kitchens' region")
    ] = MealCountLevel.kitchen,
    format_: FormatQuery = Format.json,
    updated_since: UpdatedSince = None,
) -> Page[MealCountRow] | Response:
    report = service.meal_counts_report(
        window=window, group_by=group_by, updated_since=updated_since
    )
    return _render(
        report,
        source,
        csv=format_ is Format.csv,
        row_model=MealCountRow,
        filename=_filename(f"meal-counts-by-{group_by.value}", window),
        dhis2=(lambda row: formats.meal_count_values(row, group_by))
        if format_ is Format.dhis2
        else None,
    )


@router.get(
    "/health/food-safety",
    summary="Food-safety checks with kitchen code, region and flags (health offices)",
    response_model=Page[FoodSafetyRow],
    responses=OK_CONTENT,  # type: ignore[arg-type]
)
def health_food_safety(
    window: HealthWindow,
    source: ReportSourceDep,
    format_: TableFormatQuery = TableFormat.json,
    updated_since: UpdatedSince = None,
) -> Page[FoodSafetyRow] | Response:
    report = service.food_safety_report(window=window, updated_since=updated_since)
    return _render(
        report,
        source,
        csv=format_ is TableFormat.csv,
        row_model=FoodSafetyRow,
        filename=_filename("food-safety", window),
    )


@router.get(
    "/agriculture/ingredient-demand",
    summary="Ingredient demand in kg per period, region and commodity (agriculture offices)",
    response_model=Page[DemandRow],
    # `food_code` and `food_name` appear only with by=food.
    response_model_exclude_unset=True,
    responses=OK_CONTENT,  # type: ignore[arg-type]
)
def agriculture_ingredient_demand(
    window: AgricultureWindow,
    source: ReportSourceDep,
    period: Annotated[
        Period, Query(description="`day` (2026-11-28), ISO `week` (2026-W48), `month` (2026-11)")
    ] = Period.day,
    by: Annotated[DemandBy, Query(description="One row per commodity, or per food")] = (
        DemandBy.commodity
    ),
    region_level: Annotated[
        RegionLevel, Query(description="Cut kitchens' region codes to this level")
    ] = RegionLevel.regency,
    format_: TableFormatQuery = TableFormat.json,
) -> Page[DemandRow] | Response:
    report = service.demand_report(window=window, period=period, by=by, region_level=region_level)
    return _render(
        report,
        source,
        csv=format_ is TableFormat.csv,
        row_model=DemandRow,
        filename=_filename(f"ingredient-demand-{period.value}-{by.value}", window),
    )
