"""Reports for health and agriculture offices: aggregated in SQL, read as ordered streams.

Each report is a query whose rows come back in the contract's order (date, region, kitchen
code, then tie-breakers), streamed from a server-side cursor. A JSON page takes the first
`limit` rows after a keyset cursor; CSV and DHIS2 read the same stream to its end, so memory
stays flat however many rows a range holds.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby, islice
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.db import session_scope
from app.core.errors import Invalid
from app.foods.models import Food
from app.foodsafety.models import FoodSafetyCheck
from app.integrations.models import DemandBy, MealCountLevel, Period, RegionLevel
from app.kitchens.models import Kitchen
from app.kitchens.service import region_filter
from app.mealcounts.models import MealCount
from app.menus.models import Menu, MenuItem, MenuPortionFactor
from app.nutrition.models import NUTRIENTS, TargetGroup
from app.recipes.models import RecipeIngredient
from app.schools.models import School, SchoolEnrolment

# Rows fetched from the server-side cursor at a time.
YIELD_PER = 1000
# `from` and `to` may lie at most this many days apart.
MAX_RANGE_DAYS = 366
# Menus whose ingredients count as demand: still being planned, or approved.
DEMAND_STATUSES = ("draft", "approved")
# Characters of a Permendagri code that name a province, regency or district.
REGION_LEVEL_LENGTH = {RegionLevel.province: 2, RegionLevel.regency: 5, RegionLevel.district: 8}
KG_PLACES = Decimal("0.001")
# Target groups in AKG order; a menu's nutrition rows come in this order.
GROUP_ORDER = {str(g): i for i, g in enumerate(TargetGroup)}

Row = dict[str, Any]
Key = tuple[Any, ...]
Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Window:
    """The dates and region a report covers, already checked against the caller's scope."""

    date_from: date
    date_to: date
    region_code: str | None


@dataclass(frozen=True)
class Report:
    """A report's rows in their order, and the fields (with parsers) a cursor names a row by."""

    name: str
    columns: tuple[str, ...]
    key: tuple[tuple[str, Parser], ...]
    produce: Callable[[Session, Key | None], Generator[Row, None, None]]


# ---------------------------------------------------------------------------------------
# Paging and streaming, shared by every report


def _encode_cursor(report: Report, row: Row) -> str:
    values = [report.name, *(_cursor_text(row[field]) for field, _ in report.key)]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _cursor_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _decode_cursor(report: Report, cursor: str) -> Key:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, *values = json.loads(raw)
        if name != report.name or len(values) != len(report.key):
            raise ValueError("cursor of another report")
        return tuple(parse(v) for (_, parse), v in zip(report.key, values, strict=True))
    except (binascii.Error, ValueError, TypeError, AttributeError) as exc:
        raise Invalid(
            "cursor is not one this report issued", loc=["query", "cursor"], code="invalid_cursor"
        ) from exc


def read_page(
    session: Session, *, report: Report, limit: int, cursor: str | None
) -> tuple[list[Row], str | None]:
    """Up to `limit` rows after `cursor`, and the cursor of the next page (None at the end)."""
    after = _decode_cursor(report, cursor) if cursor else None
    with closing(report.produce(session, after)) as rows:
        taken = list(islice(rows, limit + 1))
    if len(taken) <= limit:
        return taken, None
    taken = taken[:limit]
    return taken, _encode_cursor(report, taken[-1])


def stream_rows(engine: Engine, *, report: Report) -> Iterator[Row]:
    """Every row of the report, read in its own session (the response outlives the request's)."""
    with contextmanager(session_scope)(engine, write=False) as session:
        yield from report.produce(session, None)


def _after(columns: Sequence[Any], values: Sequence[Any], *, inclusive: bool = False) -> Any:
    """SQL for (columns) > (values) in lexicographic order (>= when `inclusive`).

    Spelled out with AND/OR rather than a row-value comparison so it reads the same to
    every database and planner.
    """
    last_col, last_value = columns[-1], values[-1]
    clause: ColumnElement[bool] = last_col >= last_value if inclusive else last_col > last_value
    for column, value in zip(reversed(columns[:-1]), reversed(values[:-1]), strict=True):
        clause = or_(column > value, and_(column == value, clause))
    return clause


