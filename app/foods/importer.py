"""Importing a TKPI-style CSV (Tabel Komposisi Pangan Indonesia) into the food table.

Two steps. `parse_tkpi` is pure: it turns the file's rows into `FoodRow`s and rejects, with
the line number and a reason, every row it cannot read. `import_rows` then upserts by
code: it creates new foods and updates existing ones (built-in or not), rejecting the rows
that only the database can judge (a new food without an edible portion). Every record of
the file therefore ends up either loaded or reported, never silently dropped.

The rules, documented for operators in docs/foods.md:

- nutrients per 100 g edible portion map by name (`carb_g` -> `carbohydrate_g`); vitamin A
  is derived as `retinol_mcg + beta_carotene_mcg / 6` (`carotene_total_mcg` when
  beta-carotene is missing), rounded to 1 decimal, null when all three are missing;
- `food_group` comes from the TKPI section number at the start of `category`;
- an existing food keeps its commodity, allergens and built-in flag (TKPI has neither
  commodity nor allergens); a new food's commodity is its name up to the first comma,
  lower-cased, and it has no allergens until an admin sets them;
- a missing `bdd_percent` keeps an existing food's edible portion; a new food without one
  is rejected, because assuming 100 % would understate every purchase quantity;
- a cell that carries exactly a known extraction error of the TKPI PDF extract
  (`data/tkpi_known_differences.csv`) is replaced by the corrected catalogue value.
"""

import csv
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

from sqlmodel import Session, col, select

from app.foods.models import FOOD_CODE_PATTERN, Food, FoodGroup
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
REQUIRED_COLUMNS = ("code", "name")
_CODE_RE = re.compile(FOOD_CODE_PATTERN)
_SECTION_RE = re.compile(r"^\s*(\d+\.\d+)")
_CHUNK = 200  # rows per batch: one IN (...) query and one flush each


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (missing, not UTF-8 text, no usable header)."""


@dataclass(frozen=True)
class FoodRow:
    """One readable record of the file, in Dapur's terms."""

    line: int
    code: str
    name: str
    food_group: FoodGroup | None  # None: the category names no known TKPI section
    edible_portion_pct: float | None  # None: the file gives none
    nutrients: dict[str, float | None]  # only the nutrients the file has columns for


@dataclass(frozen=True)
class Rejected:
    """A record that was not loaded: where it starts in the file and why."""

    line: int
    code: str
    reason: str


@dataclass
class ImportReport:
    """What an import did; `rows` = `loaded` + len(`rejected`)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged


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


def vitamin_a(retinol: float | None, beta: float | None, total: float | None) -> float | None:
    """Retinol equivalents: retinol + beta-carotene / 6 (total carotene when beta is missing)."""
    if retinol is None and beta is None and total is None:
        return None
    carotene = beta if beta is not None else total
    return round((retinol or 0.0) + (carotene or 0.0) / 6, 1)


def food_group_of(category: str) -> FoodGroup | None:
    """The food group of a TKPI category such as '4.10. LEMAK DAN MINYAK'."""
    match = _SECTION_RE.match(category)
    return SECTION_GROUPS.get(match.group(1)) if match else None


def default_commodity(name: str) -> str:
    """A new food's commodity: its name up to the first comma, lower-cased."""
    return name.split(",", 1)[0].strip().lower()[:100]


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
    name = " ".join(cells["name"].split())
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
        nutrients["vitamin_a_mcg"] = vitamin_a(*parts)
    bdd = _number(BDD_COLUMN, cells[BDD_COLUMN]) if BDD_COLUMN in cells else None
    if bdd is not None and not 0 < bdd <= 100:
        raise _BadCell(f"{BDD_COLUMN} out of range (0, 100]: {cells[BDD_COLUMN].strip()}")
    return FoodRow(
        line=line,
        code=code,
        name=name,
        food_group=food_group_of(cells.get("category", "")),
        edible_portion_pct=bdd,
        nutrients=nutrients,
    )


def parse_tkpi(lines: Iterable[str]) -> tuple[list[FoodRow], list[Rejected], int]:
    """Read a TKPI-style CSV: (rows that can be loaded, rows rejected, records in the file).

    Line numbers are those of the file, the header being line 1; a record that spans
    lines is numbered by its first. Blank lines are not records. A code seen twice keeps
    its first row; later ones are rejected.
    """
    reader = csv.reader(iter(lines))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"the header cannot be read: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise UnreadableFile(f"the header lacks column(s): {', '.join(missing)}")
    rows: list[FoodRow] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    records = 0
    next_line = reader.line_num + 1
    for line, values in _records(reader, next_line):
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


def _records(reader: Any, start: int) -> Iterator[tuple[int, list[str]]]:
    """(first line, values) of each non-blank record; a broken record ends the file."""
    line = start
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UnreadableFile(f"line {line}: cannot be read ({exc})") from None
        if values and any(v.strip() for v in values):
            yield line, values
        line = reader.line_num + 1


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


def _new_food(row: FoodRow, edible_portion_pct: float) -> Food:
    food = Food(
        id=uuid.uuid4(),
        code=row.code,
        name=row.name,
        food_group=(row.food_group or FoodGroup.other).value,
        commodity=default_commodity(row.name),
        edible_portion_pct=edible_portion_pct,
        allergens=[],
        builtin=False,
    )
    for nutrient in NUTRIENTS:
        setattr(food, nutrient, row.nutrients.get(nutrient))
    return food


def import_rows(
    session: Session,
    *,
    rows: Sequence[FoodRow],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportReport:
    """Upsert parsed rows by code; `progress(done, total)` follows each batch."""
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
                session.add(_new_food(row, row.edible_portion_pct))
                report.created += 1
                continue
            changes = _changes(food, row)
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
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportReport:
    """Parse and upsert a whole TKPI-style CSV; every record is loaded or reported."""
    rows, rejected, records = parse_tkpi(lines)
    report = import_rows(session, rows=rows, progress=progress)
    report.rows = records
    report.rejected = sorted([*rejected, *report.rejected], key=lambda r: r.line)
    return report
