"""HTTP routes for sources (admin): declare, change, remove, fetch now, read the attempts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.deps import AdminAccess
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.limits import MAX_PAGE, Id
from app.pagination import MAX_CURSOR, Page, decode_int_cursor, page_of
from app.scheduler import worker_id
from app.settings import SettingsDep
from app.sources import service
from app.sources.models import FetchAttempt, Source
from app.sources.schemas import AttemptOut, FetchOut, SourceIn, SourceOut, SourcePatch

router = APIRouter(prefix="/api/v1", tags=["sources"], responses=PROBLEM_RESPONSES)

Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page",
                                      max_length=MAX_CURSOR)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


def _out(source: Source) -> SourceOut:
    return SourceOut.model_validate(source, from_attributes=True)


def _attempt(attempt: FetchAttempt) -> AttemptOut:
    return AttemptOut.model_validate(attempt, from_attributes=True)


@router.post("/sources", response_model=SourceOut, status_code=status.HTTP_201_CREATED)
def create_source(body: SourceIn, session: SessionDep, settings: SettingsDep,
                  _key: AdminAccess) -> SourceOut:
    """Declares a source; its `params` are checked against its kind."""
    return _out(service.create_source(session, settings, body))


@router.get("/sources", response_model=Page[SourceOut])
def list_sources(session: SessionDep, settings: SettingsDep, _key: AdminAccess,
                 cursor: Cursor = None, limit: Limit = None) -> Page[SourceOut]:
    size = limit or settings.page_size
    rows = service.list_sources(session, decode_int_cursor(cursor), size + 1)
    return page_of(rows, size, _out, lambda source: source.id)


@router.get("/sources/{source_id}", response_model=SourceOut)
def read_source(source_id: Id, session: SessionDep, _key: AdminAccess) -> SourceOut:
    return _out(service.get_source(session, source_id))


@router.patch("/sources/{source_id}", response_model=SourceOut)
def update_source(source_id: Id, body: SourcePatch, session: SessionDep,
                  settings: SettingsDep, _key: AdminAccess) -> SourceOut:
    source = service.get_source(session, source_id)
    return _out(service.update_source(session, settings, source, body))


@router.delete("/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_source(source_id: Id, session: SessionDep, _key: AdminAccess) -> Response:
    """Removes a source that has no reports (one with reports can be disabled)."""
    service.delete_source(session, service.get_source(session, source_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sources/{source_id}/fetch", response_model=FetchOut)
def fetch_source(source_id: Id, request: Request, session: SessionDep, settings: SettingsDep,
                 _key: AdminAccess) -> FetchOut:
    """Fetches the source now and ingests what it finds; the outcome is also an attempt."""
    # the fetch takes up to the outbound timeout and ingests in transactions of its own: end
    # the request's (the key check) first, or on SQLite its write lock would block them all
    session.commit()
    outcome = service.fetch_now(request.app.state.sessionmaker, settings, source_id,
                                f"api:{worker_id()}")
    return FetchOut(source_id=outcome.source_id, status=outcome.status,
                    items_found=outcome.items_found, reports_new=outcome.reports_new,
                    error=outcome.error)


@router.get("/sources/{source_id}/attempts", response_model=Page[AttemptOut])
def list_attempts(source_id: Id, session: SessionDep, settings: SettingsDep,
                  _key: AdminAccess, cursor: Cursor = None,
                  limit: Limit = None) -> Page[AttemptOut]:
    """The source's fetch attempts, newest first: time, status, HTTP code, counts, error."""
    service.get_source(session, source_id)
    size = limit or settings.page_size
    rows = service.list_attempts(session, source_id, decode_int_cursor(cursor), size + 1)
    return page_of(rows, size, _attempt, lambda attempt: attempt.id)
