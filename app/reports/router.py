"""HTTP for the reports health and agriculture offices pull (`/integrations/...`).

Every report reads the request-scoped session: a JSON page is read before the answer
goes out, while CSV and DHIS2 stream their rows from that session as the body is sent.
"""

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response

from app.core.deps import StreamSessionDep
from app.core.errors import InvalidCursor, problems
from app.core.openapi import ALTERNATIVE_JSON
from app.core.pagination import Page
from app.core.routing import api_router
from app.core.schemas import IsoDate
from app.reports import deliveries, meal_counts, nutrition
from app.reports.deliveries import DeliveryRow, deliveries_report
from app.reports.demand import DemandBy, DemandRow, Period, RegionLevel, demand_report
from app.reports.food_safety import FoodSafetyRow, food_safety_report
from app.reports.formats import Format, TableFormat, filename, respond
from app.reports.kitchens import KitchenRow, kitchens_report
from app.reports.meal_counts import MealCountLevel, MealCountRow, meal_counts_report
from app.reports.nutrition import NutritionRow, nutrition_report
from app.reports.paging import PagingDep
from app.reports.window import AgricultureWindow, HealthRegion, HealthWindow, UpdatedSince

router = api_router(tags=["integrations"])

ERRORS = problems(InvalidCursor)
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}


def _answers(description: str, *, dhis2: bool = False) -> dict[str, Any]:
    """OpenAPI extras: the 200 answer's description and its CSV alternative (the JSON
    page's schema comes from the response model)."""
    extra: dict[str, Any] = {
        "responses": {"200": {"description": description, "content": CSV_CONTENT}}
    }
    if dhis2:
        extra[ALTERNATIVE_JSON] = "DataValueSet"
    return extra


TABLE = _answers("A page of rows (`format=json`) or every row as CSV (`format=csv`)")
TABLE_OR_DHIS2 = _answers(
    "A page of rows (`format=json`), every row as CSV (`format=csv`), or a DHIS2 "
    "dataValueSet `{dataValues: [...]}` (`format=dhis2`, see docs/integration.md)",
    dhis2=True,
)
FormatQuery = Annotated[
    Format, Query(alias="format", description="`json` pages, `csv` or a DHIS2 dataValueSet")
]
TableFormatQuery = Annotated[
    TableFormat, Query(alias="format", description="`json` pages or `csv` (every row)")
]


@router.get(
    "/integrations/health/nutrition",
    summary="Nutrition of approved menus per target group (health offices)",
    response_model=Page[NutritionRow],
    responses=ERRORS,
    openapi_extra=TABLE_OR_DHIS2,
)
async def health_nutrition(
    window: HealthWindow,
    session: StreamSessionDep,
    paging: PagingDep,
    format_: FormatQuery = Format.json,
    updated_since: UpdatedSince = None,
) -> Page[NutritionRow] | Response:
    return await respond(
        session,
        nutrition_report(window=window, updated_since=updated_since),
        paging,
        format_=format_,
        row_model=NutritionRow,
        csv_name=filename("nutrition", window.date_from, window.date_to),
        dhis2=nutrition.dhis2_values,
    )


@router.get(
    "/integrations/health/meal-counts",
    summary="Meal counts summed by school, kitchen or region (health offices)",
    response_model=Page[MealCountRow],
    # Rows carry only their level's fields (no kitchen fields with group_by=region).
    response_model_exclude_unset=True,
    responses=ERRORS,
    openapi_extra=TABLE_OR_DHIS2,
)
async def health_meal_counts(
    window: HealthWindow,
    session: StreamSessionDep,
    paging: PagingDep,
    group_by: Annotated[
        MealCountLevel, Query(description="Sum per school, kitchen or the kitchens' region")
    ] = MealCountLevel.kitchen,
    format_: FormatQuery = Format.json,
    updated_since: UpdatedSince = None,
) -> Page[MealCountRow] | Response:
    return await respond(
        session,
        meal_counts_report(window=window, group_by=group_by, updated_since=updated_since),
        paging,
        format_=format_,
        row_model=MealCountRow,
        csv_name=filename(f"meal-counts-by-{group_by.value}", window.date_from, window.date_to),
        dhis2=lambda row: meal_counts.dhis2_values(row, group_by),
    )


@router.get(
    "/integrations/health/food-safety",
    summary="Food-safety checks with kitchen code, region and flags (health offices)",
    response_model=Page[FoodSafetyRow],
    responses=ERRORS,
    openapi_extra=TABLE,
)
async def health_food_safety(
    window: HealthWindow,
    session: StreamSessionDep,
    paging: PagingDep,
    format_: TableFormatQuery = TableFormat.json,
    updated_since: UpdatedSince = None,
) -> Page[FoodSafetyRow] | Response:
    return await respond(
        session,
        food_safety_report(window=window, updated_since=updated_since),
        paging,
        format_=format_,
        row_model=FoodSafetyRow,
        csv_name=filename("food-safety", window.date_from, window.date_to),
    )


@router.get(
    "/integrations/health/deliveries",
    summary="Deliveries with their hours from cooking and flags (health offices)",
    response_model=Page[DeliveryRow],
    responses=ERRORS,
    openapi_extra=TABLE_OR_DHIS2,
)
async def health_deliveries(
    window: HealthWindow,
    session: StreamSessionDep,
    paging: PagingDep,
    format_: FormatQuery = Format.json,
    updated_since: UpdatedSince = None,
) -> Page[DeliveryRow] | Response:
    return await respond(
        session,
        deliveries_report(window=window, updated_since=updated_since),
        paging,
        format_=format_,
        row_model=DeliveryRow,
        csv_name=filename("deliveries", window.date_from, window.date_to),
        dhis2=deliveries.dhis2_values,
    )


@router.get(
    "/integrations/health/kitchens",
    summary="Kitchens with hygiene certificate, status and planned portions (health offices)",
    response_model=Page[KitchenRow],
    responses=ERRORS,
    openapi_extra=TABLE,
)
async def health_kitchens(
    region_code: HealthRegion,
    session: StreamSessionDep,
    paging: PagingDep,
    day: Annotated[
        IsoDate | None,
        Query(alias="date", description="The day of the planned portions and certificate "
        "status; default: each kitchen's own today"),
    ] = None,
    format_: TableFormatQuery = TableFormat.json,
) -> Page[KitchenRow] | Response:
    name = f"kitchens_{region_code or 'national'}_{day.isoformat() if day else 'today'}.csv"
    return await respond(
        session,
        kitchens_report(region_code=region_code, day=day),
        paging,
        format_=format_,
        row_model=KitchenRow,
        csv_name=name,
    )


@router.get(
    "/integrations/agriculture/ingredient-demand",
    summary="Ingredient demand in kg per period, region and commodity (agriculture offices)",
    response_model=Page[DemandRow],
    # `food_code` and `food_name` appear only with by=food.
    response_model_exclude_unset=True,
    responses=ERRORS,
    openapi_extra=TABLE,
)
async def agriculture_ingredient_demand(
    window: AgricultureWindow,
    session: StreamSessionDep,
    paging: PagingDep,
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
    name = f"ingredient-demand-{period.value}-{by.value}"
    return await respond(
        session,
        demand_report(window=window, period=period, by=by, region_level=region_level),
        paging,
        format_=format_,
        row_model=DemandRow,
        csv_name=filename(name, window.date_from, window.date_to),
    )
