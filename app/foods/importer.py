"""Importing a TKPI-style CSV (Tabel Komposisi Pangan Indonesia) into the food table.

Two steps. `parse_tkpi` is pure: it turns the file's rows into `FoodRow`s and rejects, with
the line number and a reason, every row it cannot read. `import_rows` then upserts by
code: it creates new foods and updates existing ones (built-in or not), rejecting the rows
that only the database can judge (a new food without an edible portion). Every record of
the file therefore ends up either loaded or reported, never silently dropped.

The rules, documented for operators in docs/foods.md:

- nutrients per 100 g edible portion map by name (`carb_g` -> `carbohydrate_g`); vitamin A
  is derived in retinol equivalents by `rules.vitamin_a` (β-carotene / 6, or total
  carotene / 12 where β-carotene is missing or 0), null when retinol and both carotenes
  are missing;
- names lose the PDF residue "TABEL KOMPOSISI"; `food_group` comes from the TKPI section
  number at the start of `category`;
- a new food's commodity, halal status and allergens come from the name rules in
  `rules.py` (data in `data/*_rules.csv`); an existing food keeps its own, unless the
  import is asked to `reclassify` foods that are not built-in;
- a missing `bdd_percent` keeps an existing food's edible portion; a new food without one
  is rejected, because assuming 100 % would understate every purchase quantity;
- a row whose composition cannot be right (protein + fat + carbohydrate over 100 g per
  100 g, or all proximates with water and ash well over 100 g) is loaded as given and
  listed as a warning;
- a cell that carries exactly a known extraction error of the TKPI PDF extract
  (`data/tkpi_known_differences.csv`) is replaced by the corrected catalogue value.
"""

import csv
import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

from sqlmodel import Session, col, select

from app.core.csvfiles import header as read_header
from app.core.csvfiles import records as csv_records
from app.core.versions import BUMP_REFERENCE
from app.foods import rules
from app.foods.models import FOOD_CODE_PATTERN, Allergen, Food, FoodGroup, HalalStatus
from app.nutrition.models import NUTRIENTS

# TKPI section (the number before the title in `category`) -> food group.
SECTION_GROUPS: dict[str, FoodGroup] = {
    "4.1": FoodGroup.cereal,
    "4.2": FoodGroup.tuber,
    "4.3": FoodGroup.legume,
    "4.4": FoodGroup.vegetable,
    "4.5": FoodGroup.fruit,
    "4.6": FoodGroup.meat,
    "4.7": FoodGroup.fish,
    "4.8": FoodGroup.egg,
    "4.9": FoodGroup.milk,
    "4.10": FoodGroup.fat_oil,
    "4.11": FoodGroup.sugar,
    "4.12": FoodGroup.spice,
    "4.13": FoodGroup.beverage,
}
# File column -> nutrient, for the nutrients TKPI gives directly.
NUTRIENT_COLUMNS: dict[str, str] = {
    "energy_kcal": "energy_kcal",
    "protein_g": "protein_g",
    "fat_g": "fat_g",
    "carb_g": "carbohydrate_g",
    "carbohydrate_g": "carbohydrate_g",
    "fiber_g": "fiber_g",
    "calcium_mg": "calcium_mg",
    "iron_mg": "iron_mg",
    "vitamin_c_mg": "vitamin_c_mg",
    "sodium_mg": "sodium_mg",
    "vitamin_a_mcg": "vitamin_a_mcg",
}
VITAMIN_A_PARTS = ("retinol_mcg", "beta_carotene_mcg", "carotene_total_mcg")
BDD_COLUMN = "bdd_percent"
WATER_COLUMNS = ("air_g", "water_g")
ASH_COLUMN = "ash_g"
ALLERGEN_CODES = tuple(a.value for a in Allergen)
REQUIRED_COLUMNS = ("code", "name")
_CODE_RE = re.compile(FOOD_CODE_PATTERN)
_SECTION_RE = re.compile(r"^\s*(\d+\.\d+)")
_CHUNK = 200  # rows per batch: one IN (...) query and one flush each


