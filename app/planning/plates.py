"""Plates: one recipe of each plate category, with the exact least cost of serving them.

A plate is a staple, an animal protein, a vegetable, a fruit and optionally a plant
protein. For one group, energy, protein and cost of the plate all grow in proportion to
the portion factor f, so every rule is a bound on f:

    f ≥ 0.5,  f ≥ min_share · energy target / plate energy,
    f ≥ min_share · protein target / plate protein,
    f ≤ 2.0,  f ≤ max_share · energy target / plate energy,  f ≤ budget / plate cost.

The plate passes for the group exactly when the largest lower bound (the least factor)
meets every upper bound, and serving it at that least factor is the cheapest way to serve
it. So a plate's cost per day, Σ groups portions × least factor × plate cost, is known
exactly before any optimisation: the factor × choice product never enters the programme.

When prices (or portions) change within the range, the days fall into segments that share
them; a plate then has one cost per segment, and passes or not in each (the budget reads
the segment's prices; the least factor does not depend on them).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from app.core.akg import GROUP_ORDER
from app.planning.model import (
    FACTOR_MAX,
    FACTOR_MIN,
    OPTIONAL_CATEGORIES,
    PLATE_CATEGORIES,
    CandidateRecipe,
    DayTerms,
    PlanProblem,
    RecipeId,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int32]
Bools = npt.NDArray[np.bool_]

# Beyond this many recipe combinations the caller must narrow the recipes (`recipe_ids`).
MAX_COMBINATIONS = 6_000_000
# No plant protein on the plate (the optional category's "none").
NONE = -1


class Rule(StrEnum):
    """The rules a plate must meet for a group, named as a nutritionist would."""

    energy_min = "energy_min"
    energy_max = "energy_max"
    protein = "protein"
    budget = "budget"


ALL_RULES = frozenset(Rule)


class PlanTooLarge(ValueError):
    """More recipe combinations than the planner enumerates; narrow the recipes."""


@dataclass(frozen=True, slots=True)
class Group:
    """An enrolled group with the targets the plate rules use."""

    code: str
    portions: int
    energy: float
    protein: float | None
    budget: float


@dataclass(frozen=True, slots=True)
class Segment:
    """Days that share recipe costs and group portions (the whole range when nothing changes)."""

    days: tuple[date, ...]
    # Per usable recipe: rupiah per standard portion on these days, inf without a price.
    cost: Floats
    # Per group of Prepared.groups: portions a day.
    portions: tuple[int, ...]
    # Ids of the allowed plate recipes without a price on these days.
    unpriced: frozenset[RecipeId]


@dataclass(frozen=True, slots=True)
class Prepared:
    """The problem in canonical order (answers never depend on input order).

    `segments` are in order of their first day. A view of one segment (`at`) has that
    segment's costs as `cost` and its portions in `groups`, with the same recipe indices.
    """

    problem: PlanProblem
    recipes: tuple[CandidateRecipe, ...]
    groups: tuple[Group, ...]
    energy: Floats
    protein: Floats
    segments: tuple[Segment, ...]
    notes: list[str]
    reasons: list[str]

    @property
    def min_share(self) -> float:
        return self.problem.rule.min_share

    @property
    def max_share(self) -> float:
        return self.problem.rule.max_share

    @property
    def cost(self) -> Floats:
        """Each recipe's cost per standard portion (of a single segment or of a view)."""
        if len(self.segments) != 1:
            raise ValueError("costs differ between segments: take a view with at()")
        return self.segments[0].cost

    @property
    def n_days(self) -> int:
        return sum(len(s.days) for s in self.segments)

    @property
    def unpriced(self) -> frozenset[RecipeId]:
        """Allowed plate recipes without a price on any of the days."""
        return frozenset.intersection(*(s.unpriced for s in self.segments))

    def at(self, k: int) -> "Prepared":
        """The problem seen on segment k alone: its days, costs and portions."""
        segment = self.segments[k]
        groups = tuple(
            replace(g, portions=n) for g, n in zip(self.groups, segment.portions, strict=True)
        )
        return replace(self, groups=groups, segments=(segment,))

    def members(self, category: str) -> Ints:
        """Recipe indices of a category (the optional category also offers NONE)."""
        found = [i for i, r in enumerate(self.recipes) if r.category == category]
        if category in OPTIONAL_CATEGORIES:
            found.append(NONE)
        return np.asarray(found, dtype=np.int32)


