"""The direct formulation with McCormick linearisation: an independent witness for tests.

The planner itself solves the plate programme (app/planning/master.py). This module solves
the same problem the direct way, to show on small instances that both give the same least
cost. Variables, for every day d, group g and option o (a recipe):

- x[d,o] in {0, 1}: the day serves recipe o;
- f[d,g]: the group's portion factor that day, within [0.5, 2.0];
- y[d,g,o] = f[d,g] * x[d,o], linearised exactly: x is binary and f bounded by L and U, so
  y >= L*x, y <= U*x, y <= f - L*(1 - x), y >= f - U*(1 - x) force y = f when x = 1 and
  y = 0 when x = 0. Per category, sum of y = f is added as well.

Nutrients and costs of a group's plate are then linear: sum over o of value_o * y[d,g,o].
On 24 days it is far slower than the plate programme (its relaxation lets a group blend
recipes of one category), which is why the planner does not use it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import highspy
import numpy as np
import numpy.typing as npt

from app.planning.model import (
    FACTOR_MAX,
    FACTOR_MIN,
    OPTIONAL_CATEGORIES,
    REQUIRED_CATEGORIES,
    PlanProblem,
)

# A budget is kept this many rupiah below its limit, so the solver's feasibility tolerance
# can never leave a plan a fraction of a rupiah over budget.
BUDGET_MARGIN = 0.01


class Family(StrEnum):
    """Families of constraints, as a nutritionist would name them."""

    energy_min = "energy_min"
    energy_max = "energy_max"
    protein = "protein"
    budget = "budget"
    repeats = "repeats"


@dataclass(frozen=True, slots=True)
class Option:
    """One way to serve a recipe on a day: the recipe at a whole number of servings."""

    recipe: int
    servings: int
    category: str
    energy: float
    protein: float
    cost: float


@dataclass(frozen=True, slots=True)
class Group:
    """An enrolled group as the programme sees it."""

    code: str
    portions: int
    energy: float
    protein: float | None
    budget: float


@dataclass(frozen=True, slots=True)
class Instance:
    """The planning data in canonical order (so the answer does not depend on input order)."""

    n_recipes: int
    recipe_category: tuple[str, ...]
    options: tuple[Option, ...]
    groups: tuple[Group, ...]
    min_share: float
    max_share: float
    max_repeats: int


@dataclass
class Spec:
    """Which variant of the programme to build."""

    n_days: int
    groups: Sequence[int]
    drop: frozenset[Family] = frozenset()
    # "cost": least total cost; "days": most planned days (z[d] free); "none": feasibility.
    objective: str = "cost"
    # Recipes that must be served on day 0.
    force: Sequence[int] = ()
    max_repeats: int | None = None
    symmetry: bool = True
    # Also add the two McCormick rows built on the factor's bounds (redundant, see docs).
    mccormick: bool = False


@dataclass
class Solved:
    """A finished HiGHS run, read back into plain Python."""

    status: str  # "optimal", "infeasible", "time_limit" (with or without a solution), "error"
    has_solution: bool
    objective: float | None
    bound: float | None
    gap: float | None
    nodes: int
    seconds: float
    # chosen[d] = option indices served on day d (empty for an unplanned day)
    chosen: list[list[int]] = field(default_factory=list)


class _Rows:
    """Constraint rows collected in compressed-row form."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.index: list[int] = []
        self.value: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, cols: Sequence[int], vals: Sequence[float], lo: float, hi: float) -> None:
        self.starts.append(len(self.index))
        self.index.extend(cols)
        self.value.extend(vals)
        self.lower.append(lo)
        self.upper.append(hi)


class Layout:
    """Column numbers of x, f, y and z for a given number of days, groups and options."""

    def __init__(self, n_days: int, n_groups: int, n_options: int) -> None:
        self.n_days, self.n_groups, self.n_options = n_days, n_groups, n_options
        self.n_x = n_days * n_options
        self.n_f = n_days * n_groups
        self.n_y = n_days * n_groups * n_options
        self.n_cols = self.n_x + self.n_f + self.n_y + n_days

    def x(self, d: int, o: int) -> int:
        return d * self.n_options + o

    def f(self, d: int, g: int) -> int:
        return self.n_x + d * self.n_groups + g

    def y(self, d: int, g: int, o: int) -> int:
        return self.n_x + self.n_f + (d * self.n_groups + g) * self.n_options + o

    def z(self, d: int) -> int:
        return self.n_x + self.n_f + self.n_y + d


