"""HTTP for AKG nutrition targets and meal-type rules: everyone reads, admin writes."""

from app.auth.deps import AnyPrincipal
from app.core.conditional import ConditionalDep
from app.core.deps import SessionDep
from app.core.routing import api_router
from app.kitchens.access import row_etag
from app.nutrition import service
from app.nutrition.access import ReadableTarget, WritableRules, WritableTarget
from app.nutrition.models import (
    NutritionRules,
    NutritionRulesUpdate,
    NutritionTargetList,
    NutritionTargetPublic,
    NutritionTargetUpdate,
)

router = api_router(tags=["nutrition"])


@router.get("/nutrition-targets", summary="Daily nutrient needs (AKG 2019) of every group")
async def list_targets(_: AnyPrincipal, session: SessionDep) -> NutritionTargetList:
    return NutritionTargetList(items=await service.list_targets(session))


@router.get(
    "/nutrition-targets/{code}",
    summary="One group's daily needs (so clients can PUT with If-Match)",
)
async def get_target(
    target: ReadableTarget, session: SessionDep, cond: ConditionalDep
) -> NutritionTargetPublic:
    cond.tag(row_etag(target))
    return service.target_public(target)


@router.put("/nutrition-targets/{code}", summary="Change one group's daily needs (admin)")
async def update_target(
    target: WritableTarget, data: NutritionTargetUpdate, session: SessionDep, cond: ConditionalDep
) -> NutritionTargetPublic:
    public = await service.update_target(session, target=target, data=data)
    cond.tag(row_etag(target))
    return public


@router.get("/nutrition-rules", summary="Share of daily needs each meal type should provide")
async def get_rules(_: AnyPrincipal, session: SessionDep, cond: ConditionalDep) -> NutritionRules:
    rows = await service.rule_rows(session)
    cond.tag(service.rules_tag(rows))
    return service.rules_public(rows)


@router.put("/nutrition-rules", summary="Change the meal-type shares (admin)")
async def update_rules(
    rows: WritableRules, data: NutritionRulesUpdate, session: SessionDep, cond: ConditionalDep
) -> NutritionRules:
    rows = await service.update_rules(session, rows=rows, data=data)
    cond.tag(service.rules_tag(rows))
    return service.rules_public(rows)
