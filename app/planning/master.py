"""How many days to serve each plate: an integer programme solved by HiGHS.

Variables: n[p] ≥ 0 whole days serving plate p, and u ≥ 0 days left unplanned.

    minimise   Σ cost[p]·n[p] + BIG·u
    subject to Σ n[p] + u = days
               Σ_{p contains r} n[p] ≤ max_repeats      for every recipe r

BIG exceeds any plan's cost, so u > 0 in an optimum means no full plan exists, and
days - u is then the most days that can be planned. When prices change within the range,
the days fall into segments k (app/planning/plates.py): a column is then a plate on the
days of one segment, with that segment's cost, and each segment has its own days row
Σ_{p of k} n[p] + u[k] = days[k]; the repeat rows span all segments.

Plates passing every group number in the hundreds of thousands, so the programme is solved
in three exact steps:

1. The linear relaxation over all plates, by column generation: HiGHS solves it over a
   subset, every plate's reduced cost is priced with the duals (vectorised), and the most
   negative join, until none is negative. Any duals give a valid lower bound LB.
2. Reduced-cost fixing: a plan using plate p costs at least LB + slack[p], the amount by
   which p's reduced cost exceeds the least. HiGHS solves the integer programme over the
   plates whose slack is within a window; if the optimum there costs at most LB + window,
   no plate outside can be in a cheaper plan, so it is optimal over all plates. Otherwise
   the window widens and the solve repeats.
3. Ties: among plans within Rp 1 of the least cost, HiGHS then looks for the one serving
   the most protein, within a fixed number of branch-and-bound nodes.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from app.planning.plates import NONE, Floats, Ints, Plates

# Costs closer than this (rupiah, whole plan) count as equal; it is also the optimality proof's
# absolute gap.
TIE_RUPIAH = 1.0
# Plates added per column-generation round (and the cheapest plates it starts from).
_BATCH = 400
# The first window of reduced costs, relative to the bound (plans rarely cost more than
# 0.01 % above the relaxation), and the branch-and-bound nodes allowed for settling ties (a
# node count, unlike time, keeps the answer deterministic).
_FIRST_WINDOW = 2e-5
_TIE_NODES = 300
# When the relaxation proves that no full plan exists: seconds spent at most on finding how
# many days can be planned.
_NO_PLAN_SECONDS = 2.0
_NEGATIVE = -1e-9


@dataclass
class MasterResult:
    """Days per plate (indices into Plates), days left unplanned, and the proof's state."""

    status: str  # "optimal" or "time_limit"
    counts: dict[int, int]
    # Days no plan can fill; -1 when proven that some can't, but not yet how many.
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
        # The relaxation is tight and a plan to improve on is at hand (all days unplanned,
        # then the previous window's): the work is the proof, which heuristics only slow.
        h.setOptionValue("mip_heuristic_effort", 0.0)
        for heuristic in ("rins", "rens", "root_reduced_cost", "feasibility_jump"):
            h.setOptionValue(f"mip_heuristic_run_{heuristic}", False)
    return h


def _run(h: highspy.Highs, clock: _Clock) -> highspy.HighsModelStatus:
    h.setOptionValue("time_limit", clock.left())
    before = h.getRunTime()
    h.run()
    clock.solver += h.getRunTime() - before
    return h.getModelStatus()


