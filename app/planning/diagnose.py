"""Why no plan exists, in words a nutritionist understands.

The checks run from the most basic to the most specific; the first level that finds a
cause answers. Every check is exact: it looks at every plate, or re-solves the plan.

1. A plate category without any usable recipe, or with too few recipes for the days at the
   repeat limit.
2. Each group alone: which of its rules (energy floor, energy ceiling, protein floor,
   budget) no plate can meet together, found by dropping rules one family at a time; a
   budget that is too low is quoted against the cheapest plate that meets the rest.
3. All groups on one shared plate: the groups no single plate can suit, and which rule,
   relaxed for them, would let one.
4. The recipes that are on at least one plate passing every group, per category, against
   the days and the repeat limit.
5. The plan itself: how many days can be planned, and which repeat limit would allow a plan.

When prices change within the range, levels 1 to 4 are asked of each stretch of days that
share prices (app/planning/plates.py), and a reason found there names its days.
"""

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, combinations

import numpy as np

from app.planning.master import MasterResult, solve_plates
from app.planning.model import FACTOR_MAX, FACTOR_MIN, PLATE_CATEGORIES, REQUIRED_CATEGORIES
from app.planning.plates import (
    ALL_RULES,
    NONE,
    Plates,
    Prepared,
    Rule,
    chunks,
    least_factor,
    passes,
)

CATEGORY_LABELS = {
    "staple": "staple",
    "animal_protein": "animal-protein",
    "plant_protein": "plant-protein",
    "vegetable": "vegetable",
    "fruit": "fruit",
}
RuleSet = frozenset[Rule]


def explain_infeasible(
    prep: Prepared,
    *,
    plates: Plates | None = None,
    master: MasterResult | None = None,
    time_limit: float = 10.0,
) -> list[str]:
    """Reasons the rules cannot all hold, most basic first.

    When prices change within the range, levels 1 to 4 look at each stretch of days priced
    alike (a segment) in date order and name its days; level 4 then also looks at the
    whole range, and level 5 at the plan.
    """
    deadline = time.monotonic() + time_limit
    reasons = category_reasons(prep)
    if reasons:
        return reasons
    if len(prep.segments) == 1:
        reasons, fitting = _plate_reasons(prep)
        if reasons:
            return reasons
    else:
        fitting = set()
        for k, segment in enumerate(prep.segments):
            view = prep.at(k)
            found = category_reasons(view)
            if not found:
                found, fits = _plate_reasons(view)
                fitting |= fits
            if found:
                return [f"{days_label(segment.days)}: {r}" for r in found]
        reasons = fitting_reasons(prep, fitting)
        if reasons:
            return reasons
    if plates is not None and master is not None and master.unplanned != 0:
        return _days(prep, plates, master, deadline)
    return ["The rules cannot all hold together (no single cause found)."]


def _plate_reasons(prep: Prepared) -> tuple[list[str], set[int]]:
    """Levels 2 to 4 for one segment, and the recipes on a plate that passes every group."""
    scan = _scan(prep)
    reasons = (
        _groups_alone(prep, scan)
        or _groups_together(prep, scan)
        or fitting_reasons(prep, scan.fitting)
    )
    return reasons, scan.fitting


def days_label(days: Sequence[date]) -> str:
    """Some days of the range, as the start of a reason."""
    if len(days) == 1:
        return f"On {days[0].isoformat()} (at that day's prices)"
    return (
        f"On the {len(days)} days from {days[0].isoformat()} to {days[-1].isoformat()} "
        "that share the same prices"
    )


# ---- level 1 -----------------------------------------------------------------------------


