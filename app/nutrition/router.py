"""HTTP for AKG nutrition targets and meal-type rules: everyone reads, admin writes."""

from fastapi import APIRouter

from app.auth.deps import AdminPrincipal, CurrentPrincipal
from app.core.deps import SessionDep
from app.nutrition import service
from app.nutrition.models import (
    NutritionRules,
    NutritionRulesUpdate,
    NutritionTargetList,
    NutritionTargetPublic,
    NutritionTargetUpdate,
)

router = APIRouter(tags=["nutrition"])


@router.get("/nutrition-targets", summary="Daily nutrient needs (AKG 2019) of every group")
def list_targets(_: CurrentPrincipal, session: SessionDep) -> NutritionTargetList:
    return NutritionTargetList(items=service.list_targets(session))


@router.put("/nutrition-targets/{code}", summary="Change one group's daily needs (admin)")
def update_target(
    _: AdminPrincipal, code: str, data: NutritionTargetUpdate, session: SessionDep
) -> NutritionTargetPublic:
    return service.update_target(session, code=code, data=data)


@router.get("/nutrition-rules", summary="Share of daily needs each meal type should provide")
def get_rules(_: CurrentPrincipal, session: SessionDep) -> NutritionRules:
    return service.get_rules(session)


@router.put("/nutrition-rules", summary="Change the meal-type shares (admin)")
def update_rules(
    _: AdminPrincipal, data: NutritionRulesUpdate, session: SessionDep
) -> NutritionRules:
    return service.update_rules(session, data=data)
