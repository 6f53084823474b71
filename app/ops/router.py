"""Liveness, readiness and metrics for operators and orchestrators."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.db import ping
from app.core.errors import problem

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: 200 while the process runs")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: 200 when the database answers, 503 otherwise",
    responses={503: {"description": "The database does not answer"}},
)
async def readyz(request: Request) -> Response:
    try:
        await ping(request.app.state.database.engine)
    except Exception:
        return problem(503, "database_unavailable", "The database does not answer")
    return Response('{"status":"ok","database":"ok"}', media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )


@router.get("/", summary="Where to start", include_in_schema=False)
async def index() -> dict[str, str]:
    return {
        "service": "Dapur",
        "api": "/api/v1",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "health": "/healthz",
    }