@dataclass(frozen=True)
class FoodRow:
    """One readable record of the file, in Dapur's terms."""

    line: int
    code: str
    name: str
    food_group: FoodGroup | None  # None: the category names no known TKPI section
    edible_portion_pct: float | None  # None: the file gives none
    nutrients: dict[str, float | None]  # only the nutrients the file has columns for
    problems: tuple[str, ...] = ()  # why the composition cannot be right, if it cannot


@dataclass(frozen=True)
class Rejected:
    """A record that was not loaded: where it starts in the file and why."""

    line: int
    code: str
    reason: str


@dataclass(frozen=True)
class Flagged:
    """A loaded record worth a look: where it starts in the file, what it is, and why."""

    line: int
    code: str
    name: str
    reason: str


@dataclass
class ImportReport:
    """What an import did; `rows` = `loaded` + len(`rejected`).

    `impossible` lists loaded rows whose composition cannot be right. The other lists
    describe the foods the name rules classified (the foods created, and with `reclassify`
    the existing foods that are not built-in): `halal_undecided` those left `unknown`,
    `allergens_inferred` the codes per allergen, `allergen_free` those assessed free as
    plain foods, `allergens_not_assessed` those no rule decided.
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    impossible: list[Flagged] = field(default_factory=list)
    classified: int = 0
    halal_counts: dict[str, int] = field(default_factory=dict)
    halal_undecided: list[Flagged] = field(default_factory=list)
    allergens_inferred: dict[str, list[str]] = field(default_factory=dict)
    allergen_free: int = 0
    allergens_not_assessed: int = 0

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    def lines(self) -> list[str]:
        """The report as an operator reads it: the summary, then one section per list."""
        out = [
            f"rows: {self.rows}, loaded: {self.loaded} (created: {self.created}, "
            f"updated: {self.updated}, unchanged: {self.unchanged}), "
            f"rejected: {len(self.rejected)}"
        ]
        out += [f"  {_where(r.line, r.code)}: {r.reason}" for r in self.rejected]
        out.append(f"impossible rows (loaded as given; check them): {len(self.impossible)}")
        out += [f"  {_where(f.line, f.code)}: {f.name}: {f.reason}" for f in self.impossible]
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(self.halal_counts.items()))
        out.append(f"classified by name rules: {self.classified} foods")
        out.append(
            f"halal ({counts or 'none'}); undecided, left unknown: {len(self.halal_undecided)}"
        )
        out += [f"  {_where(f.line, f.code)}: {f.name}: {f.reason}" for f in self.halal_undecided]
        inferred = len({c for codes in self.allergens_inferred.values() for c in codes})
        out.append(
            f"allergens inferred from names: {inferred} foods; assessed free as plain foods: "
            f"{self.allergen_free}; not assessed: {self.allergens_not_assessed}"
        )
        out += [
            f"  {allergen} ({len(codes)}): {', '.join(codes)}"
            for allergen, codes in sorted(self.allergens_inferred.items())
        ]
        return out


def _where(line: int, code: str) -> str:
    return f"line {line}, code {code}" if code else f"line {line}"


@dataclass(frozen=True)
class KnownDifference:
    field: str
    catalogue_value: str
    tkpi_value: str


@lru_cache
def known_differences() -> dict[str, list[KnownDifference]]:
    """Cells where the TKPI extract is known to be wrong, with the corrected value, by code."""
    text = files("app.foods").joinpath("data", "tkpi_known_differences.csv").read_text("utf-8")
    result: dict[str, list[KnownDifference]] = {}
    for row in csv.DictReader(text.splitlines()):
        result.setdefault(row["code"], []).append(
            KnownDifference(row["field"], row["catalogue_value"], row["tkpi_value"])
        )
    return result


def food_group_of(category: str) -> FoodGroup | None:
    """The food group of a TKPI category such as '4.10. LEMAK DAN MINYAK'."""
    match = _SECTION_RE.match(category)
    return SECTION_GROUPS.get(match.group(1)) if match else None


class _BadCell(ValueError):
    pass


def _number(column: str, raw: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _BadCell(f"{column} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise _BadCell(f"{column} is not a number: {text!r}")
    if value < 0:
        raise _BadCell(f"{column} is negative: {text}")
    return value


def _apply_corrections(code: str, cells: dict[str, str]) -> None:
    """Replace cells holding exactly a known extraction error by the corrected value."""
    for diff in known_differences().get(code, []):
        column = {"carbohydrate_g": "carb_g", "edible_portion_pct": BDD_COLUMN}.get(
            diff.field, diff.field
        )
        if column in cells and cells[column].strip() == diff.tkpi_value.strip():
            cells[column] = diff.catalogue_value


def _food_row(line: int, cells: dict[str, str]) -> FoodRow:
    code = cells["code"].strip()
    if not code:
        raise _BadCell("code missing")
    if not _CODE_RE.match(code):
        raise _BadCell(f"code {code!r} is not a valid food code")
    _apply_corrections(code, cells)
    name = rules.clean_name(cells["name"])
    if not name:
        raise _BadCell("name missing")
    if len(name) > 200:
        raise _BadCell("name longer than 200 characters")
    nutrients: dict[str, float | None] = {}
    for column, nutrient in NUTRIENT_COLUMNS.items():
        if column in cells:
            nutrients[nutrient] = _number(column, cells[column])
    parts = [_number(c, cells[c]) if c in cells else None for c in VITAMIN_A_PARTS]
    if "vitamin_a_mcg" not in nutrients and any(c in cells for c in VITAMIN_A_PARTS):
        nutrients["vitamin_a_mcg"] = rules.vitamin_a(*parts)
    bdd = _number(BDD_COLUMN, cells[BDD_COLUMN]) if BDD_COLUMN in cells else None
    if bdd is not None and not 0 < bdd <= 100:
        raise _BadCell(f"{BDD_COLUMN} out of range (0, 100]: {cells[BDD_COLUMN].strip()}")
    water_column = next((c for c in WATER_COLUMNS if c in cells), None)
    problems = rules.impossible_sums(
        nutrients.get("protein_g"),
        nutrients.get("fat_g"),
        nutrients.get("carbohydrate_g"),
        water=_number(water_column, cells[water_column]) if water_column else None,
        ash=_number(ASH_COLUMN, cells[ASH_COLUMN]) if ASH_COLUMN in cells else None,
    )
    return FoodRow(
        line=line,
        code=code,
        name=name,
        food_group=food_group_of(cells.get("category", "")),
        edible_portion_pct=bdd,
        nutrients=nutrients,
        problems=tuple(problems),
    )


def parse_tkpi(lines: Iterable[str]) -> tuple[list[FoodRow], list[Rejected], int]:
    """Read a TKPI-style CSV: (rows that can be loaded, rows rejected, records in the file).

    Line numbers are those of the file, the header being line 1; a record that spans
    lines is numbered by its first. Blank lines are not records. A code seen twice keeps
    its first row; later ones are rejected.
    """
    reader = csv.reader(iter(lines))
    header = read_header(reader, REQUIRED_COLUMNS)
    rows: list[FoodRow] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    records = 0
    next_line = reader.line_num + 1
    for line, values in csv_records(reader, next_line):
        records += 1
        code = values[header.index("code")].strip() if len(values) > header.index("code") else ""
        if len(values) != len(header):
            reason = f"expected {len(header)} fields, found {len(values)}"
            rejected.append(Rejected(line, code, reason))
            continue
        try:
            row = _food_row(line, dict(zip(header, values, strict=True)))
        except _BadCell as exc:
            rejected.append(Rejected(line, code, str(exc)))
            continue
        if row.code in first_line:
            reason = f"duplicate code {row.code} (first on line {first_line[row.code]})"
            rejected.append(Rejected(line, row.code, reason))
            continue
        first_line[row.code] = line
        rows.append(row)
    return rows, rejected, records


def _existing(session: Session, codes: Sequence[str]) -> dict[str, Food]:
    found: dict[str, Food] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        found.update(
            {f.code: f for f in session.exec(select(Food).where(col(Food.code).in_(chunk)))}
        )
    return found


def _changes(food: Food, row: FoodRow) -> dict[str, Any]:
    wanted: dict[str, Any] = {"name": row.name, **row.nutrients}
    if row.food_group is not None:
        wanted["food_group"] = row.food_group.value
    if row.edible_portion_pct is not None:
        wanted["edible_portion_pct"] = row.edible_portion_pct
    return {k: v for k, v in wanted.items() if getattr(food, k) != v}


@dataclass(frozen=True)
class Classification:
    """What the name rules say about a food."""

    commodity: str
    halal: HalalStatus
    halal_reason: str
    allergens: list[str] | None


def classify(code: str, name: str, group: FoodGroup) -> Classification:
    """Commodity, halal status and allergens of a food by the documented name rules."""
    halal, reason = rules.halal_of(name, group.value)
    return Classification(
        commodity=rules.commodity_of(name, group.value),
        halal=halal,
        halal_reason=reason,
        allergens=rules.allergens_of(
            name, group.value, ALLERGEN_CODES, raw=rules.is_raw_code(code)
        ),
    )


def _note(report: ImportReport, row: FoodRow, found: Classification) -> None:
    report.classified += 1
    report.halal_counts[found.halal.value] = report.halal_counts.get(found.halal.value, 0) + 1
    if found.halal is HalalStatus.unknown:
        report.halal_undecided.append(Flagged(row.line, row.code, row.name, found.halal_reason))
    if found.allergens is None:
        report.allergens_not_assessed += 1
    elif not found.allergens:
        report.allergen_free += 1
    for allergen in found.allergens or ():
        report.allergens_inferred.setdefault(allergen, []).append(row.code)


def _classification_changes(food: Food, found: Classification) -> dict[str, Any]:
    wanted = {
        "commodity": found.commodity,
        "halal": found.halal.value,
        "allergens": found.allergens,
    }
    return {k: v for k, v in wanted.items() if getattr(food, k) != v}


def _new_food(row: FoodRow, edible_portion_pct: float, found: Classification) -> Food:
    food = Food(
        id=uuid.uuid4(),
        code=row.code,
        name=row.name,
        food_group=(row.food_group or FoodGroup.other).value,
        commodity=found.commodity,
        edible_portion_pct=edible_portion_pct,
        allergens=found.allergens,
        halal=found.halal.value,
        builtin=False,
    )
    for nutrient in NUTRIENTS:
        setattr(food, nutrient, row.nutrients.get(nutrient))
    return food


def import_rows(
    session: Session,
    *,
    rows: Sequence[FoodRow],
    reclassify: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportReport:
    """Upsert parsed rows by code; `progress(done, total)` follows each batch.

    New foods are classified by the name rules; with `reclassify`, existing foods that
    are not built-in are too (their commodity, halal status and allergens are replaced).
    """
    report = ImportReport(rows=len(rows))
    for start in range(0, len(rows), _CHUNK):
        batch = rows[start : start + _CHUNK]
        existing = _existing(session, [r.code for r in batch])
        for row in batch:
            food = existing.get(row.code)
            if food is None:
                if row.edible_portion_pct is None:
                    reason = f"{BDD_COLUMN} missing (a new food needs its edible portion)"
                    report.rejected.append(Rejected(row.line, row.code, reason))
                    continue
                found = classify(row.code, row.name, row.food_group or FoodGroup.other)
                _note(report, row, found)
                session.add(_new_food(row, row.edible_portion_pct, found))
                report.created += 1
                continue
            changes = _changes(food, row)
            if reclassify and not food.builtin:
                group = FoodGroup(changes.get("food_group", food.food_group))
                found = classify(row.code, row.name, group)
                _note(report, row, found)
                changes.update(_classification_changes(food, found))
            if not changes:
                report.unchanged += 1
                continue
            for name, value in changes.items():
                setattr(food, name, value)
            session.add(food)
            report.updated += 1
        session.flush()
        progress(start + len(batch), len(rows))
    return report


def import_tkpi(
    session: Session,
    *,
    lines: Iterable[str],
    reclassify: bool = False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportReport:
    """Parse and upsert a whole TKPI-style CSV; every record is loaded or reported."""
    rows, rejected, records = parse_tkpi(lines)
    report = import_rows(session, rows=rows, reclassify=reclassify, progress=progress)
    report.rows = records
    report.rejected = sorted([*rejected, *report.rejected], key=lambda r: r.line)
    refused = {r.line for r in report.rejected}
    report.impossible = [
        Flagged(row.line, row.code, row.name, "; ".join(row.problems))
        for row in rows
        if row.problems and row.line not in refused
    ]
    if report.created or report.updated:
        # Recipes and draft menus read foods: their ETags (and the day view's) move.
        session.execute(BUMP_REFERENCE)
    return report
