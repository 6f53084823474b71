"""AKG daily targets and the meal-type share rules, read by everyone, edited by admin."""

from sqlmodel import Session, select

from app.core.errors import NotFound
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


def list_targets(session: Session) -> list[NutritionTargetPublic]:
    """Every group's daily targets, in the contract's group order."""
    rows = session.exec(select(NutritionTarget)).all()
    rows = sorted(rows, key=lambda t: (_GROUP_ORDER.get(t.code, len(_GROUP_ORDER)), t.code))
    return [NutritionTargetPublic.model_validate(t, from_attributes=True) for t in rows]


def targets_by_code(session: Session) -> dict[str, NutritionTarget]:
    """Every group's targets, keyed by group code (one query)."""
    return {t.code: t for t in session.exec(select(NutritionTarget))}


def update_target(
    session: Session, *, code: str, data: NutritionTargetUpdate
) -> NutritionTargetPublic:
    """Replace the values sent for one group; 404 for an unknown group code."""
    target = session.exec(select(NutritionTarget).where(NutritionTarget.code == code)).first()
    if target is None:
        raise NotFound("Nutrition target")
    for field, value in data.model_dump(exclude_none=True).items():
        setattr(target, field, value)
    session.add(target)
    session.flush()
    return NutritionTargetPublic.model_validate(target, from_attributes=True)


def rules_by_meal_type(session: Session) -> dict[str, MealShare]:
    """The share rule of each meal type (one query)."""
    return {
        r.meal_type: MealShare(min_share=r.min_share, max_share=r.max_share)
        for r in session.exec(select(NutritionRule))
    }


def get_rules(session: Session) -> NutritionRules:
    """The rules as one object keyed by meal type."""
    return NutritionRules.model_validate(rules_by_meal_type(session))


def update_rules(session: Session, *, data: NutritionRulesUpdate) -> NutritionRules:
    """Replace the rules of the meal types sent."""
    rows = {r.meal_type: r for r in session.exec(select(NutritionRule))}
    for meal_type in MealType:
        share: MealShare | None = getattr(data, meal_type.value)
        if share is None:
            continue
        row = rows.get(meal_type.value) or NutritionRule(
            meal_type=meal_type.value, min_share=share.min_share, max_share=share.max_share
        )
        row.min_share, row.max_share = share.min_share, share.max_share
        session.add(row)
    session.flush()
    return get_rules(session)
