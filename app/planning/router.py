"""HTTP for menu planning."""

from app.core.deps import SessionDep
from app.core.errors import problems
from app.core.routing import api_router
from app.kitchens.oversight import KitchenSuspended
from app.menus.service import MenuExists, NotHalal, RecipeNotAvailable
from app.planning import service
from app.planning.access import PlanningKitchen
from app.planning.schemas import MenuPlanPublic, MenuPlanRequest
from app.planning.service import PlannerBusy, PlanTooLargeError

router = api_router(tags=["menu planning"])


@router.post(
    "/kitchens/{kitchen_id}/menu-plans",
    summary="Plan the least-cost menus for a range of school days (optionally as drafts)",
    responses=problems(
        RecipeNotAvailable,
        PlanTooLargeError,
        MenuExists,
        KitchenSuspended,
        NotHalal,
        PlannerBusy,
    ),
)
async def plan_menus(
    kitchen: PlanningKitchen, data: MenuPlanRequest, session: SessionDep
) -> MenuPlanPublic:
    """One menu per school day (Monday to Saturday) from `from` to `to`, of least total cost
    among those that fill the plate, pass every enrolled group's nutrition check, fit each
    group's budget and repeat no recipe more than `max_repeats` times (docs/planning.md)."""
    return await service.plan_kitchen_menus(session, kitchen=kitchen, data=data)
