"""HTTP for staff (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["staff"])