def factor_bounds(
    inst: Instance, groups: Sequence[int], drop: frozenset[Family]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per group and option, the factors a passing plate with that option can have.

    A plate with option o has at least o's energy plus the least of every other required
    category, and at most o's plus the most of every other category (the optional one
    included); the same for protein and cost. Energy, protein and cost grow with the factor,
    so each yields a bound: L[g,o] ≤ f ≤ U[g,o] whenever o is served. An option with L > U
    for some group can never be served and is left out; the bounds are recomputed until
    nothing more is left out. Bounds this tight make the relaxation close to the plan.
    """
    opts = inst.options
    n = len(opts)
    energy = np.array([o.energy for o in opts])
    protein = np.array([o.protein for o in opts])
    cost = np.array([o.cost for o in opts])
    category = np.array([o.category for o in opts])
    usable = np.ones(n, dtype=bool)
    lower = np.full((len(groups), n), FACTOR_MIN)
    upper = np.full((len(groups), n), FACTOR_MAX)
    while True:
        e_lo, e_hi, q_hi, c_lo = (np.zeros(n) for _ in range(4))
        for cat in REQUIRED_CATEGORIES + OPTIONAL_CATEGORIES:
            members = usable & (category == cat)
            required = cat in REQUIRED_CATEGORIES
            if not members.any():
                if required:
                    return lower, upper, np.zeros(n, dtype=bool)
                continue
            others = category != cat
            if required:
                e_lo[others] += energy[members].min()
                c_lo[others] += cost[members].min()
            e_hi[others] += max(energy[members].max(), 0.0)
            q_hi[others] += max(protein[members].max(), 0.0)
        plate_e_lo, plate_e_hi = energy + e_lo, energy + e_hi
        plate_q_hi, plate_c_lo = protein + q_hi, cost + c_lo
        for i, g in enumerate(groups):
            group = inst.groups[g]
            lo = np.full(n, FACTOR_MIN)
            hi = np.full(n, FACTOR_MAX)
            with np.errstate(divide="ignore"):
                if Family.energy_min not in drop:
                    lo = np.maximum(lo, inst.min_share * group.energy / plate_e_hi)
                if Family.energy_max not in drop:
                    hi = np.minimum(hi, inst.max_share * group.energy / plate_e_lo)
                if Family.protein not in drop and group.protein:
                    lo = np.maximum(lo, inst.min_share * group.protein / plate_q_hi)
                if Family.budget not in drop:
                    hi = np.minimum(hi, (group.budget - BUDGET_MARGIN) / plate_c_lo)
            lower[i], upper[i] = lo, hi
        fits = usable & (lower <= upper).all(axis=0)
        if (fits == usable).all():
            return lower, upper, usable
        usable = fits


def build(inst: Instance, spec: Spec) -> tuple[highspy.Highs, Layout]:
    """The programme for `spec`, loaded into a fresh HiGHS instance."""
    opts = inst.options
    groups = [inst.groups[g] for g in spec.groups]
    lay = Layout(spec.n_days, len(groups), len(opts))
    lo_share, hi_share = inst.min_share, inst.max_share
    flexible_days = spec.objective == "days"
    f_lower, f_upper, usable = factor_bounds(inst, spec.groups, spec.drop)
    # Each group's factor lies within the bounds of the options that can be served.
    if usable.any():
        g_lo = np.where(usable, f_lower, np.inf).min(axis=1)
        g_hi = np.where(usable, f_upper, -np.inf).max(axis=1)
    else:
        g_lo = np.full(len(groups), FACTOR_MIN)
        g_hi = np.full(len(groups), FACTOR_MAX)

    cost = np.zeros(lay.n_cols)
    lower = np.zeros(lay.n_cols)
    upper = np.zeros(lay.n_cols)
    for d in range(spec.n_days):
        upper[lay.x(d, 0) : lay.x(d, 0) + len(opts)] = usable
        for g in range(len(groups)):
            # On a day that may stay empty (z = 0) the factor may be 0; rows below keep a
            # planned day's factor in range.
            lower[lay.f(d, g)] = 0.0 if flexible_days else g_lo[g]
            upper[lay.f(d, g)] = g_hi[g]
            upper[lay.y(d, g, 0) : lay.y(d, g, 0) + len(opts)] = np.where(usable, f_upper[g], 0.0)
    z0 = lay.z(0)
    lower[z0 : z0 + spec.n_days] = 0.0 if flexible_days else 1.0
    upper[z0 : z0 + spec.n_days] = 1.0
    integrality = np.zeros(lay.n_cols, dtype=np.int32)
    integrality[: lay.n_x] = 1
    integrality[z0 : z0 + spec.n_days] = 1

    by_category: dict[str, list[int]] = {}
    for o, opt in enumerate(opts):
        if usable[o]:
            by_category.setdefault(opt.category, []).append(o)
    served = [o for o in range(len(opts)) if usable[o]]
    rows = _Rows()
    for d in range(spec.n_days):
        z = lay.z(d)
        # The plate: exactly one recipe of each required category, at most one optional.
        for category in REQUIRED_CATEGORIES + OPTIONAL_CATEGORIES:
            members = by_category.get(category, [])
            required = category in REQUIRED_CATEGORIES
            rows.add(
                [lay.x(d, o) for o in members] + [z],
                [1.0] * len(members) + [-1.0],
                0.0 if required else -np.inf,
                0.0,
            )
        for g, group in enumerate(groups):
            f = lay.f(d, g)
            if flexible_days:
                rows.add([f, z], [1.0, -g_lo[g]], 0.0, np.inf)
                rows.add([f, z], [1.0, -g_hi[g]], -np.inf, 0.0)
            for o in served:
                # y = f·x: y within [L, U]·x, and (below) Σ y = f per category.
                x, y = lay.x(d, o), lay.y(d, g, o)
                rows.add([y, x], [1.0, -f_lower[g, o]], 0.0, np.inf)
                rows.add([y, x], [1.0, -f_upper[g, o]], -np.inf, 0.0)
                if spec.mccormick:
                    low = 0.0 if flexible_days else g_lo[g]
                    rows.add([y, f, x], [1.0, -1.0, -low], -np.inf, -low)
                    rows.add([y, f, x], [1.0, -1.0, -g_hi[g]], -g_hi[g], np.inf)
            for category in REQUIRED_CATEGORIES + OPTIONAL_CATEGORIES:
                members = by_category.get(category, [])
                required = category in REQUIRED_CATEGORIES
                rows.add(
                    [lay.y(d, g, o) for o in members] + [f],
                    [1.0] * len(members) + [-1.0],
                    0.0 if required else -np.inf,
                    0.0,
                )
            ys = [lay.y(d, g, o) for o in served]
            energy = [opts[o].energy / group.energy for o in served]
            if Family.energy_min not in spec.drop:
                rows.add([*ys, z], [*energy, -lo_share], 0.0, np.inf)
            if Family.energy_max not in spec.drop:
                rows.add([*ys, z], [*energy, -hi_share], -np.inf, 0.0)
            if Family.protein not in spec.drop and group.protein:
                protein = [opts[o].protein / group.protein for o in served]
                rows.add([*ys, z], [*protein, -lo_share], 0.0, np.inf)
            if Family.budget not in spec.drop:
                budget = max(group.budget - BUDGET_MARGIN, 1e-9)
                rows.add([*ys, z], [*(opts[o].cost / budget for o in served), -1.0], -np.inf, 0.0)
            if spec.objective == "cost":
                for o in served:
                    cost[lay.y(d, g, o)] = group.portions * opts[o].cost
    if Family.repeats not in spec.drop:
        limit = spec.max_repeats if spec.max_repeats is not None else inst.max_repeats
        per_recipe: dict[int, list[int]] = {}
        for o in served:
            per_recipe.setdefault(opts[o].recipe, []).append(o)
        for members in per_recipe.values():
            cols = [lay.x(d, o) for d in range(spec.n_days) for o in members]
            rows.add(cols, [1.0] * len(cols), -np.inf, float(limit))
    for r in spec.force:
        members = [o for o in served if opts[o].recipe == r]
        rows.add([lay.x(0, o) for o in members], [1.0] * len(members), 1.0, 1.0)
    if spec.symmetry and spec.n_days > 1:
        _break_day_symmetry(rows, lay, by_category.get(REQUIRED_CATEGORIES[0], []), spec.n_days)
    if spec.objective == "days":
        cost[z0 : z0 + spec.n_days] = -1.0

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.silent()
    rows.starts.append(len(rows.index))
    h.passModel(
        lay.n_cols,
        len(rows.lower),
        len(rows.index),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        lower,
        upper,
        _floats(rows.lower),
        _floats(rows.upper),
        np.asarray(rows.starts, dtype=np.int32),
        np.asarray(rows.index, dtype=np.int32),
        _floats(rows.value),
        integrality,
    )
    return h, lay


def _break_day_symmetry(rows: _Rows, lay: Layout, staples: Sequence[int], n_days: int) -> None:
    """Days are interchangeable: require the staples' ranks to be non-decreasing by day.

    Any plan can be reordered to satisfy this, so no cost is lost; the search space shrinks
    by the number of orderings of the days. The days are put in a serving order afterwards.
    """
    for d in range(n_days - 1):
        cols = [lay.x(d, o) for o in staples] + [lay.x(d + 1, o) for o in staples]
        ranks = [float(i + 1) for i in range(len(staples))]
        rows.add(cols, ranks + [-r for r in ranks], -np.inf, 0.0)


def _floats(values: Sequence[float]) -> npt.NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def solve(h: highspy.Highs, lay: Layout, *, time_limit: float, proven_gap: float = 0.0) -> Solved:
    """Run HiGHS and read back the days' chosen options."""
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    # `optimal` means proven: no relative gap is accepted beyond rounding noise.
    h.setOptionValue("mip_rel_gap", proven_gap)
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("mip_feasibility_tolerance", 1e-7)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    if status == highspy.HighsModelStatus.kOptimal:
        name = "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        name = "infeasible"
    elif status == highspy.HighsModelStatus.kTimeLimit:
        name = "time_limit"
    else:
        name = "error"
    chosen: list[list[int]] = []
    if has_solution:
        values = np.asarray(h.getSolution().col_value)
        for d in range(lay.n_days):
            block = values[lay.x(d, 0) : lay.x(d, 0) + lay.n_options]
            chosen.append([int(o) for o in np.flatnonzero(block > 0.5)])
    bound = float(info.mip_dual_bound) if has_solution else None
    gap = float(info.mip_gap) if has_solution else None
    return Solved(
        status=name,
        has_solution=has_solution,
        objective=float(info.objective_function_value) if has_solution else None,
        bound=bound if bound is not None and np.isfinite(bound) else None,
        gap=gap if gap is not None and np.isfinite(gap) else None,
        nodes=int(info.mip_node_count),
        seconds=float(h.getRunTime()),
        chosen=chosen,
    )