def prepare(problem: PlanProblem) -> Prepared:
    """Canonical order, the recipes the plan may use, and reasons no plan can exist at all."""
    notes: list[str] = []
    reasons: list[str] = []
    terms = _terms(problem)
    plate = [r for r in problem.recipes if r.category in PLATE_CATEGORIES]
    off_plate = len(problem.recipes) - len(plate)
    if off_plate:
        notes.append(
            f"{off_plate} recipe(s) outside the plate categories (milk, other) were not used."
        )
    forbidden = sorted(r.name for r in plate if not r.allowed)
    if forbidden:
        notes.append(f"Not allowed by the kitchen's halal rule: {', '.join(forbidden)}.")
    allowed = [r for r in plate if r.allowed]
    priced_in = {r.id: sum(1 for t in terms if _cost(t, r) is not None) for r in allowed}
    unpriced = sorted(r.name for r in allowed if priced_in[r.id] == 0)
    if unpriced:
        notes.append(f"Left out for lack of a price: {', '.join(unpriced)}.")
    partly = sorted(r.name for r in allowed if 0 < priced_in[r.id] < len(terms))
    if partly:
        notes.append(
            "Without a price on some days of the range, so not planned on those days: "
            f"{', '.join(partly)}."
        )
    usable = tuple(
        sorted(
            (r for r in allowed if priced_in[r.id] > 0),
            key=lambda r: (PLATE_CATEGORIES.index(r.category), r.name.casefold(), str(r.id)),
        )
    )
    enrolled = sorted(
        (g for g in problem.groups if g.portions > 0),
        key=lambda g: (GROUP_ORDER.get(g.code, len(GROUP_ORDER)), g.code),
    )
    if not enrolled:
        reasons.append(
            "The kitchen enrols no target group, so no menu can pass the nutrition check."
        )
    groups: list[Group] = []
    for g in enrolled:
        energy = g.targets.get("energy_kcal")
        if not energy:
            reasons.append(
                f"Group {g.code} has no daily energy target (AKG), so its nutrition check "
                "cannot pass."
            )
            continue
        groups.append(Group(g.code, g.portions, energy, g.targets.get("protein_g"), g.budget))
    return Prepared(
        problem=problem,
        recipes=usable,
        groups=tuple(groups),
        energy=np.asarray([r.nutrients.get("energy_kcal", 0.0) for r in usable], dtype=float),
        protein=np.asarray([r.nutrients.get("protein_g", 0.0) for r in usable], dtype=float),
        segments=_segments(terms, usable, allowed, groups),
        notes=notes,
        reasons=reasons,
    )


def _terms(problem: PlanProblem) -> list[DayTerms]:
    """The problem's day terms, or one covering every day with the recipes' own costs."""
    if not problem.terms or not problem.days:
        return [DayTerms(days=sorted(problem.days), costs={r.id: r.cost for r in problem.recipes})]
    named = [d for t in problem.terms for d in t.days]
    if sorted(named) != sorted(problem.days):
        raise ValueError("the day terms must name every day of the plan exactly once")
    return list(problem.terms)


def _cost(terms: DayTerms, recipe: CandidateRecipe) -> float | None:
    return terms.costs.get(recipe.id)


def _segments(
    terms: Sequence[DayTerms],
    usable: Sequence[CandidateRecipe],
    allowed: Sequence[CandidateRecipe],
    groups: Sequence[Group],
) -> tuple[Segment, ...]:
    """Days grouped by equal costs and portions, in order of their first day."""
    merged: dict[tuple[tuple[float, ...], tuple[int, ...]], list[DayTerms]] = {}
    for t in terms:
        cost = tuple(np.inf if (c := _cost(t, r)) is None else float(c) for r in usable)
        portions = tuple(int(t.portions.get(g.code, g.portions)) for g in groups)
        merged.setdefault((cost, portions), []).append(t)
    segments = [
        Segment(
            days=tuple(sorted(d for t in same for d in t.days)),
            cost=np.asarray(cost, dtype=float),
            portions=portions,
            unpriced=frozenset(r.id for r in allowed if all(_cost(t, r) is None for t in same)),
        )
        for (cost, portions), same in merged.items()
    ]
    return tuple(sorted(segments, key=lambda s: s.days[:1]))


# ---- the factor of a plate for a group -----------------------------------------------------


