"""HTTP for foodsafety (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["foodsafety"])
