"""HTTP for nutrition (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["nutrition"])
