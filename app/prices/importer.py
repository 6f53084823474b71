"""Importing a price list (CSV) into food prices: `python -m app import-prices PATH`.

The same rules as the TKPI import (app/foods/importer.py): every record of the file is
either loaded or reported with its line and the reason, never dropped silently; a file
that cannot be read at all changes nothing; the whole import is one transaction.

The file: UTF-8 CSV with a header line naming at least `food_code`, `price_per_kg` and
`valid_from`; optionally `region_code` (a regional price), `kitchen_code` (a kitchen's own
price) and `note` (where the price comes from). Other columns are ignored. A row without
region and kitchen is a national price. Rows upsert by food, scope and `valid_from`: a
price recorded already is updated when the file gives another figure (or note) for it,
and left alone when it gives the same.
"""

import csv
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core.csvfiles import header as read_header
from app.core.csvfiles import records as csv_records
from app.core.regions import REGION_CODE_RE
from app.core.schemas import FIRST_DAY, INT_MAX, LAST_DAY
from app.core.versions import BUMP_REFERENCE
from app.foods.models import Food
from app.kitchens.models import Kitchen
from app.prices.models import FoodPrice

REQUIRED_COLUMNS = ("food_code", "price_per_kg", "valid_from")
_WHOLE = re.compile(r"^[0-9]+$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NOTE_MAX = 500


@dataclass(frozen=True)
class Rejected:
    """A record that was not loaded: where it starts in the file and why."""

    line: int
    food_code: str
    reason: str


@dataclass(frozen=True)
class PriceRow:
    """One readable record, before the database has judged its codes."""

    line: int
    food_code: str
    price_per_kg: int
    valid_from: date
    region_code: str | None
    kitchen_code: str | None
    note: str | None

    @property
    def key(self) -> tuple[str, str | None, str | None, date]:
        return (self.food_code, self.region_code, self.kitchen_code, self.valid_from)


@dataclass
class PriceReport:
    """What an import did; `rows` = `loaded` + len(`rejected`)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    def lines(self) -> list[str]:
        """The report as an operator reads it: the summary, then every row not loaded."""
        out = [
            f"rows: {self.rows}, loaded: {self.loaded} (created: {self.created}, "
            f"updated: {self.updated}, unchanged: {self.unchanged}), "
            f"rejected: {len(self.rejected)}"
        ]
        out += [
            f"  line {r.line}" + (f", food {r.food_code}" if r.food_code else "") + f": {r.reason}"
            for r in self.rejected
        ]
        return out


class _BadCell(ValueError):
    """A cell that makes its row unloadable; the message is the reason reported."""


def _price(raw: str) -> int:
    text = raw.strip()
    if not text:
        raise _BadCell("price_per_kg missing")
    if not _WHOLE.match(text):
        raise _BadCell(
            f"price_per_kg {text!r} is not a whole number of rupiah (digits only, e.g. 13500)"
        )
    value = int(text)
    if not 0 < value <= INT_MAX:
        raise _BadCell(f"price_per_kg {value} is out of range (1 to {INT_MAX})")
    return value


def _day(raw: str) -> date:
    text = raw.strip()
    if not text:
        raise _BadCell("valid_from missing")
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise _BadCell(f"valid_from {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _BadCell(f"valid_from {text} lies outside {FIRST_DAY} .. {LAST_DAY}")
    return day


def _row(line: int, cells: dict[str, str]) -> PriceRow:
    code = cells["food_code"].strip()
    if not code:
        raise _BadCell("food_code missing")
    region = cells.get("region_code", "").strip() or None
    kitchen = cells.get("kitchen_code", "").strip() or None
    if region is not None and not REGION_CODE_RE.match(region):
        raise _BadCell(f"region_code {region!r} is not a region code (e.g. 32.73)")
    if region is not None and kitchen is not None:
        raise _BadCell("a price has a region_code or a kitchen_code, not both")
    note = " ".join(cells.get("note", "").split()) or None
    if note is not None and len(note) > NOTE_MAX:
        raise _BadCell(f"note longer than {NOTE_MAX} characters")
    if "\x00" in "".join(cells.values()):
        raise _BadCell("a cell holds the NUL character")
    return PriceRow(
        line=line,
        food_code=code,
        price_per_kg=_price(cells["price_per_kg"]),
        valid_from=_day(cells["valid_from"]),
        region_code=region,
        kitchen_code=kitchen,
        note=note,
    )


def parse_prices(lines: Iterable[str]) -> tuple[list[PriceRow], list[Rejected], int]:
    """Read a price list: (rows that may be loaded, rows rejected, records in the file).

    Line numbers are the file's, the header being line 1. A price given twice (the same
    food, scope and `valid_from`) keeps its first row; later ones are rejected.
    """
    reader = csv.reader(iter(lines))
    header = read_header(reader, REQUIRED_COLUMNS)
    rows: list[PriceRow] = []
    rejected: list[Rejected] = []
    first: dict[tuple[str, str | None, str | None, date], int] = {}
    records = 0
    code_at = header.index("food_code")
    for line, values in csv_records(reader, reader.line_num + 1):
        records += 1
        code = values[code_at].strip() if len(values) > code_at else ""
        if len(values) != len(header):
            reason = f"expected {len(header)} fields, found {len(values)}"
            rejected.append(Rejected(line, code, reason))
            continue
        try:
            row = _row(line, dict(zip(header, values, strict=True)))
        except _BadCell as exc:
            rejected.append(Rejected(line, code, str(exc)))
            continue
        if row.key in first:
            reason = f"duplicate price (first on line {first[row.key]})"
            rejected.append(Rejected(line, code, reason))
            continue
        first[row.key] = line
        rows.append(row)
    return rows, rejected, records


def _ids_by_code(session: Session, model: Any, codes: set[str]) -> dict[str, uuid.UUID]:
    if not codes:
        return {}
    found = session.exec(select(model.code, model.id).where(col(model.code).in_(codes)))
    return dict(found.all())


def import_rows(session: Session, rows: list[PriceRow]) -> PriceReport:
    """Upsert parsed rows; rows naming an unknown food or kitchen are rejected."""
    report = PriceReport(rows=len(rows))
    foods = _ids_by_code(session, Food, {r.food_code for r in rows})
    kitchens = _ids_by_code(session, Kitchen, {r.kitchen_code for r in rows if r.kitchen_code})
    existing: dict[tuple[uuid.UUID, str | None, uuid.UUID | None, date], FoodPrice] = {
        (p.food_id, p.region_code, p.kitchen_id, p.valid_from): p
        for p in session.exec(
            select(FoodPrice).where(col(FoodPrice.food_id).in_(set(foods.values())))
        )
    }
    touched_kitchens: set[uuid.UUID] = set()
    reference = False
    for row in rows:
        food_id = foods.get(row.food_code)
        if food_id is None:
            report.rejected.append(Rejected(row.line, row.food_code, "unknown food_code"))
            continue
        kitchen_id = None
        if row.kitchen_code is not None:
            kitchen_id = kitchens.get(row.kitchen_code)
            if kitchen_id is None:
                reason = f"unknown kitchen_code {row.kitchen_code!r}"
                report.rejected.append(Rejected(row.line, row.food_code, reason))
                continue
        price = existing.get((food_id, row.region_code, kitchen_id, row.valid_from))
        if price is None:
            session.add(
                FoodPrice(
                    food_id=food_id,
                    price_per_kg=row.price_per_kg,
                    valid_from=row.valid_from,
                    region_code=row.region_code,
                    kitchen_id=kitchen_id,
                    note=row.note,
                )
            )
            report.created += 1
        elif (price.price_per_kg, price.note) == (row.price_per_kg, row.note):
            report.unchanged += 1
            continue
        else:
            price.price_per_kg, price.note = row.price_per_kg, row.note
            session.add(price)
            report.updated += 1
        if kitchen_id is None:
            reference = True
        else:
            touched_kitchens.add(kitchen_id)
    session.flush()
    # What reads prices (recipes' costs, draft menus' checks, day views) must see them move.
    if reference:
        session.execute(BUMP_REFERENCE)
    if touched_kitchens:
        session.execute(
            update(Kitchen)
            .where(col(Kitchen.id).in_(touched_kitchens))
            .values(data_version=col(Kitchen.data_version) + 1, updated_at=col(Kitchen.updated_at))
        )
    return report


def import_prices(session: Session, *, lines: Iterable[str]) -> PriceReport:
    """Parse and upsert a whole price list; every record is loaded or reported."""
    rows, rejected, records = parse_prices(lines)
    report = import_rows(session, rows)
    report.rows = records
    report.rejected = sorted([*rejected, *report.rejected], key=lambda r: r.line)
    return report
