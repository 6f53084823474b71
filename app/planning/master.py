"""How many days to serve each plate: an integer programme solved by HiGHS.

Variables: n[p] ≥ 0 whole days serving plate p, and u ≥ 0 days left unplanned.

    minimise   Σ cost[p]·n[p] + BIG·u
    subject to Σ n[p] + u = days
               Σ_{p contains r} n[p] ≤ max_repeats      for every recipe r

BIG exceeds any plan's cost, so u > 0 in an optimum means no full plan exists, and
days − u is then the most days that can be planned. Plates passing every group number in
the hundreds of thousands, so the programme is solved in three exact steps:

1. The linear relaxation over all plates, by column generation: HiGHS solves it over a
   subset, every plate's reduced cost is priced with the duals (vectorised), and the most
   negative join, until none is negative. Any duals give a valid lower bound.
2. Reduced-cost fixing: with lower bound LB and any plan of cost UB, a plate whose reduced
   cost exceeds the least reduced cost by more than UB − LB cannot be in a plan cheaper than
   UB. A first integer solve over the most promising plates gives UB; every plate that
   cannot be excluded this way goes into the final integer programme, solved by HiGHS to
   proven optimality.
3. Ties: among plans within Rp 1 of the least cost, HiGHS then picks the one serving the
   most protein.
"""

import time
from dataclasses import dataclass

import highspy
import numpy as np

from app.planning.plates import NONE, Floats, Ints, Plates

# Costs closer than this (rupiah, whole plan) count as equal; it is also the optimality proof's
# absolute gap.
TIE_RUPIAH = 1.0
# Plates added per column-generation round, and plates in the first integer solve.
_BATCH = 400
_FIRST_MIP = 1500
_NEGATIVE = -1e-9


@dataclass
class MasterResult:
    """Days per plate (indices into Plates), days left unplanned, and the proof's state."""

    status: str  # "optimal" or "time_limit"
    counts: dict[int, int]
    unplanned: int
    cost: float
    bound: float | None
    solver_seconds: float
    plates_in_mip: int


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.solver = 0.0

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.01)

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline


def _highs(clock: _Clock, *, mip: bool) -> highspy.Highs:
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.silent()
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("time_limit", clock.left())
    if mip:
        h.setOptionValue("mip_rel_gap", 0.0)
    return h


def _run(h: highspy.Highs, clock: _Clock) -> highspy.HighsModelStatus:
    h.setOptionValue("time_limit", clock.left())
    before = h.getRunTime()
    h.run()
    clock.solver += h.getRunTime() - before
    return h.getModelStatus()


class _Master:
    """The programme's data: scaled costs and the columns of any subset of plates."""

    def __init__(self, plates: Plates, n_recipes: int, n_days: int, max_repeats: int) -> None:
        self.recipes = plates.recipes
        self.n_recipes, self.n_days, self.max_repeats = n_recipes, n_days, max_repeats
        # Costs are scaled to about 1 per plate-day for the solver's tolerances.
        self.scale = 1.0 / max(float(plates.cost.mean()), 1e-9)
        self.cost = plates.cost * self.scale
        self.protein = plates.protein
        # Dearer than any change of plates a planned day could force elsewhere.
        self.big = 2.0 * n_days * float(self.cost.max()) + 1.0
        self.row_lower = np.concatenate([[float(n_days)], np.full(n_recipes, -np.inf)])
        self.row_upper = np.concatenate([[float(n_days)], np.full(n_recipes, float(max_repeats))])

    def columns(self, subset: Ints) -> tuple[Ints, Ints, Floats]:
        """Compressed columns of the plates in `subset`: the days row and their recipes' rows."""
        recipes = self.recipes[:, subset]
        rows = np.vstack([np.zeros((1, len(subset)), dtype=np.int32), recipes + 1])
        present = np.vstack([np.ones((1, len(subset)), dtype=bool), recipes != NONE])
        starts = np.concatenate([[0], np.cumsum(present.sum(axis=0))]).astype(np.int32)
        index = rows.T[present.T].astype(np.int32)
        return starts, index, np.ones(len(index))

    def reduced_costs(self, duals: Floats) -> tuple[Floats, float]:
        """Every plate's reduced cost and the Lagrangian lower bound the duals prove."""
        sigma = float(duals[0])
        pi = np.append(np.minimum(duals[1:], 0.0), 0.0)  # index NONE reads the appended 0
        reduced = self.cost - sigma - pi[self.recipes].sum(axis=0)
        least = min(float(reduced.min()), self.big - sigma, 0.0)
        bound = sigma * self.n_days + self.max_repeats * float(pi[:-1].sum()) + self.n_days * least
        return reduced, bound


