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
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from app.nutrition.models import TargetGroup
from app.planning.model import (
    FACTOR_MAX,
    FACTOR_MIN,
    OPTIONAL_CATEGORIES,
    PLATE_CATEGORIES,
    CandidateRecipe,
    PlanProblem,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int32]
Bools = npt.NDArray[np.bool_]

# Beyond this many recipe combinations the caller must narrow the recipes (`recipe_ids`).
MAX_COMBINATIONS = 6_000_000
# No plant protein on the plate (the optional category's "none").
NONE = -1
_GROUP_ORDER = {g.value: i for i, g in enumerate(TargetGroup)}


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
class Prepared:
    """The problem in canonical order (answers never depend on input order)."""

    problem: PlanProblem
    recipes: tuple[CandidateRecipe, ...]
    groups: tuple[Group, ...]
    energy: Floats
    protein: Floats
    cost: Floats
    notes: list[str]
    reasons: list[str]

    @property
    def min_share(self) -> float:
        return self.problem.rule.min_share

    @property
    def max_share(self) -> float:
        return self.problem.rule.max_share

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
    plate = [r for r in problem.recipes if r.category in PLATE_CATEGORIES]
    off_plate = len(problem.recipes) - len(plate)
    if off_plate:
        notes.append(
            f"{off_plate} recipe(s) outside the plate categories (milk, other) were not used."
        )
    forbidden = sorted(r.name for r in plate if not r.allowed)
    if forbidden:
        notes.append(f"Not allowed by the kitchen's halal rule: {', '.join(forbidden)}.")
    unpriced = sorted(r.name for r in plate if r.allowed and r.cost is None)
    if unpriced:
        notes.append(f"Left out for lack of a price: {', '.join(unpriced)}.")
    usable = tuple(
        sorted(
            (r for r in plate if r.allowed and r.cost is not None),
            key=lambda r: (PLATE_CATEGORIES.index(r.category), r.name.casefold(), str(r.id)),
        )
    )
    enrolled = sorted(
        (g for g in problem.groups if g.portions > 0),
        key=lambda g: (_GROUP_ORDER.get(g.code, len(_GROUP_ORDER)), g.code),
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
        cost=np.asarray([r.cost or 0.0 for r in usable], dtype=float),
        notes=notes,
        reasons=reasons,
    )


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


def _refuse_too_many(members: Sequence[Ints]) -> None:
    count = combinations_count(members)
    if count > MAX_COMBINATIONS:
        raise PlanTooLarge(
            f"{count:,} recipe combinations are more than the planner considers at once "
            f"({MAX_COMBINATIONS:,}); choose fewer recipes (recipe_ids)."
        )


def chunks(prep: Prepared, members: Sequence[Ints] | None = None) -> Iterator[Chunk]:
    """Every plate of the given members (all usable recipes by default), one staple at a time."""
    members = list(members) if members is not None else [prep.members(c) for c in PLATE_CATEGORIES]
    if combinations_count(members) == 0:
        return
    _refuse_too_many(members)
    energy = np.append(prep.energy, 0.0)  # index NONE (-1) reads the appended 0
    protein = np.append(prep.protein, 0.0)
    cost = np.append(prep.cost, 0.0)
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
    """The plates that pass for every group, with their exact cost per day."""

    recipes: Ints  # 5 × n recipe indices, NONE for no plant protein
    cost: Floats  # rupiah per day: Σ groups portions × least factor × plate cost
    protein: Floats  # grams of protein served per day at the least factors


def passing_plates(prep: Prepared) -> Plates:
    """Every plate that passes the plate rules for every enrolled group."""
    _refuse_too_many([prep.members(c) for c in PLATE_CATEGORIES])
    blocks: list[tuple[Ints, Floats, Floats]] = []
    for chunk in chunks(prep, pruned_members(prep)):
        ok = np.ones(chunk.energy.shape, dtype=bool)
        day_cost = np.zeros(chunk.energy.shape)
        day_protein = np.zeros(chunk.energy.shape)
        for group in prep.groups:
            least = least_factor(chunk.energy, chunk.protein, group, prep.min_share)
            ok &= passes(least, chunk.energy, chunk.cost, group, prep.max_share)
            day_cost += group.portions * least * chunk.cost
            day_protein += group.portions * least * chunk.protein
        if ok.any():
            blocks.append((chunk.recipes[:, ok], day_cost[ok], day_protein[ok]))
    if not blocks:
        return Plates(
            np.zeros((len(PLATE_CATEGORIES), 0), dtype=np.int32), np.zeros(0), np.zeros(0)
        )
    return Plates(
        np.hstack([b[0] for b in blocks]),
        np.concatenate([b[1] for b in blocks]),
        np.concatenate([b[2] for b in blocks]),
    )


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
