"""The region overview: a region's last 30 days, and its parts to drill into.

Every number comes from the statements the API's reports and services run: meal counts
from the health meal-count report (app/reports/meal_counts.py, by kitchen), food-safety
flags from the health food-safety report, deliveries and their flags from the health
deliveries report, hygiene certificates from the health kitchens report, incidents from
the incidents service (as `GET /incidents` lists them), approved menus from the statement
the nutrition report reads (`approved_between`, `checked_groups`), drafts' checks from the
menus service (`compute_checks`, as the day view shows them), enrolment from the schools'
enrolment statement and kitchens from `kitchens_in`. This module only adds them up per
day and per part of the region, as the page's tables show them.
"""

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal
from app.core.db import table_of
from app.core.localtime import local_today
from app.core.pagination import MAX_LIMIT, PageParams
from app.core.regions import LEVEL_LENGTH
from app.deliveries.models import DeliveryFlag
from app.foodsafety.models import SafetyFlag
from app.incidents.service import list_incidents
from app.kitchens.models import HygieneStatus, Kitchen, KitchenStatus
from app.kitchens.queries import kitchens_in
from app.menus.models import CheckStatus, Menu, MenuStatus
from app.menus.queries import approved_between, checked_groups, menus_between
from app.menus.service import compute_checks
from app.reports.deliveries import deliveries_report
from app.reports.food_safety import food_safety_report
from app.reports.kitchens import kitchens_report
from app.reports.meal_counts import MealCountLevel, meal_counts_report
from app.reports.paging import Record, Report, every_row
from app.reports.window import Window
from app.schools.queries import kitchen_enrolment

# The overview covers this many days, ending on its last day (today by default).
OVERVIEW_DAYS = 30
# A region spans time zones; its "today" is Western Indonesia's (UTC+7), the zone whose
# day begins last, so the day shown has begun for every kitchen of the region.
REGION_CLOCK = "Asia/Jakarta"
# Lists on a page show at most this many rows; the count above each list is the total.
LIST_LIMIT = 100
COUNTS = ("planned", "prepared", "served")
_kitchens = table_of(Kitchen)
_menus = table_of(Menu)


def region_today() -> date:
    """The overview's default last day."""
    return local_today(REGION_CLOCK)


def overview_window(region: str | None, last_day: date) -> Window:
    """The 30 days ending on `last_day`, in the region."""
    return Window(
        date_from=last_day - timedelta(days=OVERVIEW_DAYS - 1), date_to=last_day, region_code=region
    )


def child_level(region: str | None) -> str:
    """What the region's parts are: provinces of the nation, regencies of a province,
    kitchens of a regency (or of a district)."""
    if region is None:
        return "province"
    if len(region) < LEVEL_LENGTH["regency"]:
        return "regency"
    return "kitchen"


@dataclass
class Totals:
    """Counts summed as SQL sums them: unknown (null) values are skipped, and a sum of
    nothing but unknown values stays unknown."""

    planned: int | None = None
    prepared: int | None = None
    served: int | None = None

    def add(self, row: Record) -> None:
        """Add a report row's counts."""
        for name in COUNTS:
            value = row[name]
            if value is not None:
                setattr(self, name, (getattr(self, name) or 0) + value)


@dataclass
class DayLine:
    """One day of the region: its portions, and which kitchens reported counts."""

    day: date
    totals: Totals = field(default_factory=Totals)
    expected: int = 0  # kitchens with a menu that day
    reported: int = 0  # of them, kitchens whose meal counts for the day are in

    @property
    def completeness(self) -> float | None:
        """Percent of the kitchens with a menu whose counts are in (None: no menu)."""
        return 100.0 * self.reported / self.expected if self.expected else None