def solve_plates(
    plates: Plates, *, n_recipes: int, n_days: int, max_repeats: int, time_limit: float
) -> MasterResult:
    """The least-cost number of days for each plate, proven optimal unless time runs out."""
    clock = _Clock(time_limit)
    master = _Master(plates, n_recipes, n_days, max_repeats)
    reduced, bound, lp_done = _relaxation(master, clock)
    margin = TIE_RUPIAH * master.scale
    order = np.argsort(reduced, kind="stable")
    # A first integer solve over the most promising plates gives a plan to compare with;
    # it grows while it leaves days unplanned (other plates may still cover them).
    size = _FIRST_MIP
    while True:
        subset = np.sort(order[:size]).astype(np.int32)
        best, counts, unplanned, proven = _integer(master, subset, clock)
        if unplanned == 0 or not proven or size >= len(order) or clock.expired():
            break
        size *= 4
    in_mip = len(subset)
    if lp_done and proven:
        least = min(float(reduced.min()), 0.0)
        keep = np.flatnonzero(reduced - least <= best - bound + margin).astype(np.int32)
        if not np.isin(keep, subset).all():
            keep = np.union1d(keep, subset).astype(np.int32)
            start = (counts, unplanned)
            best, counts, unplanned, proven = _integer(master, keep, clock, start=start)
            in_mip = len(keep)
        if proven and unplanned == 0:
            tie = _ties(master, keep, best, margin, clock)
            if tie is not None:
                counts, unplanned = tie
    return MasterResult(
        status="optimal" if lp_done and proven else "time_limit",
        counts=counts,
        unplanned=unplanned,
        cost=float(sum(plates.cost[p] * n for p, n in counts.items())),
        bound=bound / master.scale if np.isfinite(bound) else None,
        solver_seconds=clock.solver,
        plates_in_mip=in_mip,
    )


def _relaxation(master: _Master, clock: _Clock) -> tuple[Floats, float, bool]:
    """Column generation for the LP bound; returns reduced costs, bound and whether it converged."""
    n_plates = len(master.cost)
    # Start from the cheapest plates and, for every recipe, its cheapest plate.
    by_cost = np.argsort(master.cost, kind="stable")
    start = set(by_cost[:_BATCH].tolist())
    for row in master.recipes:
        # The first plate in cost order holding a recipe is that recipe's cheapest.
        _, first = np.unique(row[by_cost], return_index=True)
        start.update(by_cost[first].tolist())
    in_master = np.zeros(n_plates, dtype=bool)
    subset = np.asarray(sorted(start), dtype=np.int32)
    in_master[subset] = True

    h = _highs(clock, mip=False)
    # Column 0 is u, the unplanned days: only in the days row.
    starts, index, values = master.columns(subset)
    starts = np.concatenate([[0], starts + 1]).astype(np.int32)
    index = np.concatenate([[0], index]).astype(np.int32)
    values = np.concatenate([[1.0], values])
    n_cols = len(subset) + 1
    h.passModel(
        n_cols,
        master.n_recipes + 1,
        len(index),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.concatenate([[master.big], master.cost[subset]]),
        np.zeros(n_cols),
        np.full(n_cols, np.inf),
        master.row_lower,
        master.row_upper,
        starts,
        index,
        values,
        np.zeros(n_cols, dtype=np.int32),
    )
    reduced, bound = np.zeros(n_plates), -np.inf
    while True:
        status = _run(h, clock)
        if status != highspy.HighsModelStatus.kOptimal:
            return reduced, bound, False
        duals = np.asarray(h.getSolution().row_dual, dtype=float)
        reduced, bound = master.reduced_costs(duals)
        candidates = np.flatnonzero((reduced < _NEGATIVE) & ~in_master).astype(np.int32)
        if len(candidates) == 0:
            return reduced, bound, True
        if clock.expired():
            return reduced, bound, False
        if len(candidates) > _BATCH:
            part = np.argpartition(reduced[candidates], _BATCH)[:_BATCH]
            candidates = np.sort(candidates[part])
        in_master[candidates] = True
        starts, index, values = master.columns(candidates)
        h.addCols(
            len(candidates),
            master.cost[candidates],
            np.zeros(len(candidates)),
            np.full(len(candidates), np.inf),
            len(index),
            starts,
            index,
            values,
        )


