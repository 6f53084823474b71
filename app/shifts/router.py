"""HTTP for shifts (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["shifts"])
