"""The kitchen page: the day view, the last 14 days of counts, checks and deliveries, and
menus with their check and cost.

Each part is what the API answers for the same kitchen: the day view's service
(app/dayview), the meal-counts service (the totals of each reported day), the schools
service (enrolment), the food-safety and deliveries services, and the menus service
(stored checks of approved menus, the live check of drafts, as the day view shows them).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import Principal
from app.auth.policy import OPS_WRITE
from app.core.pagination import MAX_LIMIT, PageParams
from app.dayview.models import AlertKind, DayView
from app.dayview.service import day_view, view_day
from app.deliveries.models import DeliveryPublic
from app.deliveries.service import list_deliveries
from app.foodsafety.models import FoodSafetyCheck
from app.foodsafety.service import list_checks
from app.kitchens.models import Kitchen
from app.mealcounts.service import list_days
from app.menus.models import (
    CheckStatus,
    CostStatus,
    Menu,
    MenuPublic,
    MenuStatus,
    NutritionCheck,
)
from app.menus.service import compute_checks, to_public_many
from app.schools.models import SchoolPublic
from app.schools.service import list_schools

T = TypeVar("T")
# Days of counts and checks the page shows, ending on the day shown; menus reach further.
HISTORY_DAYS = 14
MENU_DAYS_AHEAD = 7
# Day-view alerts that name staff: shown only to those who may read staff (OPS_WRITE).
STAFF_ALERTS = frozenset({AlertKind.certificate_expired, AlertKind.certificate_expiring})


@dataclass(frozen=True)
class CountDay:
    """One day's meal-count totals (None: not reported, or that count unknown)."""

    day: date
    reported: bool
    planned: int | None = None
    prepared: int | None = None
    served: int | None = None
    returned: int | None = None


@dataclass(frozen=True)
class MenuLine:
    """A menu with the check it stands on: as approved, or computed now for a draft."""

    menu: MenuPublic
    check: NutritionCheck

    @property
    def failing_groups(self) -> list[str]:
        return [g.target_group for g in self.check.groups if g.status is CheckStatus.failed]

    @property
    def over_budget_groups(self) -> list[str]:
        return [
            g.target_group
            for g in self.check.groups
            if g.cost is not None and g.cost.status is CostStatus.over_budget
        ]


@dataclass(frozen=True)
class KitchenPage:
    """Everything the kitchen page shows."""

    kitchen: Kitchen
    day: date
    view: DayView
    staff_visible: bool
    schools: list[SchoolPublic]
    enrolment: int
    counts: list[CountDay]
    checks: list[FoodSafetyCheck]
    deliveries: list[DeliveryPublic]
    menus: list[MenuLine]

    @property
    def npsn(self) -> dict[str, str]:
        """Each school's NPSN by its id (as text, for the templates)."""
        return {str(s.id): s.npsn for s in self.schools}


async def _every_page(
    fetch: Callable[[PageParams], Awaitable[tuple[list[T], str | None]]],
) -> list[T]:
    """Every item of a paged service list, a full page at a time."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page, cursor = await fetch(PageParams(limit=MAX_LIMIT, cursor=cursor, updated_since=None))
        items += page
        if cursor is None:
            return items


async def _menus(
    session: AsyncSession, kitchen: Kitchen, first: date, last: date
) -> list[MenuLine]:
    stmt = (
        select(Menu)
        .where(Menu.kitchen_id == kitchen.id, Menu.service_date >= first, Menu.service_date <= last)
        .order_by(col(Menu.service_date).desc(), col(Menu.meal_type))
    )
    menus = list((await session.exec(stmt)).all())
    drafts = [m for m in menus if not (m.status == MenuStatus.approved and m.approval_check)]
    live = await compute_checks(session, menus=drafts)
    lines = []
    for public in await to_public_many(session, menus):
        check = live.get(public.id) or public.nutrition_check
        assert check is not None
        lines.append(MenuLine(menu=public, check=check))
    return lines


async def kitchen_page(
    session: AsyncSession, *, kitchen: Kitchen, principal: Principal, day: date | None
) -> KitchenPage:
    """The kitchen page for `day` (the kitchen's today by default).

    Staff and shifts are personal data the API shows only to the kitchen's managers and
    admin (OPS_WRITE): a health office sees the day's menus, schools and alerts that name
    no one, as its own API reads give it.
    """
    when = view_day(kitchen, day)
    first = when - timedelta(days=HISTORY_DAYS - 1)
    staff_visible = principal.role in OPS_WRITE.roles
    view = await day_view(session, kitchen=kitchen, day=when)
    if not staff_visible:
        view = view.model_copy(
            update={
                "shifts": [],
                "alerts": [a for a in view.alerts if a.kind not in STAFF_ALERTS],
            }
        )
    reported = {
        d.service_date: d
        for d in await list_days(session, kitchen=kitchen, date_from=first, date_to=when)
    }
    counts = []
    for i in range(HISTORY_DAYS):
        day_i = first + timedelta(days=i)
        found = reported.get(day_i)
        if found is None:
            counts.append(CountDay(day=day_i, reported=False))
        else:
            t = found.totals
            counts.append(CountDay(day_i, True, t.planned, t.prepared, t.served, t.returned))
    schools = await _every_page(lambda page: list_schools(session, kitchen=kitchen, page=page))
    checks = await _every_page(
        lambda page: list_checks(session, kitchen=kitchen, date_from=first, date_to=when, page=page)
    )
    checks.sort(key=lambda c: (c.service_date, c.cooked_at), reverse=True)
    deliveries = await _every_page(
        lambda page: list_deliveries(
            session, kitchen=kitchen, date_from=first, date_to=when, school_id=None, page=page
        )
    )
    deliveries.sort(key=lambda d: (d.service_date, d.departed_at), reverse=True)
    return KitchenPage(
        kitchen=kitchen,
        day=when,
        view=view,
        staff_visible=staff_visible,
        schools=schools,
        enrolment=sum(sum(s.enrolment.values()) for s in schools),
        counts=counts,
        checks=checks,
        deliveries=deliveries,
        menus=await _menus(session, kitchen, first, when + timedelta(days=MENU_DAYS_AHEAD)),
    )