Solution = tuple[float, dict[int, int], int, bool]


def _integer(
    master: _Master,
    subset: Ints,
    clock: _Clock,
    *,
    start: tuple[dict[int, int], int] | None = None,
    objective: Floats | None = None,
    cost_limit: float | None = None,
) -> Solution:
    """Solve the integer programme over `subset` (plus u): cost, days per plate, u, proven."""
    h = _highs(clock, mip=True)
    h.setOptionValue("mip_abs_gap", TIE_RUPIAH * master.scale)
    starts, index, values = master.columns(subset)
    starts = np.concatenate([[0], starts + 1]).astype(np.int32)
    index = np.concatenate([[0], index]).astype(np.int32)
    values = np.concatenate([[1.0], values])
    n_cols = len(subset) + 1
    costs = np.concatenate([[master.big], master.cost[subset]])
    h.passModel(
        n_cols,
        master.n_recipes + 1,
        len(index),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        costs if objective is None else objective,
        np.zeros(n_cols),
        np.full(n_cols, float(master.n_days)),
        master.row_lower,
        master.row_upper,
        starts,
        index,
        values,
        np.ones(n_cols, dtype=np.int32),
    )
    if cost_limit is not None:
        h.addRow(-np.inf, cost_limit, n_cols, np.arange(n_cols, dtype=np.int32), costs)
    if start is not None:
        _give_start(h, subset, *start)
    status = _run(h, clock)
    if h.getInfo().primal_solution_status != 2:
        return np.inf, {}, master.n_days, False
    x = np.rint(np.asarray(h.getSolution().col_value)).astype(int)
    counts = {int(subset[i - 1]): int(x[i]) for i in range(1, n_cols) if x[i] > 0}
    cost = float(costs @ x)
    return cost, counts, int(x[0]), status == highspy.HighsModelStatus.kOptimal


def _give_start(h: highspy.Highs, subset: Ints, counts: dict[int, int], u: int) -> None:
    """Hand HiGHS a known plan as its first incumbent."""
    position = {int(p): i + 1 for i, p in enumerate(subset)}
    if any(p not in position for p in counts):
        return
    cols = [0] + [position[p] for p in counts]
    vals = [float(u)] + [float(n) for n in counts.values()]
    h.setSolution(len(cols), np.asarray(cols, dtype=np.int32), np.asarray(vals))


def _ties(
    master: _Master, keep: Ints, best_cost: float, margin: float, clock: _Clock
) -> tuple[dict[int, int], int] | None:
    """Among plans within the tie margin of the least cost, the one serving most protein."""
    objective = np.concatenate([[0.0], -master.protein[keep] / max(master.protein.max(), 1e-9)])
    _, counts, unplanned, proven = _integer(
        master, keep, clock, objective=objective, cost_limit=best_cost + margin
    )
    return (counts, unplanned) if proven else None