class _Master:
    """The programme's data: scaled costs and the columns of any subset of plates."""

    def __init__(
        self, plates: Plates, n_recipes: int, days: Sequence[int], max_repeats: int
    ) -> None:
        self.recipes = plates.recipes
        self.segment = plates.segment
        self.days = np.asarray(days, dtype=float)
        self.n_segments = len(days)
        self.n_rows = self.n_segments + n_recipes
        n_days = int(sum(days))
        self.n_recipes, self.n_days, self.max_repeats = n_recipes, n_days, max_repeats
        # Costs are scaled to about 1 per plate-day for the solver's tolerances.
        self.scale = 1.0 / max(float(plates.cost.mean()) if len(plates.cost) else 1.0, 1e-9)
        self.cost = plates.cost * self.scale
        self.protein = plates.protein
        # No full plan costs more than every day at the dearest plate; an unplanned day is
        # dearer than any change of plates a planned day could force elsewhere.
        dearest = float(self.cost.max()) if len(self.cost) else 1.0
        self.full_plan_cap = n_days * dearest * (1 + 1e-9)
        self.big = 2.0 * self.full_plan_cap + 1.0
        self.row_lower = np.concatenate([self.days, np.full(n_recipes, -np.inf)])
        self.row_upper = np.concatenate([self.days, np.full(n_recipes, float(max_repeats))])

    def columns(self, subset: Ints) -> tuple[Ints, Ints, Floats]:
        """Compressed columns of the plates in `subset`: their segment's days row and their
        recipes' rows."""
        recipes = self.recipes[:, subset]
        rows = np.vstack([self.segment[subset][None, :], recipes + self.n_segments])
        present = np.vstack([np.ones((1, len(subset)), dtype=bool), recipes != NONE])
        starts = np.concatenate([[0], np.cumsum(present.sum(axis=0))]).astype(np.int32)
        index = rows.T[present.T].astype(np.int32)
        return starts, index, np.ones(len(index))

    def unplanned_columns(self) -> tuple[Ints, Ints, Floats]:
        """Compressed columns of u[k], the days of segment k left unplanned: one row each."""
        k = np.arange(self.n_segments, dtype=np.int32)
        return np.arange(self.n_segments + 1, dtype=np.int32), k, np.ones(self.n_segments)

    def reduced_costs(self, duals: Floats) -> tuple[Floats, float, Floats]:
        """Every plate's reduced cost, the Lagrangian lower bound the duals prove, and each
        segment's least reduced cost among its plates (at most 0)."""
        sigma = np.asarray(duals[: self.n_segments], dtype=float)
        pi = np.append(np.minimum(duals[self.n_segments :], 0.0), 0.0)  # NONE reads the 0
        reduced = self.cost - sigma[self.segment] - pi[self.recipes].sum(axis=0)
        least = np.zeros(self.n_segments)
        np.minimum.at(least, self.segment, reduced)
        # With u[k], whose reduced cost is big - sigma[k]: a valid bound for any duals.
        floor = np.minimum(least, self.big - sigma)
        bound = (
            float(sigma @ self.days)
            + self.max_repeats * float(pi[:-1].sum())
            + float(floor @ self.days)
        )
        return reduced, bound, least

    def unplanned(self, counts: dict[int, int]) -> Ints:
        """Days of each segment that `counts` leaves unplanned."""
        served = np.zeros(self.n_segments, dtype=np.int64)
        for p, n in counts.items():
            served[self.segment[p]] += n
        return (self.days.astype(np.int64) - served).astype(np.int32)


