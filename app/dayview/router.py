"""HTTP for dayview (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["dayview"])
