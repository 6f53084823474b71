"""Food-safety checks: what makes one valid, and the flags the service derives from it."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Invalid, NotFound
from app.core.localtime import local_date
from app.core.pagination import PageParams, paginate
from app.foodsafety.models import (
    FoodSafetyCheck,
    FoodSafetyCheckCreate,
    FoodSafetyCheckUpdate,
    SafetyFlag,
)
from app.kitchens.models import Kitchen

MIN_CORE_TEMP_C = 75.0
MAX_COOK_TO_DISPATCH = timedelta(hours=4)


def flags_of(check: FoodSafetyCheck) -> list[SafetyFlag]:
    """The flags a check raises, in a fixed order; exactly 4 h to dispatch is not over."""
    flags: list[SafetyFlag] = []
    if not check.sample_retained:
        flags.append(SafetyFlag.no_sample_retained)
    if not check.organoleptic_ok:
        flags.append(SafetyFlag.organoleptic_failed)
    if check.core_temp_c is not None and check.core_temp_c < MIN_CORE_TEMP_C:
        flags.append(SafetyFlag.core_temp_below_75c)
    if (
        check.dispatched_at is not None
        and check.dispatched_at - check.cooked_at > MAX_COOK_TO_DISPATCH
    ):
        flags.append(SafetyFlag.dispatch_over_4h)
    return flags


def time_errors(check: FoodSafetyCheck, timezone: str) -> list[dict[str, Any]]:
    """Why a check's times cannot be right: cooking on the service date or the day before
    (kitchen-local), and dispatch not before cooking."""
    errors: list[dict[str, Any]] = []
    cooked_on = local_date(check.cooked_at, timezone)
    if not check.service_date - timedelta(days=1) <= cooked_on <= check.service_date:
        errors.append(
            {
                "loc": ["body", "cooked_at"],
                "msg": f"cooked_at falls on {cooked_on} in the kitchen's time zone "
                f"({timezone}); cooking for {check.service_date} happens that day or the "
                "day before",
            }
        )
    if check.dispatched_at is not None and check.dispatched_at < check.cooked_at:
        errors.append(
            {"loc": ["body", "dispatched_at"], "msg": "dispatched_at is before cooked_at"}
        )
    return errors


def _settle(check: FoodSafetyCheck, kitchen: Kitchen) -> None:
    """422 with every time problem of the check, else compute its flags."""
    errors = time_errors(check, kitchen.timezone)
    if errors:
        raise Invalid(errors[0]["msg"], errors=errors)
    check.flags = [f.value for f in flags_of(check)]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


async def create_check(
    session: AsyncSession, *, kitchen: Kitchen, data: FoodSafetyCheckCreate
) -> FoodSafetyCheck:
    """Record a check with its flags computed here, never taken from the client."""
    check = FoodSafetyCheck(
        kitchen_id=kitchen.id,
        **data.model_dump(exclude={"cooked_at", "dispatched_at"}),
        cooked_at=data.cooked_at.astimezone(UTC),
        dispatched_at=_utc(data.dispatched_at),
    )
    _settle(check, kitchen)
    session.add(check)
    await session.flush()
    return check


async def update_check(
    session: AsyncSession, *, check: FoodSafetyCheck, data: FoodSafetyCheckUpdate
) -> FoodSafetyCheck:
    """Correct a check: the fields sent replace the recorded ones; flags are recomputed."""
    kitchen = await session.get(Kitchen, check.kitchen_id)  # loaded with the check
    if kitchen is None:
        raise NotFound("Food-safety check")
    changes = data.model_dump(exclude_unset=True)
    for field in ("cooked_at", "dispatched_at"):
        if field in changes:
            changes[field] = _utc(changes[field])
    for field, value in changes.items():
        setattr(check, field, value)
    _settle(check, kitchen)
    session.add(check)
    await session.flush()
    return check


async def list_checks(
    session: AsyncSession,
    *,
    kitchen: Kitchen,
    date_from: date | None,
    date_to: date | None,
    page: PageParams,
) -> tuple[list[FoodSafetyCheck], str | None]:
    """A page of the kitchen's checks, optionally within service dates (inclusive)."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("`from` is after `to`", loc=["query", "from"])
    stmt = select(FoodSafetyCheck).where(FoodSafetyCheck.kitchen_id == kitchen.id)
    if date_from:
        stmt = stmt.where(FoodSafetyCheck.service_date >= date_from)
    if date_to:
        stmt = stmt.where(FoodSafetyCheck.service_date <= date_to)
    return await paginate(session, stmt, FoodSafetyCheck, page)
