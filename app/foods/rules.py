"""Name rules that classify a food: commodity, halal status, allergens; and row hygiene.

A composition table such as TKPI says what a food contains, not what an agriculture
office plans for, whether it is halal or which allergens it carries. These rules fill
that in from the food's name and group, as far as the name makes it evident. The rules
themselves are data (`data/commodity_rules.csv`, `data/halal_rules.csv`,
`data/allergen_rules.csv`, the commodity list in `data/commodities.csv`), documented for
operators in docs/foods.md; this module only applies them.

A pattern is a regular expression searched, on word boundaries, in the food's name
lower-cased with punctuation turned into spaces ("Ketela pohon/ singkong, segar" is
searched as "ketela pohon singkong segar"). A rule's `food_group` column, when not
empty, limits it to those groups (`|`-separated); an empty pattern matches every name.
"""

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from app.foods.models import HalalStatus

# PDF residue: the page header the TKPI extract appends to some names.
_RESIDUE = re.compile(r"\s*\bTABEL\s+KOMPOSISI\b\s*")
# TKPI codes: a letter for the section, R (raw) or P (processed), digits.
_RAW_CODE = re.compile(r"^[A-Z]R\d+$")
_PUNCTUATION = re.compile(r"[^\w+]+")


def clean_name(name: str) -> str:
    """A name without PDF residue ("TABEL KOMPOSISI") and with single spaces."""
    return " ".join(_RESIDUE.sub(" ", name).split())


def is_raw_code(code: str) -> bool:
    """Whether a TKPI-style code marks a raw food (`DR008`: R as second letter)."""
    return _RAW_CODE.match(code) is not None


def searchable(name: str) -> str:
    """The form of a name the rules search: lower case, punctuation as spaces."""
    return " ".join(_PUNCTUATION.sub(" ", name.lower()).split())


@dataclass(frozen=True)
class Rule:
    """One row of a rule file: where it applies and what it decides."""

    pattern: re.Pattern[str]
    groups: frozenset[str]  # empty: every group
    value: str
    unless: re.Pattern[str] | None = None
    reason: str = ""

    def matches(self, text: str, group: str) -> bool:
        """Whether the rule applies to a searchable name of that group."""
        if self.groups and group not in self.groups:
            return False
        if self.unless is not None and self.unless.search(text):
            return False
        return self.pattern.search(text) is not None


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern.strip()})\b" if pattern.strip() else "")


def _read(name: str) -> list[dict[str, str]]:
    text = files("app.foods").joinpath("data", name).read_text(encoding="utf-8")
    return [row for row in csv.DictReader(text.splitlines()) if not row["pattern"].startswith("#")]


def _rules(name: str, value_column: str) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            pattern=_compile(row["pattern"]),
            groups=frozenset(g for g in row["food_group"].split("|") if g),
            value=row[value_column].strip(),
            unless=_compile(row["unless"]) if row.get("unless", "").strip() else None,
            reason=row.get("reason", "").strip(),
        )
        for row in _read(name)
    )


@lru_cache
def commodities() -> dict[str, str]:
    """The supply-chain commodities foods are normalised to, with what each covers."""
    text = files("app.foods").joinpath("data", "commodities.csv").read_text(encoding="utf-8")
    return {row["commodity"]: row["covers"] for row in csv.DictReader(text.splitlines())}


@lru_cache
def commodity_rules() -> tuple[Rule, ...]:
    """Commodity rules in file order; the first that matches decides."""
    rules = _rules("commodity_rules.csv", "commodity")
    unknown = {r.value for r in rules} - commodities().keys()
    if unknown:
        raise ValueError(f"commodity_rules.csv names commodities not listed: {sorted(unknown)}")
    return rules


@lru_cache
def halal_rules() -> tuple[Rule, ...]:
    """Halal rules in file order; the first that matches decides."""
    rules = _rules("halal_rules.csv", "halal")
    for rule in rules:
        HalalStatus(rule.value)  # an unknown status fails here, at first use
    return rules


@lru_cache
def allergen_rules() -> tuple[Rule, ...]:
    """Allergen rules: every one that matches adds its allergens (`none`: assessed free)."""
    return _rules("allergen_rules.csv", "allergens")


def _first(rules: Iterable[Rule], name: str, group: str) -> Rule | None:
    text = searchable(name)
    return next((r for r in rules if r.matches(text, group)), None)


def commodity_of(name: str, group: str) -> str:
    """The listed commodity a food belongs to (every group has a fallback rule)."""
    rule = _first(commodity_rules(), name, group)
    if rule is None:
        raise ValueError(f"no commodity rule for {name!r} ({group})")
    return rule.value


def halal_of(name: str, group: str) -> tuple[HalalStatus, str]:
    """Halal status by the first matching rule, with that rule's reason."""
    rule = _first(halal_rules(), name, group)
    if rule is None:
        return HalalStatus.unknown, "no rule decides"
    return HalalStatus(rule.value), rule.reason


def allergens_of(
    name: str, group: str, known: Sequence[str], *, raw: bool = False
) -> list[str] | None:
    """Evident allergens (sorted); `[]` when the food is plain and no allergen is evident;
    None (not assessed) when no rule decides. `known` lists the valid codes; `raw` says the
    food is known to be raw (a TKPI code with R as second letter), which makes it plain
    in the groups the plain-food rule covers."""
    text = searchable(name)
    found: set[str] = set()
    free = False
    for rule in allergen_rules():
        if rule.value == "none":
            plain_group = not rule.groups or group in rule.groups
            free = free or (raw and plain_group) or rule.matches(text, group)
            continue
        if not rule.matches(text, group):
            continue
        codes = {c for c in rule.value.split(";") if c}
        bad = codes - set(known)
        if bad:
            raise ValueError(f"allergen_rules.csv names unknown allergens: {sorted(bad)}")
        found |= codes
    if found:
        return sorted(found)
    return [] if free else None


def vitamin_a(retinol: float | None, beta: float | None, total: float | None) -> float | None:
    """Vitamin A in µg retinol equivalents (FAO/WHO): retinol + β-carotene/6, or, where
    β-carotene is missing (blank, or 0 beside a positive total carotene), retinol + total
    carotene/12, total carotene being counted as mixed provitamin A carotenoids.
    None when all three are missing; rounded to 1 decimal."""
    if retinol is None and beta is None and total is None:
        return None
    beta_missing = beta is None or (beta == 0 and bool(total))
    carotene_re = (total or 0.0) / 12 if beta_missing else (beta or 0.0) / 6
    return round((retinol or 0.0) + carotene_re, 1)


# Allowance for rounding in a table that gives one decimal per value.
PROXIMATE_TOLERANCE_G = 5.0


def impossible_sums(
    protein: float | None,
    fat: float | None,
    carbohydrate: float | None,
    water: float | None = None,
    ash: float | None = None,
) -> list[str]:
    """Why a row's composition cannot be right, if it cannot: protein + fat + carbohydrate
    above 100 g per 100 g (TKPI's carbohydrate is by difference and includes fibre, so
    fibre is not added again), or, where water and ash are given too, all five above
    100 g by more than the rounding allowance."""
    macros = (protein or 0.0) + (fat or 0.0) + (carbohydrate or 0.0)
    problems: list[str] = []
    if macros > 100:
        problems.append(f"protein + fat + carbohydrate = {macros:.1f} g per 100 g")
    if water is not None and ash is not None:
        total = macros + water + ash
        if total > 100 + PROXIMATE_TOLERANCE_G:
            problems.append(f"water + protein + fat + carbohydrate + ash = {total:.1f} g per 100 g")
    return problems