def solve_plates(
    plates: Plates, *, n_recipes: int, days: Sequence[int], max_repeats: int, time_limit: float
) -> MasterResult:
    """The least-cost number of days for each plate (column), proven optimal unless time
    runs out. `days` are the days of each segment (one number when prices do not change)."""
    clock = _Clock(time_limit)
    master = _Master(plates, n_recipes, days, max_repeats)
    n_days = master.n_days
    relaxed = _relaxation(master, clock)
    reduced, bound = relaxed.reduced, relaxed.bound
    # Even serving fractions of plates cannot fill every day: no full plan exists. The
    # solve below still finds how many days can be planned, if time allows.
    no_full_plan = relaxed.converged and bound > master.full_plan_cap
    if no_full_plan:
        # The answer is "no plan" already; how many days could be planned is only a detail
        # of the reason, not worth the whole time limit.
        clock.deadline = min(clock.deadline, time.monotonic() + _NO_PLAN_SECONDS)
    margin = TIE_RUPIAH * master.scale
    # A plan using plate p costs at least bound + slack[p].
    slack = reduced - relaxed.least[master.segment]

    # Solve over the plates whose reduced cost lies within a window of the least. If the
    # best plan there costs at most bound + window, no plate outside can be in a cheaper
    # plan and it is the optimum. Otherwise the window widens to what that plan allows (at
    # most eight-fold; four-fold while days stay unplanned) and the solve is repeated.
    window = _FIRST_WINDOW * max(abs(bound), 1.0) if relaxed.converged else np.inf
    best, unplanned = master.big * n_days, n_days
    counts: dict[int, int] = {}
    proven = False
    subset = relaxed.support
    while not clock.expired():
        subset = _within(slack, window, relaxed.support)
        best, counts, unplanned, proven = _integer(
            master, subset, clock, start=counts if counts else None
        )
        complete = len(subset) == len(slack)
        if not proven or complete or (unplanned == 0 and best - bound <= window):
            break
        window = min(best - bound + margin, window * 8) if unplanned == 0 else window * 4
    in_mip = len(subset)
    proven = proven and relaxed.converged
    if proven and unplanned == 0:
        # Only the plates of plans within the tie margin, whatever the path to the optimum.
        ties = _within(slack, best - bound + margin, relaxed.support)
        tie = _ties(master, ties, best, margin, clock, start=counts)
        if tie is not None:
            counts, unplanned = tie
    if no_full_plan and not proven:
        return MasterResult("optimal", {}, -1, float("inf"), None, clock.solver, in_mip)
    return MasterResult(
        status="optimal" if proven else "time_limit",
        counts=counts,
        unplanned=unplanned,
        cost=float(sum(plates.cost[p] * n for p, n in counts.items())),
        bound=bound / master.scale if np.isfinite(bound) else None,
        solver_seconds=clock.solver,
        plates_in_mip=in_mip,
    )


def _within(slack: Floats, window: float, support: Ints) -> Ints:
    """Plates whose reduced cost is within `window` of the least, and the relaxation's own."""
    return np.union1d(np.flatnonzero(slack <= window), support).astype(np.int32)


@dataclass
class _Relaxed:
    reduced: Floats
    bound: float
    least: Floats  # per segment
    converged: bool
    support: Ints


def _relaxation(master: _Master, clock: _Clock) -> _Relaxed:
    """Column generation for the LP bound: reduced costs, bound, convergence, plates in use."""
    n_plates = len(master.cost)
    k = master.n_segments
    # Start from the cheapest plates and, for every recipe and segment, its cheapest plate.
    by_cost = np.argsort(master.cost, kind="stable")
    start = set(by_cost[:_BATCH].tolist())
    segment = master.segment[by_cost].astype(np.int64)
    for row in master.recipes:
        # The first plate in cost order holding a recipe is that recipe's cheapest.
        _, first = np.unique(segment * (master.n_recipes + 1) + row[by_cost], return_index=True)
        start.update(by_cost[first].tolist())
    in_master = np.zeros(n_plates, dtype=bool)
    subset = np.asarray(sorted(start), dtype=np.int32)
    in_master[subset] = True

    h = _highs(clock, mip=False)
    # The first k columns are u[k], the unplanned days of each segment.
    starts, index, values = _with_unplanned(master, *master.columns(subset))
    n_cols = len(subset) + k
    h.passModel(
        n_cols,
        master.n_rows,
        len(index),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.concatenate([np.full(k, master.big), master.cost[subset]]),
        np.zeros(n_cols),
        np.full(n_cols, np.inf),
        master.row_lower,
        master.row_upper,
        starts,
        index,
        values,
        np.zeros(n_cols, dtype=np.int32),
    )
    reduced, bound, least = np.zeros(n_plates), -np.inf, np.zeros(k)
    columns = subset
    while True:
        status = _run(h, clock)
        if status != highspy.HighsModelStatus.kOptimal:
            return _Relaxed(reduced, bound, least, False, subset)
        solution = h.getSolution()
        reduced, bound, least = master.reduced_costs(np.asarray(solution.row_dual, dtype=float))
        used = np.asarray(solution.col_value)[k:] > 1e-9
        support = columns[used].astype(np.int32)
        candidates = np.flatnonzero((reduced < _NEGATIVE) & ~in_master).astype(np.int32)
        if len(candidates) == 0:
            return _Relaxed(reduced, bound, least, True, support)
        if clock.expired():
            return _Relaxed(reduced, bound, least, False, support)
        if len(candidates) > _BATCH:
            part = np.argpartition(reduced[candidates], _BATCH)[:_BATCH]
            candidates = np.sort(candidates[part])
        in_master[candidates] = True
        columns = np.concatenate([columns, candidates])
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


