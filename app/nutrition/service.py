"""AKG daily targets and the meal-type share rules, read by everyone, edited by admin."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.conditional import version_tag
from app.nutrition.models import (
    MealShare,
    MealType,
    NutritionRule,
    NutritionRules,
    NutritionRulesUpdate,
    NutritionTarget,
    NutritionTargetPublic,
    NutritionTargetUpdate,
    TargetGroup,
)

_GROUP_ORDER = {g.value: i for i, g in enumerate(TargetGroup)}


async def list_targets(session: AsyncSession) -> list[NutritionTargetPublic]:
    """Every group's daily targets, in the contract's group order."""
    rows = (await session.exec(select(NutritionTarget))).all()
    ordered = sorted(rows, key=lambda t: (_GROUP_ORDER.get(t.code, len(_GROUP_ORDER)), t.code))
    return [NutritionTargetPublic.model_validate(t, from_attributes=True) for t in ordered]


async def targets_by_code(session: AsyncSession) -> dict[str, NutritionTarget]:
    """Every group's targets, keyed by group code (one query)."""
    return {t.code: t for t in await session.exec(select(NutritionTarget))}


def target_public(target: NutritionTarget) -> NutritionTargetPublic:
    """The API shape of one group's targets."""
    return NutritionTargetPublic.model_validate(target, from_attributes=True)


async def update_target(
    session: AsyncSession, *, target: NutritionTarget, data: NutritionTargetUpdate
) -> NutritionTargetPublic:
    """Replace the values sent for one group (its row is locked by the route's loader)."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(target, field, value)
    session.add(target)
    await session.flush()
    return target_public(target)


def rules_tag(rows: Sequence[NutritionRule]) -> str:
    """The ETag of the rules object: the versions of its rows."""
    return version_tag("nutrition_rules", *sorted(f"{r.meal_type}:{r.version}" for r in rows))


async def rule_rows(session: AsyncSession, *, lock: bool = False) -> list[NutritionRule]:
    """The rule rows, locked for the transaction when `lock`."""
    stmt = select(NutritionRule).order_by(col(NutritionRule.meal_type))
    if lock:
        stmt = stmt.with_for_update()
    return list((await session.exec(stmt)).all())


def _shares(rows: Sequence[NutritionRule]) -> dict[str, MealShare]:
    return {r.meal_type: MealShare(min_share=r.min_share, max_share=r.max_share) for r in rows}


async def rules_by_meal_type(session: AsyncSession) -> dict[str, MealShare]:
    """The share rule of each meal type (one query)."""
    return _shares(await rule_rows(session))


def rules_public(rows: Sequence[NutritionRule]) -> NutritionRules:
    """The rules as one object keyed by meal type."""
    return NutritionRules.model_validate(_shares(rows))


async def update_rules(
    session: AsyncSession, *, rows: Sequence[NutritionRule], data: NutritionRulesUpdate
) -> list[NutritionRule]:
    """Replace the rules of the meal types sent; `rows` are the current rows, locked."""
    by_type = {r.meal_type: r for r in rows}
    for meal_type in MealType:
        share: MealShare | None = getattr(data, meal_type.value)
        if share is None:
            continue
        row = by_type.get(meal_type.value) or NutritionRule(
            meal_type=meal_type.value, min_share=share.min_share, max_share=share.max_share
        )
        row.min_share, row.max_share = share.min_share, share.max_share
        session.add(row)
        by_type[meal_type.value] = row
    await session.flush()
    return list(by_type.values())
