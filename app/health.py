"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.errors import PROBLEM_RESPONSES

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up: answered in the event loop, with no thread and no database, so it
    stays fast while every connection is busy."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses={503: PROBLEM_RESPONSES[503]})
def readyz(request: Request) -> dict[str, str] | JSONResponse:
    """The database answers. Says ready or not and nothing else: what the database is and why
    it does not answer are for the operator's log, not for whoever can reach the port."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("not ready: the database does not answer (%s)", type(exc).__name__)
        return JSONResponse({"status": "not ready"}, status_code=503)
    return {"status": "ready"}