def _with_unplanned(
    master: _Master, starts: Ints, index: Ints, values: Floats
) -> tuple[Ints, Ints, Floats]:
    """Plate columns preceded by the u[k] columns."""
    u_starts, u_index, u_values = master.unplanned_columns()
    return (
        np.concatenate([u_starts[:-1], starts + u_starts[-1]]).astype(np.int32),
        np.concatenate([u_index, index]).astype(np.int32),
        np.concatenate([u_values, values]),
    )


Solution = tuple[float, dict[int, int], int, bool]


def _integer(
    master: _Master,
    subset: Ints,
    clock: _Clock,
    *,
    start: dict[int, int] | None = None,
    objective: Floats | None = None,
    cost_limit: float | None = None,
    max_nodes: int | None = None,
) -> Solution:
    """Solve the integer programme over `subset` (plus u): cost, days per plate, days left
    unplanned, proven."""
    k = master.n_segments
    h = _highs(clock, mip=True)
    h.setOptionValue("mip_abs_gap", TIE_RUPIAH * master.scale)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", max_nodes)
    starts, index, values = _with_unplanned(master, *master.columns(subset))
    n_cols = len(subset) + k
    costs = np.concatenate([np.full(k, master.big), master.cost[subset]])
    h.passModel(
        n_cols,
        master.n_rows,
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
        _give_start(h, master, subset, start)
    status = _run(h, clock)
    if h.getInfo().primal_solution_status != 2:
        return np.inf, {}, master.n_days, False
    x = np.rint(np.asarray(h.getSolution().col_value)).astype(int)
    counts = {int(subset[i - k]): int(x[i]) for i in range(k, n_cols) if x[i] > 0}
    cost = float(costs @ x)
    return cost, counts, int(x[:k].sum()), status == highspy.HighsModelStatus.kOptimal


def _give_start(h: highspy.Highs, master: _Master, subset: Ints, counts: dict[int, int]) -> None:
    """Hand HiGHS a known plan as its first incumbent (every column, so nothing to complete)."""
    k = master.n_segments
    position = {int(p): i + k for i, p in enumerate(subset)}
    if any(p not in position for p in counts):
        return
    values = np.zeros(len(subset) + k)
    values[:k] = master.unplanned(counts)
    for p, n in counts.items():
        values[position[p]] = n
    h.setSolution(len(values), np.arange(len(values), dtype=np.int32), values)


def _ties(
    master: _Master,
    keep: Ints,
    best_cost: float,
    margin: float,
    clock: _Clock,
    *,
    start: dict[int, int],
) -> tuple[dict[int, int], int] | None:
    """Among plans within the tie margin of the least cost, the one serving most protein."""
    objective = np.concatenate(
        [np.zeros(master.n_segments), -master.protein[keep] / max(master.protein.max(), 1e-9)]
    )
    _, counts, unplanned, proven = _integer(
        master,
        keep,
        clock,
        objective=objective,
        cost_limit=best_cost + margin,
        start=start,
        max_nodes=_TIE_NODES,
    )
    return (counts, unplanned) if proven else None
