"""The agriculture page: ingredient demand by commodity and ISO week, past and coming.

The rows are the agriculture demand report's (app/reports/demand.py) for the same window
(`period=week`, `by=commodity`), with region codes cut to the level of the region shown,
so each (week, commodity) has one row. For the whole nation (admin) the report is cut
to provinces and the page adds the provinces' rows up per week and commodity.
"""

from collections import defaultdict
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.localtime import iso_week
from app.reports.demand import DemandBy, Period, RegionLevel, demand_report
from app.reports.paging import Report, every_row
from app.reports.window import Window

# Weeks before the current ISO week, and weeks from it on (the current one included).
PAST_WEEKS = 4
NEXT_WEEKS = 4
API_PATH = "/api/v1/integrations/agriculture/ingredient-demand"


def demand_window(region: str | None, anchor: date) -> Window:
    """Monday of the fourth week before `anchor`'s ISO week to the Sunday of the fourth
    week from it (its own week counted as the first of the next four)."""
    monday = iso_week(anchor)[0]
    return Window(
        date_from=monday - timedelta(weeks=PAST_WEEKS),
        date_to=monday + timedelta(weeks=NEXT_WEEKS, days=-1),
        region_code=region,
    )


def region_level(region: str | None) -> RegionLevel:
    """The level the report cuts region codes to: the region's own (provinces for the nation)."""
    if region is None or len(region) <= 2:
        return RegionLevel.province
    if len(region) <= 5:
        return RegionLevel.regency
    return RegionLevel.district


def report_for(window: Window) -> Report:
    """The demand report the page (and its CSV) shows."""
    return demand_report(
        window=window,
        period=Period.week,
        by=DemandBy.commodity,
        region_level=region_level(window.region_code),
    )


def api_query(window: Window, *, csv: bool) -> str:
    """The API request giving the same rows (for the office's own systems)."""
    params = {
        "from": window.date_from.isoformat(),
        "to": window.date_to.isoformat(),
        "period": Period.week.value,
        "by": DemandBy.commodity.value,
        "region_level": region_level(window.region_code).value,
    }
    if window.region_code is not None:
        params["region_code"] = window.region_code
    if csv:
        params["format"] = "csv"
    return f"{API_PATH}?{urlencode(params)}"


@dataclass
class Cell:
    """Demand of one commodity in one week, summed over the rows of the window's region.
    Its value is unknown (None) when any row's is: some purchase has no price."""

    edible_kg: float = 0.0
    purchase_kg: float = 0.0
    portions: int = 0
    value_idr: int | None = 0


@dataclass
class Demand:
    """The page's numbers: weeks in order, commodities by total purchase, and the cells."""

    window: Window
    weeks: list[str]
    current_week: str
    commodities: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    rows: int = 0

    def cell(self, commodity: str, week: str) -> Cell | None:
        return self.cells.get((commodity, week))

    def total(self, commodity: str) -> float:
        """Purchase kg of a commodity over every week."""
        return round(
            sum(c.purchase_kg for (name, _), c in self.cells.items() if name == commodity), 3
        )

    def week_total(self, week: str) -> float | None:
        """Purchase kg of every commodity in a week (None: no demand that week)."""
        cells = [c for (_, w), c in self.cells.items() if w == week]
        return round(sum(c.purchase_kg for c in cells), 3) if cells else None

    def value_total(self, commodity: str) -> int | None:
        """Rupiah of a commodity over every week (None when some week's is unknown)."""
        return _sum_known([c.value_idr for (n, _), c in self.cells.items() if n == commodity])

    def week_value(self, week: str) -> int | None:
        """Rupiah of every commodity in a week (None when unknown or no demand)."""
        cells = [c.value_idr for (_, w), c in self.cells.items() if w == week]
        return _sum_known(cells) if cells else None


def _sum_known(values: list[int | None]) -> int | None:
    """A sum that is unknown when any part is (as the report's own sums)."""
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


async def demand(session: AsyncSession, *, region: str | None, anchor: date) -> Demand:
    """The region's demand for the eight weeks around `anchor`."""
    window = demand_window(region, anchor)
    weeks = []
    monday = window.date_from
    while monday <= window.date_to:
        weeks.append(iso_week(monday)[2])
        monday += timedelta(weeks=1)
    result = Demand(window=window, weeks=weeks, current_week=iso_week(anchor)[2])
    purchase: dict[str, float] = defaultdict(float)
    async with aclosing(every_row(session, report_for(window))) as rows:
        async for row in rows:
            result.rows += 1
            key = (row["commodity"], row["period"])
            cell = result.cells.setdefault(key, Cell())
            cell.edible_kg = round(cell.edible_kg + row["edible_kg"], 3)
            cell.purchase_kg = round(cell.purchase_kg + row["purchase_kg"], 3)
            cell.portions += row["portions"]
            cell.value_idr = _sum_known([cell.value_idr, row["value_idr"]])
            purchase[row["commodity"]] += row["purchase_kg"]
    result.commodities = sorted(purchase, key=lambda name: (-purchase[name], name))
    return result
