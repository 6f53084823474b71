"""What the menu planner is given and what it answers, free of the database.

The caller (the HTTP layer) resolves everything the planner must not look up itself: the
kitchen's enrolled groups and their portions, the AKG targets, the budgets, each recipe's
nutrients and cost per standard portion for the kitchen's prices, and whether the kitchen's
halal rule allows it.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

# The "Isi Piringku" plate: one recipe of each of these every day ...
REQUIRED_CATEGORIES: tuple[str, ...] = ("staple", "animal_protein", "vegetable", "fruit")
# ... and at most one of these.
OPTIONAL_CATEGORIES: tuple[str, ...] = ("plant_protein",)
PLATE_CATEGORIES: tuple[str, ...] = REQUIRED_CATEGORIES + OPTIONAL_CATEGORIES

# A group is served this share of the standard portion, the same for the whole plate.
FACTOR_MIN = 0.5
FACTOR_MAX = 2.0

RecipeId = uuid.UUID | str


class PlanStatus(StrEnum):
    """`optimal`: least cost proven; `feasible`: every rule holds, least cost not proven."""

    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"


@dataclass(frozen=True, slots=True)
class MealRule:
    """Share of a group's daily needs the meal must give: energy within both, protein ≥ min."""

    min_share: float
    max_share: float


@dataclass(frozen=True, slots=True)
class GroupNeed:
    """One enrolled AKG group: its portions a day, daily targets and budget per portion."""

    code: str
    portions: int
    # Daily AKG values by nutrient name (`energy_kcal`, `protein_g`, ...); None if unknown.
    targets: Mapping[str, float | None]
    # Whole rupiah of raw food per portion.
    budget: float


@dataclass(frozen=True, slots=True)
class CandidateRecipe:
    """A recipe the plan may use: nutrients and cost of one standard portion."""

    id: RecipeId
    name: str
    category: str
    nutrients: Mapping[str, float]
    # Rupiah per standard portion at the kitchen's prices; None when a price is missing.
    # (A problem with `terms` takes each day's costs from them instead.)
    cost: float | None
    # False when the kitchen's rules (halal) forbid it.
    allowed: bool = True


@dataclass(frozen=True, slots=True)
class DayTerms:
    """What some days of the range cost and serve: recipe costs at those days' prices, and
    each group's portions on them. Only needed when these change within the range."""

    days: Sequence[date]
    # Rupiah per standard portion on these days; a recipe not named, or None, has no price.
    costs: Mapping[RecipeId, float | None]
    # Portions a day by group code; a group not named serves its GroupNeed.portions.
    portions: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """Everything one planning run needs.

    Without `terms`, every day costs each recipe its `cost` and serves each group its
    `portions`. With `terms`, they cover every day exactly once and give each day's costs
    and portions instead (a price that changes within the range); which groups the plan
    serves is still decided by GroupNeed.portions > 0.
    """

    days: Sequence[date]
    rule: MealRule
    groups: Sequence[GroupNeed]
    recipes: Sequence[CandidateRecipe]
    max_repeats: int = 2
    terms: Sequence[DayTerms] = ()


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A recipe on a planned day; the planner always serves one standard portion of it."""

    recipe_id: RecipeId
    servings: int = 1


@dataclass(frozen=True, slots=True)
class PlannedDay:
    """One day's menu: its items, each group's factor and cost, and the day's cost."""

    service_date: date
    items: list[PlannedItem]
    portion_factors: dict[str, float]
    # Rupiah per portion for each group: factor × Σ recipe costs.
    cost_per_portion: dict[str, float]
    # Σ groups portions × cost per portion.
    cost_per_day: float


@dataclass(frozen=True, slots=True)
class SolverStats:
    """How the run went, for benchmarks and for the `feasible` explanation."""

    # Time inside HiGHS (all LP and MIP runs), and the whole planning call.
    solver_seconds: float
    total_seconds: float
    # Plates (recipe combinations) that pass every group, and those kept for the final MIP.
    plates: int
    plates_in_mip: int
    # A proven lower bound on the total cost (rupiah), when one is known.
    bound: float | None
    time_limit_reached: bool


@dataclass(frozen=True, slots=True)
class PlanResult:
    status: PlanStatus
    days: list[PlannedDay]
    total_cost: float | None
    # Why no plan exists (infeasible) or why its optimality is not proven (feasible).
    reasons: list[str]
    # Facts the nutritionist should know either way (recipes left out and why).
    notes: list[str] = field(default_factory=list)
    stats: SolverStats | None = None
