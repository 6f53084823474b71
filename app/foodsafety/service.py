"""Food-safety checks and the flags the service derives from them."""

from datetime import date, timedelta

from sqlmodel import Session, select

from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.foodsafety.models import FoodSafetyCheck, FoodSafetyCheckCreate, SafetyFlag
from app.kitchens.models import Kitchen

MIN_CORE_TEMP_C = 75.0
MAX_COOK_TO_DISPATCH = timedelta(hours=4)


def flags_of(data: FoodSafetyCheckCreate) -> list[SafetyFlag]:
    """The flags a check raises, in a fixed order; exactly 4 h to dispatch is not over."""
    flags: list[SafetyFlag] = []
    if not data.sample_retained:
        flags.append(SafetyFlag.no_sample_retained)
    if not data.organoleptic_ok:
        flags.append(SafetyFlag.organoleptic_failed)
    if data.core_temp_c is not None and data.core_temp_c < MIN_CORE_TEMP_C:
        flags.append(SafetyFlag.core_temp_below_75c)
    if (
        data.dispatched_at is not None
        and data.dispatched_at - data.cooked_at > MAX_COOK_TO_DISPATCH
    ):
        flags.append(SafetyFlag.dispatch_over_4h)
    return flags


def create_check(
    session: Session, *, kitchen: Kitchen, data: FoodSafetyCheckCreate
) -> FoodSafetyCheck:
    """Record a check with its flags computed here, never taken from the client."""
    if data.dispatched_at is not None and data.dispatched_at < data.cooked_at:
        raise Invalid("dispatched_at is before cooked_at", loc=["body", "dispatched_at"])
    check = FoodSafetyCheck(
        kitchen_id=kitchen.id,
        **data.model_dump(),
        flags=[f.value for f in flags_of(data)],
    )
    session.add(check)
    session.flush()
    return check


def list_checks(
    session: Session,
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
    return paginate(session, stmt, FoodSafetyCheck, page)