def least_factor(
    energy: Floats,
    protein: Floats,
    group: Group,
    min_share: float,
    rules: frozenset[Rule] = ALL_RULES,
) -> Floats:
    """The smallest factor meeting the floors in `rules` (energy and protein), at least 0.5."""
    least = np.full(energy.shape, FACTOR_MIN)
    with np.errstate(divide="ignore", invalid="ignore"):
        if Rule.energy_min in rules:
            least = np.maximum(
                least, np.where(energy > 0, min_share * group.energy / energy, np.inf)
            )
        if Rule.protein in rules and group.protein:
            least = np.maximum(
                least, np.where(protein > 0, min_share * group.protein / protein, np.inf)
            )
    return least


def passes(
    least: Floats,
    energy: Floats,
    cost: Floats,
    group: Group,
    max_share: float,
    rules: frozenset[Rule] = ALL_RULES,
) -> Bools:
    """Whether the plate at its least factor also meets the ceilings in `rules`."""
    ok: Bools = least <= FACTOR_MAX
    if Rule.energy_max in rules:
        ok &= least * energy <= max_share * group.energy
    if Rule.budget in rules:
        ok &= least * cost <= group.budget
    return ok


# ---- enumerating plates --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chunk:
    """A block of plates: recipe indices (5 × n, NONE for no plant protein) and totals."""

    recipes: Ints
    energy: Floats
    protein: Floats
    cost: Floats


def combinations_count(members: Sequence[Ints]) -> int:
    """How many plates the category members make."""
    count = 1
    for m in members:
        count *= len(m)
    return count


def _refuse_too_many(members: Sequence[Ints], segments: int = 1) -> None:
    count = combinations_count(members)
    if count * segments > MAX_COMBINATIONS:
        if segments == 1:
            raise PlanTooLarge(
                f"{count:,} recipe combinations are more than the planner considers at once "
                f"({MAX_COMBINATIONS:,}); choose fewer recipes (recipe_ids)."
            )
        raise PlanTooLarge(
            f"{count:,} recipe combinations, each costed at the prices of {segments} "
            f"stretches of days, are more than the planner considers at once "
            f"({MAX_COMBINATIONS:,}); choose fewer recipes (recipe_ids) or fewer days."
        )


def chunks(
    prep: Prepared, members: Sequence[Ints] | None = None, *, cost: Floats | None = None
) -> Iterator[Chunk]:
    """Every plate of the given members (all usable recipes by default), one staple at a
    time, costed at `cost` (default: the prepared problem's, which must be one segment)."""
    members = list(members) if members is not None else [prep.members(c) for c in PLATE_CATEGORIES]
    if combinations_count(members) == 0:
        return
    _refuse_too_many(members)
    energy = np.append(prep.energy, 0.0)  # index NONE (-1) reads the appended 0
    protein = np.append(prep.protein, 0.0)
    cost = np.append(prep.cost if cost is None else cost, 0.0)
    rest = np.array(np.meshgrid(*members[1:], indexing="ij"), dtype=np.int32).reshape(
        len(members) - 1, -1
    )
    rest_e, rest_q, rest_c = (v[rest].sum(axis=0) for v in (energy, protein, cost))
    for first in members[0]:
        recipes = np.vstack([np.full((1, rest.shape[1]), first, dtype=np.int32), rest])
        yield Chunk(recipes, rest_e + energy[first], rest_q + protein[first], rest_c + cost[first])


def pruned_members(prep: Prepared) -> list[Ints]:
    """Category members that can be on some passing plate, by category extremes (exact).

    A recipe's plate has at least its own energy and cost plus the least of every other
    required category, and at most its protein and energy plus the most of every other
    category. If even those extremes fail a group, no plate with the recipe passes. Repeated
    until nothing more is dropped; this only shrinks the enumeration, never the answer.
    """
    members = [prep.members(c) for c in PLATE_CATEGORIES]
    energy = np.append(prep.energy, 0.0)
    protein = np.append(prep.protein, 0.0)
    cost = np.append(prep.cost, 0.0)
    while True:
        kept: list[Ints] = []
        for i, own in enumerate(members):
            others = [m for j, m in enumerate(members) if j != i]
            if any(len(m) == 0 for m in others) or len(own) == 0:
                return [np.zeros(0, dtype=np.int32) for _ in members]
            e_lo = energy[own] + sum(energy[m].min() for m in others)
            e_hi = energy[own] + sum(energy[m].max() for m in others)
            q_hi = protein[own] + sum(protein[m].max() for m in others)
            c_lo = cost[own] + sum(cost[m].min() for m in others)
            ok = np.ones(len(own), dtype=bool)
            for group in prep.groups:
                least = least_factor(e_hi, q_hi, group, prep.min_share)
                ok &= least <= FACTOR_MAX
                with np.errstate(divide="ignore", invalid="ignore"):
                    most = np.minimum(
                        np.where(e_lo > 0, prep.max_share * group.energy / e_lo, np.inf),
                        np.where(c_lo > 0, group.budget / c_lo, np.inf),
                    )
                ok &= least <= np.minimum(most, FACTOR_MAX)
            kept.append(own[ok])
        if all(len(a) == len(b) for a, b in zip(kept, members, strict=True)):
            return kept
        members = kept


