"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.errors import PROBLEM_RESPONSES, problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses={503: PROBLEM_RESPONSES[503]})
def readyz(request: Request) -> dict[str, str] | JSONResponse:
    """The database answers."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return problem(503, f"database unreachable: {type(exc).__name__}", "Not ready",
                       "not-ready")
    return {"status": "ready", "database": request.app.state.engine.dialect.name}