def _stream(session: Session, stmt: Any) -> Generator[Any, None, None]:
    """The statement's rows from a server-side cursor, closed when the caller stops early."""
    if session.get_bind().dialect.name == "postgresql":
        # These reports are wide aggregates that PostgreSQL's planner costs above
        # jit_above_cost; compiling them took longer (seconds) than running them.
        session.execute(text("SET LOCAL jit = off"))
    result = session.execute(stmt.execution_options(yield_per=YIELD_PER))
    try:
        yield from result
    finally:
        result.close()


def _dates_in(column: Any, window: Window) -> ColumnElement[bool]:
    return and_(column >= window.date_from, column <= window.date_to)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def _text(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError("cursor value is not text")
    return value


# ---------------------------------------------------------------------------------------
# Health: nutrition of approved menus

NUTRITION_COLUMNS = (
    "service_date",
    "kitchen_id",
    "kitchen_code",
    "region_code",
    "menu_id",
    "meal_type",
    "target_group",
    *NUTRIENTS,
    "energy_share",
    "protein_share",
    "status",
    "override_reason",
    "portions_served",
)


def nutrition_report(*, window: Window, updated_since: datetime | None = None) -> Report:
    """One row per approved menu and target group of the check stored at its approval."""

    def produce(session: Session, after: Key | None) -> Generator[Row, None, None]:
        # One statement per day, in date order: each sorts one day's rows, so the stream
        # starts at once and no statement outlives the timeout however long the window
        # (the whole window as one statement sorted a nation's rows before the first one).
        day = after[0] if after is not None else window.date_from
        while day <= window.date_to:
            yield from produce_day(session, Window(day, day, window.region_code), after)
            after, day = None, day + timedelta(days=1)

    def produce_day(
        session: Session, window: Window, after: Key | None
    ) -> Generator[Row, None, None]:
        served = (
            select(
                col(MealCount.kitchen_id),
                col(MealCount.service_date),
                col(MealCount.target_group),
                func.sum(col(MealCount.served)).label("served"),
            )
            .where(_dates_in(col(MealCount.service_date), window))
            .group_by(
                col(MealCount.kitchen_id), col(MealCount.service_date), col(MealCount.target_group)
            )
            .subquery("served")
        )
        menu_key = (
            col(Menu.service_date),
            col(Kitchen.region_code),
            col(Kitchen.code),
            col(Menu.meal_type),
        )
        stmt = (
            select(
                col(Menu.id).label("menu_id"),
                col(Menu.service_date),
                col(Menu.meal_type),
                # As text: a menu comes once per served group, and decoding its check (a few
                # kB of JSON) on every row cost two thirds of a CSV export. Decoded once below.
                cast(col(Menu.approval_check), Text).label("approval_check"),
                col(Menu.override_reason),
                col(Kitchen.id).label("kitchen_id"),
                col(Kitchen.code).label("kitchen_code"),
                col(Kitchen.region_code),
                served.c.target_group.label("served_group"),
                served.c.served,
            )
            .join(Kitchen, col(Kitchen.id) == col(Menu.kitchen_id))
            .outerjoin(
                served,
                and_(
                    served.c.kitchen_id == col(Menu.kitchen_id),
                    served.c.service_date == col(Menu.service_date),
                ),
            )
            .where(
                col(Menu.status) == "approved",
                _dates_in(col(Menu.service_date), window),
                region_filter(col(Kitchen.region_code), window.region_code),
            )
            .order_by(*menu_key, col(Menu.id), served.c.target_group)
        )
        if updated_since is not None:
            stmt = stmt.where(col(Menu.updated_at) >= updated_since)
        if after is not None:
            # The cursor's menu may have rows left: restart at it, skip what was sent.
            stmt = stmt.where(_after(menu_key, after[:4], inclusive=True))
        for _, joined in groupby(_stream(session, stmt), key=lambda r: r.menu_id):
            rows = list(joined)  # one menu: at most one row per target group
            served_by_group = {r.served_group: r.served for r in rows if r.served_group}
            for row in _check_rows(rows[0], served_by_group):
                if after is None or not _sent_already(row, after):
                    yield row

    return Report(
        name="nutrition",
        columns=NUTRITION_COLUMNS,
        key=(
            ("service_date", date.fromisoformat),
            ("region_code", _text),
            ("kitchen_code", _text),
            ("meal_type", _text),
            ("target_group", _text),
        ),
        produce=produce,
    )


def _group_rank(code: str) -> tuple[int, str]:
    return GROUP_ORDER.get(code, len(GROUP_ORDER)), code


def _sent_already(row: Row, after: Key) -> bool:
    menu = (row["service_date"], row["region_code"], row["kitchen_code"], row["meal_type"])
    return menu == after[:4] and _group_rank(row["target_group"]) <= _group_rank(after[4])


def _check_rows(menu: Any, served_by_group: dict[str, Any]) -> Iterator[Row]:
    """The rows of one menu's stored check (a bounded JSON document, expanded here)."""
    check = json.loads(menu.approval_check) if menu.approval_check else {}
    groups = sorted(check.get("groups") or [], key=lambda g: _group_rank(g["target_group"]))
    for group in groups:
        nutrients = group.get("nutrients") or {}
        values = {name: (nutrients.get(name) or {}).get("value") for name in NUTRIENTS}
        yield {
            "service_date": menu.service_date,
            "kitchen_id": menu.kitchen_id,
            "kitchen_code": menu.kitchen_code,
            "region_code": menu.region_code,
            "menu_id": menu.menu_id,
            "meal_type": menu.meal_type,
            "target_group": group["target_group"],
            **values,
            "energy_share": (nutrients.get("energy_kcal") or {}).get("share"),
            "protein_share": (nutrients.get("protein_g") or {}).get("share"),
            "status": group.get("status"),
            "override_reason": menu.override_reason,
            "portions_served": _int(served_by_group.get(group["target_group"])),
        }


# ---------------------------------------------------------------------------------------
# Health: meal counts summed by school, kitchen or region

COUNT_FIELDS = ("planned", "prepared", "served", "returned")
MEAL_COUNT_COLUMNS = {
    MealCountLevel.school: (
        "service_date",
        "region_code",
        "kitchen_id",
        "kitchen_code",
        "school_id",
        "npsn",
        "target_group",
        *COUNT_FIELDS,
    ),
    MealCountLevel.kitchen: (
        "service_date",
        "region_code",
        "kitchen_id",
        "kitchen_code",
        "target_group",
        *COUNT_FIELDS,
    ),
    MealCountLevel.region: ("service_date", "region_code", "target_group", *COUNT_FIELDS),
}


def meal_counts_report(
    *, window: Window, group_by: MealCountLevel, updated_since: datetime | None = None
) -> Report:
    """Planned, prepared, served and returned counts summed per date, level and group.

    SUM skips unknown (null) counts; a sum over nothing but unknown counts stays null.
    With `updated_since`, only sums holding a count reported at or after it (a PUT
    rewrites every count of its day, so a re-reported day comes back whole).
    """
    identity: list[Any] = [col(MealCount.service_date), col(Kitchen.region_code)]
    key: list[tuple[str, Parser]] = [("service_date", date.fromisoformat), ("region_code", _text)]
    order: list[Any] = [col(MealCount.service_date), col(Kitchen.region_code)]
    if group_by is not MealCountLevel.region:
        identity += [col(Kitchen.id).label("kitchen_id"), col(Kitchen.code).label("kitchen_code")]
        key.append(("kitchen_code", _text))
        order.append(col(Kitchen.code))
    if group_by is MealCountLevel.school:
        identity += [col(School.id).label("school_id"), col(School.npsn)]
        key.append(("npsn", _text))
        order.append(col(School.npsn))
    identity.append(col(MealCount.target_group))
    key.append(("target_group", _text))
    order.append(col(MealCount.target_group))

    def produce(session: Session, after: Key | None) -> Generator[Row, None, None]:
        sums = [func.sum(col(getattr(MealCount, f))).label(f) for f in COUNT_FIELDS]
        stmt = (
            select(*identity, *sums)
            .join(Kitchen, col(Kitchen.id) == col(MealCount.kitchen_id))
            .where(
                _dates_in(col(MealCount.service_date), window),
                region_filter(col(Kitchen.region_code), window.region_code),
            )
            .group_by(*identity)
            .order_by(*order)
        )
        if group_by is MealCountLevel.school:
            stmt = stmt.join(School, col(School.id) == col(MealCount.school_id))
        if updated_since is not None:
            stmt = stmt.having(func.max(col(MealCount.updated_at)) >= updated_since)
        if after is not None:
            # The key columns are grouping columns, so filtering rows filters whole groups.
            stmt = stmt.where(_after(order, after))
        for r in _stream(session, stmt):
            row = dict(r._mapping)
            yield {**row, **{f: _int(row[f]) for f in COUNT_FIELDS}}

    return Report(
        name=f"meal-counts:{group_by.value}",
        columns=MEAL_COUNT_COLUMNS[group_by],
        key=tuple(key),
        produce=produce,
    )


# ---------------------------------------------------------------------------------------
# Health: food-safety checks

FOOD_SAFETY_COLUMNS = (
    "id",
    "kitchen_id",
    "kitchen_code",
    "region_code",
    "service_date",
    "cooked_at",
    "dispatched_at",
    "sample_retained",
    "organoleptic_ok",
    "core_temp_c",
    "notes",
    "flags",
    "created_at",
    "updated_at",
)


def food_safety_report(*, window: Window, updated_since: datetime | None = None) -> Report:
    """The food-safety checks of the window, with their kitchen's code and region."""
    fsc = FoodSafetyCheck
    order = (
        col(fsc.service_date),
        col(Kitchen.region_code),
        col(Kitchen.code),
        col(fsc.cooked_at),
        col(fsc.id),
    )

    def produce(session: Session, after: Key | None) -> Generator[Row, None, None]:
        stmt: Any = (
            select(
                col(fsc.id),
                col(fsc.kitchen_id),
                col(Kitchen.code).label("kitchen_code"),
                col(Kitchen.region_code),
                col(fsc.service_date),
                col(fsc.cooked_at),
                col(fsc.dispatched_at),
                col(fsc.sample_retained),
                col(fsc.organoleptic_ok),
                col(fsc.core_temp_c),
                col(fsc.notes),
                col(fsc.flags),
                col(fsc.created_at),
                col(fsc.updated_at),
            )
            .join(Kitchen, col(Kitchen.id) == col(fsc.kitchen_id))
            .where(
                _dates_in(col(fsc.service_date), window),
                region_filter(col(Kitchen.region_code), window.region_code),
            )
            .order_by(*order)
        )
        if updated_since is not None:
            stmt = stmt.where(col(fsc.updated_at) >= updated_since)
        if after is not None:
            stmt = stmt.where(_after(order, after))
        for r in _stream(session, stmt):
            yield {**r._mapping, "flags": list(r.flags or [])}

    return Report(
        name="food-safety",
        columns=FOOD_SAFETY_COLUMNS,
        key=(
            ("service_date", date.fromisoformat),
            ("region_code", _text),
            ("kitchen_code", _text),
            ("cooked_at", datetime.fromisoformat),
            ("id", _uuid),
        ),
        produce=produce,
    )


# ---------------------------------------------------------------------------------------
# Agriculture: ingredient demand


def period_label(day: date, period: Period) -> str:
    """The label of the period holding `day`: `2026-11-28`, ISO week `2026-W48`, `2026-11`."""
    if period is Period.day:
        return day.isoformat()
    if period is Period.week:
        iso_year, week, _ = day.isocalendar()
        return f"{iso_year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_spans(start: date, end: date, period: Period) -> list[tuple[date, date, str]]:
    """The periods covering start..end, clipped to it: (first day, last day, label)."""
    spans = []
    day = start
    while day <= end:
        if period is Period.day:
            last = day
        elif period is Period.week:
            last = day + timedelta(days=6 - day.weekday())
        else:
            next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            last = next_month - timedelta(days=1)
        last = min(last, end)
        spans.append((day, last, period_label(day, period)))
        day = last + timedelta(days=1)
    return spans


def _period_of(column: Any, window: Window, period: Period) -> Any:
    """SQL for a date's period label. Weeks and months are a CASE over the window's
    (at most 54) spans, labelled in Python, so ISO years are right on every database."""
    if period is Period.day:
        return column
    spans = period_spans(window.date_from, window.date_to, period)
    return case(*((and_(column >= s, column <= e), literal(label)) for s, e, label in spans))


def demand_columns(by: DemandBy) -> tuple[str, ...]:
    """The fields of a demand row (the CSV header)."""
    food = ("food_code", "food_name") if by is DemandBy.food else ()
    return (
        "period",
        "region_code",
        "commodity",
        *food,
        "edible_kg",
        "purchase_kg",
        "portions",
        "kitchens",
    )


def demand_report(
    *, window: Window, period: Period, by: DemandBy, region_level: RegionLevel
) -> Report:
    """Ingredient demand per period, region (cut to `region_level`) and commodity or food.

    Per menu (draft or approved) each school and target group eats that day's `prepared`
    count where known, else its `planned` count where a count row exists, else the school's
    enrolment. A menu's edible grams of a food are sum over groups of portions * factor * sum over
    items of servings * ingredient grams; purchase grams divide each food's by its edible portion.
    """
    period_parser: Parser = date.fromisoformat if period is Period.day else _text
    key: list[tuple[str, Parser]] = [
        ("period", period_parser),
        ("region_code", _text),
        ("commodity", _text),
    ]
    if by is DemandBy.food:
        key.append(("food_code", _text))

    def produce(session: Session, after: Key | None) -> Generator[Row, None, None]:
        stmt = _demand_query(window=window, period=period, by=by, region_level=region_level)
        if after is not None:
            sub = stmt.subquery("demand")
            keys = [sub.c[field] for field, _ in key]
            stmt = select(sub).where(_after(keys, after)).order_by(*keys)
        for r in _stream(session, stmt):
            row: Row = {
                "period": r.period if isinstance(r.period, str) else r.period.isoformat(),
                "region_code": r.region_code,
                "commodity": r.commodity,
            }
            if by is DemandBy.food:
                row |= {"food_code": r.food_code, "food_name": r.food_name}
            yield row | {
                "edible_kg": _kg(r.edible_g),
                "purchase_kg": _kg(r.purchase_g),
                "portions": int(r.portions),
                "kitchens": int(r.kitchens),
            }

    return Report(
        name=f"demand:{period.value}:{by.value}:{region_level.value}",
        columns=demand_columns(by),
        key=tuple(key),
        produce=produce,
    )


def _kg(grams: Any) -> float:
    """Grams summed at full precision, reported in kg to 3 decimals, halves away from zero."""
    kg = Decimal(repr(float(grams or 0) / 1000))
    return float(kg.quantize(KG_PLACES, rounding=ROUND_HALF_UP))


def _demand_query(
    *, window: Window, period: Period, by: DemandBy, region_level: RegionLevel
) -> Any:
    """The whole demand aggregate as one statement of CTEs, ordered as the report."""
    # The menus that count, with their period label and region cut to the level. Both are
    # computed once here so later GROUP BYs name plain columns (PostgreSQL cannot match a
    # grouped expression that carries bound parameters).
    menus = (
        select(
            col(Menu.id).label("menu_id"),
            col(Menu.kitchen_id),
            col(Menu.service_date),
            _period_of(col(Menu.service_date), window, period).label("period"),
            func.substr(col(Kitchen.region_code), 1, REGION_LEVEL_LENGTH[region_level]).label(
                "region_code"
            ),
        )
        .join(Kitchen, col(Kitchen.id) == col(Menu.kitchen_id))
        .where(
            col(Menu.status).in_(DEMAND_STATUSES),
            _dates_in(col(Menu.service_date), window),
            region_filter(col(Kitchen.region_code), window.region_code),
        )
        .cte("demand_menus")
    )
    mc = MealCount
    # Portions per kitchen, day and group, by the contract's rule per (school, group):
    # the day's count row where there is one, else the school's enrolment. Computed as
    # the kitchen's whole enrolment of the group, corrected by each count row with
    # (its count - the enrolment of the school and group it stands for). Same sum as a
    # union of "counted" and "enrolled without a count" pairs, without the anti-join
    # that made that form several times slower on a year of data.
    days = select(menus.c.kitchen_id, menus.c.service_date).distinct().cte("demand_days")
    school, enrolment = School, SchoolEnrolment
    # A kitchen's enrolment of a group is the same every day: sum it once per kitchen.
    kitchen_enrolment = (
        select(
            col(school.kitchen_id),
            col(enrolment.target_group),
            func.sum(col(enrolment.count)).label("portions"),
        )
        .join(enrolment, col(enrolment.school_id) == col(school.id))
        .where(col(school.kitchen_id).in_(select(days.c.kitchen_id)))
        .group_by(col(school.kitchen_id), col(enrolment.target_group))
        .subquery("demand_kitchen_enrolment")
    )
    enrolled = select(
        days.c.kitchen_id,
        days.c.service_date,
        kitchen_enrolment.c.target_group,
        kitchen_enrolment.c.portions,
    ).join(kitchen_enrolment, kitchen_enrolment.c.kitchen_id == days.c.kitchen_id)
    counted = (
        select(
            days.c.kitchen_id,
            days.c.service_date,
            col(mc.target_group),
            func.sum(
                func.coalesce(col(mc.prepared), col(mc.planned))
                - func.coalesce(col(enrolment.count), 0)
            ).label("portions"),
        )
        .select_from(days)
        .join(
            mc,
            and_(
                col(mc.kitchen_id) == days.c.kitchen_id,
                col(mc.service_date) == days.c.service_date,
            ),
        )
        # The enrolment a count row replaces: its school's, if the school is this kitchen's.
        .outerjoin(
            school,
            and_(col(school.id) == col(mc.school_id), col(school.kitchen_id) == days.c.kitchen_id),
        )
        .outerjoin(
            enrolment,
            and_(
                col(enrolment.school_id) == col(school.id),
                col(enrolment.target_group) == col(mc.target_group),
            ),
        )
        .group_by(days.c.kitchen_id, days.c.service_date, col(mc.target_group))
    )
    corrected = union_all(enrolled, counted).subquery("demand_corrected")
    # One row per kitchen, day and group before the factors are looked up.
    group_portions = (
        select(
            corrected.c.kitchen_id,
            corrected.c.service_date,
            corrected.c.target_group,
            func.sum(corrected.c.portions).label("portions"),
        )
        .group_by(corrected.c.kitchen_id, corrected.c.service_date, corrected.c.target_group)
        .subquery("demand_group_portions")
    )
    pf = MenuPortionFactor
    menu_portions = (
        select(
            menus.c.menu_id,
            func.sum(group_portions.c.portions).label("portions"),
            func.sum(group_portions.c.portions * func.coalesce(col(pf.factor), 1.0)).label(
                "weighted"
            ),
        )
        .select_from(menus)
        .join(
            group_portions,
            and_(
                group_portions.c.kitchen_id == menus.c.kitchen_id,
                group_portions.c.service_date == menus.c.service_date,
            ),
        )
        .outerjoin(
            pf,
            and_(
                col(pf.menu_id) == menus.c.menu_id,
                col(pf.target_group) == group_portions.c.target_group,
            ),
        )
        .group_by(menus.c.menu_id)
        .cte("demand_menu_portions")
    )
    # Edible grams of each food in one standard portion of the menu.
    menu_food = (
        select(
            col(MenuItem.menu_id),
            col(RecipeIngredient.food_id),
            func.sum(col(MenuItem.servings) * col(RecipeIngredient.grams)).label("grams"),
        )
        .join(RecipeIngredient, col(RecipeIngredient.recipe_id) == col(MenuItem.recipe_id))
        .where(col(MenuItem.menu_id).in_(select(menus.c.menu_id)))
        .group_by(col(MenuItem.menu_id), col(RecipeIngredient.food_id))
        .cte("demand_menu_food")
    )
    item_key: list[Any] = [col(Food.commodity).label("commodity")]
    if by is DemandBy.food:
        item_key += [col(Food.code).label("food_code"), col(Food.name).label("food_name")]
    edible = menu_portions.c.weighted * menu_food.c.grams
    # One row per menu and commodity (or food), so a menu's portions count once per row.
    per_menu = (
        select(
            menus.c.menu_id,
            menus.c.kitchen_id,
            menus.c.period,
            menus.c.region_code,
            *item_key,
            menu_portions.c.portions,
            func.sum(edible).label("edible_g"),
            func.sum(edible * 100.0 / col(Food.edible_portion_pct)).label("purchase_g"),
        )
        .select_from(menus)
        .join(menu_portions, menu_portions.c.menu_id == menus.c.menu_id)
        .join(menu_food, menu_food.c.menu_id == menus.c.menu_id)
        .join(Food, col(Food.id) == menu_food.c.food_id)
        .group_by(
            menus.c.menu_id,
            menus.c.kitchen_id,
            menus.c.period,
            menus.c.region_code,
            *item_key,
            menu_portions.c.portions,
        )
        .subquery("demand_per_menu")
    )
    keys = [per_menu.c.period, per_menu.c.region_code, per_menu.c.commodity]
    if by is DemandBy.food:
        keys += [per_menu.c.food_code, per_menu.c.food_name]
    return (
        select(
            *keys,
            func.sum(per_menu.c.edible_g).label("edible_g"),
            func.sum(per_menu.c.purchase_g).label("purchase_g"),
            func.sum(per_menu.c.portions).label("portions"),
            func.count(distinct(per_menu.c.kitchen_id)).label("kitchens"),
        )
        .group_by(*keys)
        .order_by(*keys)
    )
