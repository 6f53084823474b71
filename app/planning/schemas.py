"""The menu-plan request and answer (the solver's own types are in app/planning/model.py)."""

import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Strict
from pydantic import Field as PField

from app.core.schemas import IsoDate, StrictBool
from app.menus.models import NutritionCheck
from app.nutrition.models import MealType
from app.planning.model import PlanStatus

# A plan covers at most this many calendar days (`from` to `to`, both included).
MAX_RANGE_DAYS = 31
# Recipes one request may name in `recipe_ids`.
MAX_RECIPE_IDS = 1000

Repeats = Annotated[int, Strict(), PField(ge=1, le=MAX_RANGE_DAYS)]


class MenuPlanRequest(BaseModel):
    """What to plan: the school days from `from` to `to` (both included) for one meal type."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"from": "2026-12-01", "to": "2026-12-28", "meal_type": "lunch"},
                {
                    "from": "2026-12-01",
                    "to": "2026-12-05",
                    "meal_type": "lunch",
                    "max_repeats": 1,
                    "recipe_ids": ["0b6f3c1e-8d4a-4c55-9d2e-1f0a2b3c4d5e"],
                    "apply": True,
                },
            ]
        },
    )

    date_from: IsoDate = PField(alias="from", description="First day of the range")
    date_to: IsoDate = PField(alias="to", description="Last day (at most 31 days after `from`)")
    meal_type: MealType
    recipe_ids: list[uuid.UUID] | None = PField(
        default=None,
        min_length=1,
        max_length=MAX_RECIPE_IDS,
        description="Plan only with these recipes (national or the kitchen's own); default: "
        "every recipe the kitchen may use",
    )
    max_repeats: Repeats = PField(
        default=2, description="Days a recipe may be served at most within the range"
    )
    apply: StrictBool = PField(
        default=False,
        description="Also create the planned days' menus as drafts (all or none)",
    )


class PlannedItemPublic(BaseModel):
    recipe_id: uuid.UUID
    recipe_name: str
    category: str
    servings: float


class PlannedCheck(NutritionCheck):
    """The nutrition check of a planned day, exactly as the menu's own check computes it."""

    menu_id: uuid.UUID | None = PField(  # type: ignore[assignment]
        description="The day's menu once applied; null for a plan not applied"
    )


class PlannedDayPublic(BaseModel):
    service_date: date
    menu_id: uuid.UUID | None = PField(description="The draft menu created by `apply`, else null")
    items: list[PlannedItemPublic]
    portion_factors: dict[str, float] = PField(
        description="Per target group: the least share of the standard portion that meets "
        "its nutrition rule"
    )
    cost_per_portion: dict[str, float] = PField(
        description="Rupiah per portion for each group: factor x Σ recipe costs at the day's prices"
    )
    cost_per_day: float = PField(
        description="Rupiah: Σ groups portions x cost per portion, portions as the day's "
        "ingredient demand counts them"
    )
    check: PlannedCheck


class SolverFigures(BaseModel):
    """How the planning went (for whoever tunes it; not part of the plan)."""

    solver_seconds: float = PField(description="Time inside the optimisation solver (HiGHS)")
    total_seconds: float = PField(description="The whole planning computation")
    time_limit_seconds: float
    plates: int = PField(description="Recipe combinations that pass for every group")
    plates_in_final_programme: int
    lower_bound: float | None = PField(description="A proven lower bound on total_cost")


class MenuPlanPublic(BaseModel):
    """A plan of least cost, or why none exists."""

    status: PlanStatus = PField(
        description="`optimal`: least total_cost proven; `feasible`: every rule holds but "
        "the least cost is not proven; `infeasible`: no plan follows every rule"
    )
    kitchen_id: uuid.UUID
    meal_type: MealType
    date_from: date = PField(serialization_alias="from")
    date_to: date = PField(serialization_alias="to")
    max_repeats: int
    applied: bool = PField(description="Whether the days' menus were created")
    days: list[PlannedDayPublic]
    total_cost: float | None = PField(description="Rupiah: Σ days cost_per_day")
    reasons: list[str] = PField(
        description="Infeasible: the rules that cannot all hold; feasible: why the least "
        "cost is not proven"
    )
    notes: list[str] = PField(description="What the nutritionist should know either way")
    solver: SolverFigures | None