@dataclass
class Part:
    """A part of the region (a province, a regency or a kitchen) over the window."""

    key: str
    label: str
    kitchen_id: uuid.UUID | None = None
    kitchens: int = 0
    enrolment: int = 0
    totals: Totals = field(default_factory=Totals)
    expected: int = 0  # kitchen-days with a menu
    reported: int = 0  # of them, with meal counts in
    overridden: int = 0
    failing: int = 0
    flagged: int = 0
    late: int = 0  # deliveries eaten more than 4 hours after cooking
    incidents: int = 0

    @property
    def completeness(self) -> float | None:
        """Percent of the part's kitchen-days with a menu whose counts are in."""
        return 100.0 * self.reported / self.expected if self.expected else None


@dataclass(frozen=True)
class MenuLine:
    """A menu of the window that is not simply approved with a passing check."""

    service_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    meal_type: str
    outcome: str  # "overridden", "failing" or "draft"
    failing_groups: tuple[str, ...]
    override_reason: str | None


@dataclass(frozen=True)
class CheckLine:
    """A food-safety check that raised a flag."""

    service_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    flags: tuple[str, ...]


@dataclass
class MenuSummary:
    """The window's menus by outcome: approved as they stood (passed), approved with an
    override reason over what the approval refuses without one, a failing nutrition check
    or a group over budget (overridden), drafts whose check fails now (failing) and drafts
    whose check passes (not yet approved)."""

    passed: int = 0
    overridden: int = 0
    failing: int = 0
    draft: int = 0
    lines: list[MenuLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.overridden + self.failing + self.draft

    def rate(self, count: int) -> float | None:
        """A count as a percent of every menu of the window."""
        return 100.0 * count / self.total if self.total else None


@dataclass
class SafetySummary:
    """The window's food-safety checks and the flags they raised."""

    checks: int = 0
    flagged: int = 0
    by_flag: Counter[str] = field(default_factory=Counter)
    by_day: dict[date, Counter[str]] = field(default_factory=dict)
    lines: list[CheckLine] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryLine:
    """A delivery that raised a flag."""

    service_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    npsn: str
    meal_type: str
    minutes_to_consumption: int | None
    flags: tuple[str, ...]


@dataclass
class DeliverySummary:
    """The window's deliveries and the flags they raised (late: over 4 or 6 hours)."""

    deliveries: int = 0
    flagged: int = 0
    by_flag: Counter[str] = field(default_factory=Counter)
    by_day: dict[date, Counter[str]] = field(default_factory=dict)
    lines: list[DeliveryLine] = field(default_factory=list)


@dataclass(frozen=True)
class KitchenLine:
    """A kitchen whose certificate is not valid, that is suspended, or over capacity."""

    kitchen_id: uuid.UUID
    kitchen_code: str
    name: str
    hygiene_status: str
    expires_on: date | None
    status: str
    planned_portions: int
    capacity_per_day: int | None
    over_capacity: bool


@dataclass
class HygieneSummary:
    """The region's kitchens by hygiene certificate status, on their own today (or the
    overview's last day when it is not today)."""

    by_status: Counter[str] = field(default_factory=Counter)
    suspended: int = 0
    over_capacity: int = 0
    lines: list[KitchenLine] = field(default_factory=list)


@dataclass(frozen=True)
class IncidentLine:
    """A suspected food poisoning whose meal date lies in the window."""

    id: uuid.UUID
    meal_date: date
    kitchen_id: uuid.UUID
    kitchen_code: str
    cases: int
    hospitalised: int | None
    symptoms: tuple[str, ...]


@dataclass
class Overview:
    """Everything the overview page shows."""

    region: str | None
    window: Window
    level: str
    kitchens: int
    enrolment: int
    days: list[DayLine]
    parts: list[Part]
    menus: MenuSummary
    safety: SafetySummary
    deliveries: DeliverySummary
    hygiene: HygieneSummary
    incidents: list[IncidentLine]
    incident_count: int

    @property
    def late_deliveries(self) -> int:
        """Deliveries of the window eaten more than 4 hours after cooking."""
        return sum(part.late for part in self.parts)

    @property
    def totals(self) -> Totals:
        """The window's portions, summed over its days."""
        total = Totals()
        for line in self.days:
            total.add({name: getattr(line.totals, name) for name in COUNTS})
        return total


async def _rows(session: AsyncSession, report: Report) -> AsyncIterator[Record]:
    async with aclosing(every_row(session, report)) as rows:
        async for row in rows:
            yield row


def _part_key(level: str, kitchen_id: uuid.UUID, region_code: str) -> str:
    if level == "kitchen":
        return str(kitchen_id)
    return region_code[: LEVEL_LENGTH[level]]


async def region_overview(
    session: AsyncSession, *, principal: Principal, region: str | None, last_day: date
) -> Overview:
    """The overview of a region (None: the nation) for the 30 days ending on `last_day`,
    as `principal` (whose scope holds the region) may see it."""
    window = overview_window(region, last_day)
    level = child_level(region)
    in_region = kitchens_in(region)
    kitchen_rows = (
        await session.execute(in_region.add_columns(_kitchens.c.name).order_by("kitchen_code"))
    ).all()
    part_of: dict[uuid.UUID, str] = {}
    parts: dict[str, Part] = {}
    for k in kitchen_rows:
        key = _part_key(level, k.kitchen_id, k.region_code)
        part_of[k.kitchen_id] = key
        if key not in parts:
            label = f"{k.kitchen_code} · {k.name}" if level == "kitchen" else key
            parts[key] = Part(
                key=key, label=label, kitchen_id=k.kitchen_id if level == "kitchen" else None
            )
        parts[key].kitchens += 1
    ids = in_region.subquery("region_kitchens")
    enrolment = 0
    for kitchen_id, _group, pupils in await session.execute(
        kitchen_enrolment(select(ids.c.kitchen_id))
    ):
        parts[part_of[kitchen_id]].enrolment += int(pupils)
        enrolment += int(pupils)

    days = {
        window.date_from + timedelta(days=i): DayLine(window.date_from + timedelta(days=i))
        for i in range(OVERVIEW_DAYS)
    }
    counted: set[tuple[uuid.UUID, date]] = set()
    report = meal_counts_report(window=window, group_by=MealCountLevel.kitchen)
    async for row in _rows(session, report):
        days[row["service_date"]].totals.add(row)
        parts[part_of[row["kitchen_id"]]].totals.add(row)
        counted.add((row["kitchen_id"], row["service_date"]))

    codes = {k.kitchen_id: k.kitchen_code for k in kitchen_rows}
    menus = await _menu_summary(session, window, parts, part_of, codes)
    menu_days = await _menu_days(session, window)
    for kitchen_id, day in menu_days:
        reported = (kitchen_id, day) in counted
        days[day].expected += 1
        days[day].reported += reported
        part = parts[part_of[kitchen_id]]
        part.expected += 1
        part.reported += reported

    safety = SafetySummary(by_day={day: Counter() for day in days})
    async for row in _rows(session, food_safety_report(window=window)):
        safety.checks += 1
        if not row["flags"]:
            continue
        safety.flagged += 1
        parts[part_of[row["kitchen_id"]]].flagged += 1
        for flag in row["flags"]:
            safety.by_flag[flag] += 1
            safety.by_day[row["service_date"]][flag] += 1
        safety.lines.append(
            CheckLine(
                row["service_date"], row["kitchen_id"], row["kitchen_code"], tuple(row["flags"])
            )
        )
    safety.lines.sort(key=lambda c: (c.service_date, c.kitchen_code), reverse=True)
    del safety.lines[LIST_LIMIT:]

    deliveries = await _deliveries(session, window, parts, part_of)
    hygiene = await _hygiene(session, region, None if last_day == region_today() else last_day)
    incidents = await _incidents(session, principal, window, parts, part_of, codes)
    incident_count = len(incidents)
    del incidents[LIST_LIMIT:]

    return Overview(
        region=region,
        window=window,
        level=level,
        kitchens=len(kitchen_rows),
        enrolment=enrolment,
        days=list(days.values()),
        parts=sorted(parts.values(), key=lambda p: p.label),
        menus=menus,
        safety=safety,
        deliveries=deliveries,
        hygiene=hygiene,
        incidents=incidents,
        incident_count=incident_count,
    )


async def _menu_days(session: AsyncSession, window: Window) -> set[tuple[uuid.UUID, date]]:
    """The (kitchen, day) pairs of the region with a menu (draft or approved) in the window:
    the days a kitchen is expected to report meal counts."""
    statuses = (MenuStatus.draft.value, MenuStatus.approved.value)
    menus = menus_between(window.date_from, window.date_to, statuses=statuses).subquery("m")
    kitchens = kitchens_in(window.region_code).subquery("k")
    stmt = (
        select(menus.c.kitchen_id, menus.c.service_date)
        .join_from(menus, kitchens, kitchens.c.kitchen_id == menus.c.kitchen_id)
        .distinct()
    )
    return {(k, d) for k, d in await session.execute(stmt)}


async def _menu_summary(
    session: AsyncSession,
    window: Window,
    parts: dict[str, Part],
    part_of: dict[uuid.UUID, str],
    codes: dict[uuid.UUID, str],
) -> MenuSummary:
    """Approved menus by whether they were overridden; drafts by their check as of now."""
    summary = MenuSummary()
    kitchens = kitchens_in(window.region_code).subquery("k")
    approved = approved_between(window.date_from, window.date_to).subquery("a")
    rows = await session.execute(
        select(approved, kitchens.c.kitchen_code).join_from(
            approved, kitchens, kitchens.c.kitchen_id == approved.c.kitchen_id
        )
    )
    for row in rows:
        if row.override_reason is None:
            summary.passed += 1
            continue
        groups = checked_groups(row.approval_check)
        failing = tuple(g.target_group for g in groups if g.status == CheckStatus.failed.value)
        summary.overridden += 1
        parts[part_of[row.kitchen_id]].overridden += 1
        summary.lines.append(
            MenuLine(
                row.service_date,
                row.kitchen_id,
                row.kitchen_code,
                row.meal_type,
                "overridden",
                failing,
                row.override_reason,
            )
        )
    drafts = menus_between(
        window.date_from, window.date_to, statuses=(MenuStatus.draft.value,)
    ).subquery("d")
    draft_ids = select(drafts.c.menu_id).join_from(
        drafts, kitchens, kitchens.c.kitchen_id == drafts.c.kitchen_id
    )
    draft_menus = list(
        (await session.execute(select(Menu).where(col(Menu.id).in_(draft_ids)))).scalars().all()
    )
    checks = await compute_checks(session, menus=draft_menus)
    for menu in draft_menus:
        check = checks[menu.id]
        failing = tuple(g.target_group for g in check.groups if g.status is CheckStatus.failed)
        if check.overall is CheckStatus.passed:
            summary.draft += 1
            outcome = "draft"
        else:
            summary.failing += 1
            parts[part_of[menu.kitchen_id]].failing += 1
            outcome = "failing"
        summary.lines.append(
            MenuLine(
                menu.service_date,
                menu.kitchen_id,
                codes[menu.kitchen_id],
                menu.meal_type,
                outcome,
                failing,
                None,
            )
        )
    summary.lines.sort(key=lambda m: (m.service_date, m.kitchen_code, m.meal_type), reverse=True)
    del summary.lines[LIST_LIMIT:]
    return summary


async def _deliveries(
    session: AsyncSession, window: Window, parts: dict[str, Part], part_of: dict[uuid.UUID, str]
) -> DeliverySummary:
    """The window's deliveries by their flags (the deliveries report's rows)."""
    days = window.date_from
    summary = DeliverySummary(
        by_day={days + timedelta(days=i): Counter() for i in range(OVERVIEW_DAYS)}
    )
    late = {DeliveryFlag.over_4h.value, DeliveryFlag.over_6h.value}
    async for row in _rows(session, deliveries_report(window=window)):
        summary.deliveries += 1
        flags = tuple(str(f) for f in row["flags"])
        if not flags:
            continue
        summary.flagged += 1
        if late & set(flags):
            parts[part_of[row["kitchen_id"]]].late += 1
        for flag in flags:
            summary.by_flag[flag] += 1
            summary.by_day[row["service_date"]][flag] += 1
        summary.lines.append(
            DeliveryLine(
                row["service_date"],
                row["kitchen_id"],
                row["kitchen_code"],
                row["npsn"],
                row["meal_type"],
                row["minutes_to_consumption"],
                flags,
            )
        )
    summary.lines.sort(key=lambda d: (d.service_date, d.kitchen_code, d.npsn), reverse=True)
    del summary.lines[LIST_LIMIT:]
    return summary


async def _hygiene(session: AsyncSession, region: str | None, day: date | None) -> HygieneSummary:
    """The region's kitchens by certificate status (the health kitchens report's rows)."""
    summary = HygieneSummary(by_status=Counter({s.value: 0 for s in HygieneStatus}))
    async for row in _rows(session, kitchens_report(region_code=region, day=day)):
        status = str(row["hygiene_status"])
        summary.by_status[status] += 1
        suspended = row["status"] == KitchenStatus.suspended.value
        summary.suspended += suspended
        summary.over_capacity += row["over_capacity"]
        if status != HygieneStatus.valid.value or suspended or row["over_capacity"]:
            summary.lines.append(
                KitchenLine(
                    row["kitchen_id"],
                    row["kitchen_code"],
                    row["name"],
                    status,
                    row["certificate_expires_on"],
                    str(row["status"]),
                    row["planned_portions"],
                    row["capacity_per_day"],
                    row["over_capacity"],
                )
            )
    del summary.lines[LIST_LIMIT:]
    return summary


async def _incidents(
    session: AsyncSession,
    principal: Principal,
    window: Window,
    parts: dict[str, Part],
    part_of: dict[uuid.UUID, str],
    codes: dict[uuid.UUID, str],
) -> list[IncidentLine]:
    """Incidents whose meal date lies in the window at the region's kitchens: what
    `GET /incidents?from=&to=` lists the viewer, within the region shown."""
    lines: list[IncidentLine] = []
    cursor: str | None = None
    while True:
        page, cursor = await list_incidents(
            session,
            principal=principal,
            date_from=window.date_from,
            date_to=window.date_to,
            kitchen_id=None,
            page=PageParams(limit=MAX_LIMIT, cursor=cursor, updated_since=None),
        )
        for incident in page:
            if incident.kitchen_id not in part_of:
                continue  # a kitchen the viewer sees outside the region shown
            parts[part_of[incident.kitchen_id]].incidents += 1
            lines.append(
                IncidentLine(
                    incident.id,
                    incident.meal_date,
                    incident.kitchen_id,
                    codes[incident.kitchen_id],
                    incident.cases,
                    incident.hospitalised,
                    tuple(incident.symptoms),
                )
            )
        if cursor is None:
            break
    lines.sort(key=lambda i: (i.meal_date, i.kitchen_code), reverse=True)
    return lines


def delivery_flag_names() -> list[str]:
    """The delivery flags, in the order the API lists them."""
    return [flag.value for flag in DeliveryFlag]


def hygiene_statuses() -> list[str]:
    """The hygiene certificate statuses, in the order the API names them."""
    return [status.value for status in HygieneStatus]


def flag_names() -> list[str]:
    """The food-safety flags, in the order the API lists them."""
    return [flag.value for flag in SafetyFlag]


def day_series(overview: Overview) -> dict[str, list[Any]]:
    """The portions chart's series: the three counts per day and the enrolment."""
    series: dict[str, list[Any]] = {
        name: [getattr(line.totals, name) for line in overview.days] for name in COUNTS
    }
    series["enrolment"] = [overview.enrolment] * len(overview.days)
    return series
