"""HTTP for recipes (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["recipes"])