@dataclass(frozen=True, slots=True)
class Plates:
    """The plates that pass for every group on the days of a segment, with their exact cost
    per day there: one column per (plate, segment) that passes."""

    recipes: Ints  # 5 × n recipe indices, NONE for no plant protein
    cost: Floats  # rupiah per day: Σ groups portions × least factor × plate cost
    protein: Floats  # grams of protein served per day at the least factors
    segment: Ints  # the segment (Prepared.segments) whose days the column may serve

    def count_in(self, k: int) -> int:
        """How many columns serve segment k."""
        return int(np.count_nonzero(self.segment == k))


def passing_plates(prep: Prepared) -> Plates:
    """Every plate that passes the plate rules for every enrolled group, per segment."""
    segments = prep.segments
    _refuse_too_many([prep.members(c) for c in PLATE_CATEGORIES], len(segments))
    if len(segments) == 1:
        members = pruned_members(prep)
    else:
        # A recipe stays if some segment's prices let it onto a passing plate.
        views = [pruned_members(prep.at(k)) for k in range(len(segments))]
        members = [_union([v[c] for v in views]) for c in range(len(PLATE_CATEGORIES))]
    padded = [np.append(s.cost, 0.0) for s in segments]
    blocks: list[tuple[Ints, Floats, Floats, Ints]] = []
    for chunk in chunks(prep, members, cost=segments[0].cost):
        least = [least_factor(chunk.energy, chunk.protein, g, prep.min_share) for g in prep.groups]
        for k, segment in enumerate(segments):
            cost = chunk.cost if k == 0 else padded[k][chunk.recipes].sum(axis=0)
            ok = np.ones(chunk.energy.shape, dtype=bool)
            for g, group in enumerate(prep.groups):
                ok &= passes(least[g], chunk.energy, cost, group, prep.max_share)
            if not ok.any():
                continue
            day_cost = np.zeros(int(ok.sum()))
            day_protein = np.zeros(int(ok.sum()))
            for g, portions in enumerate(segment.portions):
                day_cost += portions * least[g][ok] * cost[ok]
                day_protein += portions * least[g][ok] * chunk.protein[ok]
            blocks.append(
                (
                    chunk.recipes[:, ok],
                    day_cost,
                    day_protein,
                    np.full(len(day_cost), k, dtype=np.int32),
                )
            )
    if not blocks:
        return Plates(
            np.zeros((len(PLATE_CATEGORIES), 0), dtype=np.int32),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, dtype=np.int32),
        )
    return Plates(
        np.hstack([b[0] for b in blocks]),
        np.concatenate([b[1] for b in blocks]),
        np.concatenate([b[2] for b in blocks]),
        np.concatenate([b[3] for b in blocks]),
    )


def _union(arrays: Sequence[Ints]) -> Ints:
    out: Ints = np.zeros(0, dtype=np.int32)
    for a in arrays:
        out = np.union1d(out, a).astype(np.int32)
    return out


def plate_factors(prep: Prepared, recipes: Sequence[int]) -> dict[str, tuple[float, float]]:
    """Per group, (least factor, plate cost per portion at it) of one plate."""
    picked = [r for r in recipes if r != NONE]
    energy = np.asarray([prep.energy[picked].sum()])
    protein = np.asarray([prep.protein[picked].sum()])
    cost = float(prep.cost[picked].sum())
    result: dict[str, tuple[float, float]] = {}
    for group in prep.groups:
        least = float(least_factor(energy, protein, group, prep.min_share)[0])
        result[group.code] = (least, least * cost)
    return result
