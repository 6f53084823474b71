"""HTTP for menus (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["menus"])
