"""HTTP for integrations (to be built)."""

from fastapi import APIRouter

router = APIRouter(tags=["integrations"])
