"""HTTP for audit (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["audit"])