def least_cost(problem: PlanProblem, *, time_limit: float = 60.0) -> float | None:
    """The proven least total cost of `problem` by the direct formulation; None if infeasible."""
    recipes = [r for r in problem.recipes if r.allowed and r.cost is not None]
    options = tuple(
        Option(
            recipe=i,
            servings=1,
            category=r.category,
            energy=r.nutrients.get("energy_kcal", 0.0),
            protein=r.nutrients.get("protein_g", 0.0),
            cost=r.cost or 0.0,
        )
        for i, r in enumerate(recipes)
    )
    groups = tuple(
        Group(
            g.code,
            g.portions,
            g.targets["energy_kcal"] or 0.0,
            g.targets.get("protein_g"),
            g.budget,
        )
        for g in problem.groups
        if g.portions > 0
    )
    inst = Instance(
        n_recipes=len(recipes),
        recipe_category=tuple(r.category for r in recipes),
        options=options,
        groups=groups,
        min_share=problem.rule.min_share,
        max_share=problem.rule.max_share,
        max_repeats=problem.max_repeats,
    )
    h, lay = build(inst, Spec(n_days=len(problem.days), groups=range(len(groups))))
    solved = solve(h, lay, time_limit=time_limit)
    if solved.status == "infeasible":
        return None
    assert solved.status == "optimal", solved.status
    return solved.objective