def category_reasons(prep: Prepared) -> list[str]:
    """Plate categories with no usable recipe, or too few for the days at the repeat limit."""
    problem = prep.problem
    unpriced = prep.unpriced
    costs = np.vstack([s.cost for s in prep.segments])
    priced = np.asarray(np.isfinite(costs).any(axis=0), dtype=bool)
    reasons: list[str] = []
    for category in REQUIRED_CATEGORIES:
        label = CATEGORY_LABELS[category]
        usable = [r for i, r in enumerate(prep.recipes) if r.category == category and priced[i]]
        if not usable:
            all_of = [r for r in problem.recipes if r.category == category]
            why = []
            not_allowed = sum(1 for r in all_of if not r.allowed)
            without_price = sum(1 for r in all_of if r.allowed and r.id in unpriced)
            if not_allowed:
                why.append(f"{not_allowed} not allowed by the halal rule")
            if without_price:
                why.append(f"{without_price} without a price")
            detail = f" ({'; '.join(why)})" if why else ""
            reasons.append(f"No {label} recipe available{detail}.")
            continue
        covered = len(usable) * problem.max_repeats
        if covered < prep.n_days:
            reasons.append(
                f"max_repeats {problem.max_repeats} × {len(usable)} {label} recipes covers "
                f"{covered} of {prep.n_days} days."
            )
    return reasons


# ---- one pass over every plate -----------------------------------------------------------


@dataclass
class _Cheapest:
    per_portion: float
    recipes: tuple[int, ...]
    factor: float


@dataclass
class _Scan:
    """What every plate says about each group alone, pairs of groups and all together."""

    alone: dict[tuple[int, RuleSet], bool] = field(default_factory=dict)
    cheapest: dict[tuple[int, RuleSet], _Cheapest] = field(default_factory=dict)
    pairs: dict[tuple[int, int], bool] = field(default_factory=dict)
    everyone: bool = False
    fitting: set[int] = field(default_factory=set)


def _rules_of(prep: Prepared, g: int) -> list[Rule]:
    rules = [Rule.energy_min, Rule.energy_max]
    if prep.groups[g].protein:
        rules.append(Rule.protein)
    rules.append(Rule.budget)
    return rules


def _subsets(rules: list[Rule]) -> Iterable[RuleSet]:
    return (frozenset(s) for s in chain.from_iterable(combinations(rules, k) for k in range(1, 5)))


def _scan(prep: Prepared) -> _Scan:
    scan = _Scan()
    n_groups = len(prep.groups)
    for chunk in chunks(prep):
        full: list[np.ndarray] = []
        for g, group in enumerate(prep.groups):
            for rules in _subsets(_rules_of(prep, g)):
                least = least_factor(chunk.energy, chunk.protein, group, prep.min_share, rules)
                ok = passes(least, chunk.energy, chunk.cost, group, prep.max_share, rules)
                scan.alone[(g, rules)] = scan.alone.get((g, rules), False) or bool(ok.any())
                if Rule.budget not in rules and ok.any():
                    price = np.where(ok, least * chunk.cost, np.inf)
                    best = int(np.argmin(price))
                    known = scan.cheapest.get((g, rules))
                    if known is None or price[best] < known.per_portion:
                        scan.cheapest[(g, rules)] = _Cheapest(
                            float(price[best]),
                            tuple(int(r) for r in chunk.recipes[:, best]),
                            float(least[best]),
                        )
            least = least_factor(chunk.energy, chunk.protein, group, prep.min_share)
            full.append(passes(least, chunk.energy, chunk.cost, group, prep.max_share))
        for a, b in combinations(range(n_groups), 2):
            scan.pairs[(a, b)] = scan.pairs.get((a, b), False) or bool((full[a] & full[b]).any())
        everyone = np.logical_and.reduce(full) if full else np.zeros(0, dtype=bool)
        if everyone.any():
            scan.everyone = True
            scan.fitting.update(int(r) for r in np.unique(chunk.recipes[:, everyone]))
    scan.fitting.discard(NONE)
    return scan


# ---- level 2 -----------------------------------------------------------------------------


def _groups_alone(prep: Prepared, scan: _Scan) -> list[str]:
    reasons: list[str] = []
    for g in range(len(prep.groups)):
        rules = _rules_of(prep, g)
        if scan.alone.get((g, frozenset(rules)), False):
            continue
        conflicts: list[RuleSet] = []
        for subset in sorted(_subsets(rules), key=len):
            if not any(c <= subset for c in conflicts) and not scan.alone.get((g, subset), False):
                conflicts.append(subset)
        reasons.extend(_group_reason(prep, scan, g, c) for c in conflicts)
    return reasons


