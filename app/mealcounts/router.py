"""HTTP for mealcounts (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["mealcounts"])
