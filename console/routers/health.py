"""GET /api/health: no login needed; answers while the service runs."""

from __future__ import annotations

from fastapi import APIRouter

from console.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    return Health()