def _group_reason(prep: Prepared, scan: _Scan, g: int, conflict: RuleSet) -> str:
    group = prep.groups[g]
    lo, hi = _percent(prep.min_share), _percent(prep.max_share)
    kcal_lo, kcal_hi = prep.min_share * group.energy, prep.max_share * group.energy
    if Rule.budget in conflict:
        nutrition = conflict - {Rule.budget}
        if nutrition:
            cheapest = scan.cheapest.get((g, frozenset(nutrition)))
            what = f"that gives {_words(prep, g, nutrition)}"
        else:
            cheapest = _cheapest_at_smallest(prep, scan, g)
            what = f"even at the smallest portion (factor {FACTOR_MIN:g})"
        if cheapest is None:
            return f"For {group.code}, no plate meets {_words(prep, g, conflict)}."
        return (
            f"Budget too low for {group.code}: the cheapest plate {what} costs "
            f"Rp {cheapest.per_portion:,.0f} per portion against Rp {group.budget:,.0f} "
            f"({_plate_names(prep, cheapest.recipes)} at portion factor {cheapest.factor:.2f})."
        )
    if conflict == {Rule.energy_min}:
        return (
            f"No plate gives {group.code} {lo} of its energy ({kcal_lo:.0f} kcal), even at "
            f"the largest portion (factor {FACTOR_MAX:g})."
        )
    if conflict == {Rule.energy_max}:
        return (
            f"Every plate gives {group.code} more than {hi} of its energy ({kcal_hi:.0f} kcal),"
            f" even at the smallest portion (factor {FACTOR_MIN:g})."
        )
    if conflict == {Rule.protein}:
        return (
            f"No plate gives {group.code} protein ≥ {lo} ({_protein_g(prep, g):.1f} g), even "
            f"at the largest portion (factor {FACTOR_MAX:g})."
        )
    if conflict == {Rule.energy_max, Rule.protein}:
        return (
            f"No plate gives {group.code} protein ≥ {lo} ({_protein_g(prep, g):.1f} g) "
            f"without going over {hi} of its energy ({kcal_hi:.0f} kcal): the recipes carry "
            "too little protein per kcal."
        )
    if conflict == {Rule.energy_min, Rule.energy_max}:
        return (
            f"No plate's energy can be brought within {lo}–{hi} of {group.code}'s needs "
            f"({kcal_lo:.0f}–{kcal_hi:.0f} kcal) with portion factors "
            f"{FACTOR_MIN:g}–{FACTOR_MAX:g}."
        )
    return f"For {group.code}, no plate meets together {_words(prep, g, conflict)}."


def _cheapest_at_smallest(prep: Prepared, scan: _Scan, g: int) -> _Cheapest | None:
    """The cheapest plate at factor 0.5 (the budget alone fails: no floor is involved)."""
    best: _Cheapest | None = None
    for chunk in chunks(prep):
        price = FACTOR_MIN * chunk.cost
        i = int(np.argmin(price))
        if best is None or price[i] < best.per_portion:
            best = _Cheapest(
                float(price[i]), tuple(int(r) for r in chunk.recipes[:, i]), FACTOR_MIN
            )
    return best


# ---- level 3 -----------------------------------------------------------------------------


def _groups_together(prep: Prepared, scan: _Scan) -> list[str]:
    if scan.everyone:
        return []
    codes = [g.code for g in prep.groups]
    conflicting = [pair for pair, ok in sorted(scan.pairs.items()) if not ok]
    if not conflicting:
        conflicting_sets = [tuple(range(len(codes)))]
    else:
        conflicting_sets = [tuple(p) for p in conflicting]
    reasons = []
    for members in conflicting_sets:
        names = [codes[g] for g in members]
        together = ", ".join(names[:-1]) + " and " + names[-1]
        relaxing = [
            _rule_words(prep, members[0], rule, with_amount=False)
            for rule in ALL_RULES
            if _together_without(prep, members, rule)
        ]
        text = (
            f"No single plate suits {together} (the same recipes, each group at its own "
            f"portion factor {FACTOR_MIN:g}–{FACTOR_MAX:g})"
        )
        if relaxing:
            text += f"; relaxing {' or '.join(sorted(relaxing))} for them would allow one"
        reasons.append(text + ".")
    return reasons


