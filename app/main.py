"""The Dapur application: `uvicorn app.main:app`."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.middleware.gzip import GZipMiddleware

from app import models as _models  # noqa: F401  (registers every table)
from app.apikeys.router import router as apikeys_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.core.audit import install_audit_hooks
from app.core.config import Settings, get_settings
from app.core.db import Database, begin_writing
from app.core.docs import install_docs
from app.core.edge import API_CSP, Edge
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging
from app.core.metrics import Metrics
from app.core.openapi import install_openapi
from app.core.routing import install_protocol_handlers, mount
from app.core.security import hashing, use_fast_hashing
from app.dashboard.router import DASHBOARD_CSP
from app.dashboard.router import router as dashboard_router
from app.dayview.router import router as dayview_router
from app.deliveries.router import router as deliveries_router
from app.foods.router import router as foods_router
from app.foodsafety.router import router as foodsafety_router
from app.incidents.router import router as incidents_router
from app.kitchens.oversight_router import router as oversight_router
from app.kitchens.router import router as kitchens_router
from app.mealcounts.router import router as mealcounts_router
from app.menus.router import router as menus_router
from app.nutrition.router import router as nutrition_router
from app.ops.router import router as ops_router
from app.planning.router import router as planning_router
from app.prices.router import router as prices_router
from app.recipes.router import router as recipes_router
from app.reports.router import router as reports_router
from app.schools.router import router as schools_router
from app.shifts.router import router as shifts_router
from app.staff.router import router as staff_router
from app.users.router import router as users_router
from app.users.service import ensure_first_admin

logger = logging.getLogger("app")

API_ROUTERS: list[APIRouter] = [
    auth_router,
    users_router,
    apikeys_router,
    kitchens_router,
    oversight_router,
    schools_router,
    staff_router,
    shifts_router,
    foods_router,
    nutrition_router,
    prices_router,
    recipes_router,
    menus_router,
    planning_router,
    mealcounts_router,
    foodsafety_router,
    deliveries_router,
    incidents_router,
    dayview_router,
    reports_router,
    audit_router,
]

DESCRIPTION = """
Operations service for school kitchens (SPPG) of Indonesia's free nutritious meal
programme (Makan Bergizi Gratis): staff, shifts, recipes, menus and their nutrition checks,
meal counts and food-safety checks, and the data health and agriculture offices pull.

Authenticate with `POST /api/v1/auth/token` (users) or an `X-API-Key` header (office systems).
Errors are RFC 9457 problem details with a stable `code`.
"""

def content_security_policy(path: str) -> str:
    """The policy for an answer without its own (the docs page sets a tighter one itself):
    the dashboard's pages may load their own stylesheet and images; the API, nothing."""
    if path == "/dashboard" or path.startswith("/dashboard/"):
        return DASHBOARD_CSP
    return API_CSP


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for the given settings (the environment's by default)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    use_fast_hashing(settings.environment == "test")
    hashing.configure(limit=settings.login_max_concurrent_hashes, queue=settings.login_hash_queue)
    database = Database(settings)
    metrics = Metrics()
    database.on_new_engine(metrics.watch)
    install_audit_hooks()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.first_admin_username and settings.first_admin_password:
            try:
                async with AsyncSession(database.engine, expire_on_commit=False) as session:
                    await begin_writing(session)
                    created = await ensure_first_admin(
                        session,
                        username=settings.first_admin_username,
                        password=settings.first_admin_password,
                    )
                    await session.commit()
                if created:
                    logger.info("created first admin %s", settings.first_admin_username)
            except IntegrityError:
                # Another worker of the same deployment created it at the same moment.
                logger.info("first admin %s already exists", settings.first_admin_username)
        yield
        await database.dispose()

    app = FastAPI(
        title="Dapur API",
        version="1.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.metrics = metrics

    install_error_handlers(app)
    install_protocol_handlers(app)
    install_openapi(app)
    install_docs(app)
    mount(app, *API_ROUTERS, ops_router, dashboard_router)

    # Outermost last. GZip compresses what the routes tagged (ETags are of the plain bytes).
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Idempotent-Replayed"],
        )
    app.add_middleware(
        Edge,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        hsts_seconds=settings.hsts_seconds,
        content_security_policy=content_security_policy,
    )
    return app


app = create_app()
