"""HTTP for foods (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["foods"])