def _together_without(prep: Prepared, members: tuple[int, ...], rule: Rule) -> bool:
    rules = ALL_RULES - {rule}
    for chunk in chunks(prep):
        ok = np.ones(chunk.energy.shape, dtype=bool)
        for g in members:
            group = prep.groups[g]
            least = least_factor(chunk.energy, chunk.protein, group, prep.min_share, rules)
            ok &= passes(least, chunk.energy, chunk.cost, group, prep.max_share, rules)
        if ok.any():
            return True
    return False


# ---- level 4 -----------------------------------------------------------------------------


def fitting_reasons(prep: Prepared, fitting_recipes: set[int]) -> list[str]:
    """Categories whose recipes on some passing plate are too few for the days."""
    problem = prep.problem
    reasons: list[str] = []
    for category in REQUIRED_CATEGORIES:
        members = [r for r, recipe in enumerate(prep.recipes) if recipe.category == category]
        fitting = [r for r in members if r in fitting_recipes]
        covered = len(fitting) * problem.max_repeats
        if covered >= prep.n_days:
            continue
        label = CATEGORY_LABELS[category]
        text = (
            f"max_repeats {problem.max_repeats} × {len(fitting)} {label} recipes that fit "
            f"every group's needs and budget covers {covered} of {prep.n_days} days"
        )
        if 0 < len(fitting) <= 5:
            text += f" ({', '.join(prep.recipes[r].name for r in fitting)})"
        others = len(members) - len(fitting)
        if others:
            text += f"; {others} other {label} recipe(s) fit no plate"
        reasons.append(text + ".")
    return reasons


# ---- level 5 -----------------------------------------------------------------------------


def _days(prep: Prepared, plates: Plates, master: MasterResult, deadline: float) -> list[str]:
    problem = prep.problem
    n_days = prep.n_days
    if master.unplanned > 0:
        planned = n_days - master.unplanned
        text = f"Only {planned} of {n_days} days can be planned"
    else:
        text = f"Not all {n_days} days can be planned"
    text += (
        f" with max_repeats {problem.max_repeats}: too few different plates fit every group's "
        "needs and budget"
    )
    for limit in range(problem.max_repeats + 1, n_days + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        wider = solve_plates(
            plates,
            n_recipes=len(prep.recipes),
            days=[len(segment.days) for segment in prep.segments],
            max_repeats=limit,
            time_limit=left,
        )
        if wider.unplanned == 0:
            text += f"; max_repeats {limit} would allow a plan"
            break
    return [text + "."]


# ---- wording -----------------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{100 * share:g} %"


def _protein_g(prep: Prepared, g: int) -> float:
    return prep.min_share * (prep.groups[g].protein or 0.0)


def _rule_words(prep: Prepared, g: int, rule: Rule, *, with_amount: bool = True) -> str:
    group = prep.groups[g]
    lo, hi = _percent(prep.min_share), _percent(prep.max_share)
    if rule is Rule.energy_min:
        amount = f" ({prep.min_share * group.energy:.0f} kcal)" if with_amount else ""
        return f"energy ≥ {lo}{amount}"
    if rule is Rule.energy_max:
        amount = f" ({prep.max_share * group.energy:.0f} kcal)" if with_amount else ""
        return f"energy ≤ {hi}{amount}"
    if rule is Rule.protein:
        amount = f" ({_protein_g(prep, g):.1f} g)" if with_amount else ""
        return f"protein ≥ {lo}{amount}"
    return "the budget per portion"


def _words(prep: Prepared, g: int, rules: Iterable[Rule]) -> str:
    order = list(Rule)
    parts = [_rule_words(prep, g, r) for r in sorted(rules, key=order.index)]
    return " and ".join(parts)


def _plate_names(prep: Prepared, recipes: tuple[int, ...]) -> str:
    picked = sorted(
        (r for r in recipes if r != NONE),
        key=lambda r: PLATE_CATEGORIES.index(prep.recipes[r].category),
    )
    return " + ".join(prep.recipes[r].name for r in picked)
