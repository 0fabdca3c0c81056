"""HTTP routes for reports and figures: parse input, call the service, shape output."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app import pipeline
from app.auth.deps import ReadAccess, WriteAccess
from app.auth.models import ApiKey
from app.auth.service import grants, sees_secrets
from app.db import SessionDep
from app.demo import DemoFlag
from app.errors import PROBLEM_RESPONSES
from app.gazetteer.service import current_gazetteer
from app.limits import MAX_PAGE, Day, Id, PlaceId
from app.pagination import MAX_CURSOR, Page, decode_int_cursor, page_of
from app.redaction import redact_url
from app.reports import review, service
from app.reports.models import Figure, FigureReview, Report, ReviewAction, ReviewState
from app.reports.schemas import (
    AsRead,
    FigureOut,
    IngestOut,
    PlaceRef,
    ReportIn,
    ReportOut,
    ReportSummary,
    ReviewEntryOut,
    ReviewIn,
    ReviewOut,
    SourceRef,
)
from app.settings import SettingsDep
from app.sources.models import Source

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=PROBLEM_RESPONSES)

Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page",
                                      max_length=MAX_CURSOR)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


def _place(id_: str | None, name: str | None, country: str | None,
           level: str | None) -> PlaceRef | None:
    if not (id_ and name and country and level):
        return None
    return PlaceRef(id=id_, name=name, country=country, level=level)


def figure_out(f: Figure, source: Source) -> FigureOut:
    """The figure as it counts, with what was read beside it when staff corrected it."""
    v = f.current()
    corrected = f.review_state == ReviewState.CORRECTED
    return FigureOut(
        id=f.id, report_id=f.report_id, source_id=f.source_id, source=source.name,
        credibility=source.credibility, count=v.count,
        low=v.low, high=v.high, qualifier=v.qualifier, unit=v.unit, people=v.people, kind=v.kind,
        destination=_place(v.destination_id, v.destination_name, v.destination_country,
                           v.destination_level),
        origin=_place(f.origin_id, f.origin_name, f.origin_country, f.origin_level),
        as_of=v.as_of, observed_on=v.observed_on, span=(f.span_start, f.span_end), quote=f.quote,
        extractor_version=f.extractor_version, demo=source.demo, confidence=f.confidence,
        review=ReviewState(f.review_state).value,
        as_read=AsRead(
            count=f.count, low=f.low, high=f.high, qualifier=f.qualifier, unit=f.unit,
            people=f.people, kind=f.kind,
            destination=_place(f.destination_id, f.destination_name, f.destination_country,
                               f.destination_level),
            as_of=f.as_of, observed_on=f.observed_on) if corrected else None,
    )


def _entry_out(r: FigureReview) -> ReviewEntryOut:
    return ReviewEntryOut(id=r.id, figure_id=r.figure_id, action=r.action, by=r.by,
                          reason=r.reason, at=r.at, before=r.before, after=r.after)


def _source_ref(s: Source) -> SourceRef:
    return SourceRef(id=s.id, name=s.name, kind=s.kind, credibility=s.credibility, demo=s.demo)


def _summary(r: Report, figure_count: int, key: ApiKey | None) -> ReportSummary:
    url = r.url if r.url is None or sees_secrets(key) else redact_url(r.url)
    return ReportSummary(
        id=r.id, title=r.title, url=url, published_at=r.published_at, lang=r.lang,
        source=_source_ref(r.source), duplicate_of=r.duplicate_of_id, ingested_at=r.ingested_at,
        figure_count=figure_count, demo=r.source.demo,
    )


@router.post(
    "/reports", response_model=IngestOut, status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The same text or URL was already stored: that report",
                     "model": IngestOut}},
)
def submit_report(body: ReportIn, session: SessionDep, settings: SettingsDep, key: WriteAccess,
                  response: Response) -> IngestOut:
    """Stores a report, reads its figures and updates the series; 200 with the stored report
    when the same text or URL was submitted before. `source` may carry a credibility: it is
    set on a new source; an existing source's is changed only by an admin's key."""
    submitted = body.submitted_source()
    source = service.manual_source(
        session, submitted.name if submitted else None,
        credibility=submitted.credibility if submitted else None,
        may_change=grants(key.scope, "admin"))
    result = pipeline.ingest(session, settings, source, service.NewReport(
        text=body.text, title=body.title, url=body.url, published_at=body.published(),
        lang=body.lang,
    ))
    report = service.get_report(session, result.report.id)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return IngestOut(
        id=report.id, duplicate_of=report.duplicate_of_id, created=result.created,
        figures=[figure_out(f, report.source) for f in report.figures],
    )


@router.get("/reports", response_model=Page[ReportSummary])
def list_reports(session: SessionDep, settings: SettingsDep, key: ReadAccess,
                 cursor: Cursor = None, limit: Limit = None,
                 source: Annotated[Id | None, Query(description="a source id")] = None,
                 demo: DemoFlag = False) -> Page[ReportSummary]:
    size = limit or settings.page_size
    rows = service.list_reports(session, decode_int_cursor(cursor), size + 1, source, demo=demo)
    return page_of(rows, size, lambda row: _summary(*row, key), lambda row: row[0].id)


@router.get("/reports/{report_id}", response_model=ReportOut)
def read_report(report_id: Id, session: SessionDep, key: ReadAccess) -> ReportOut:
    r = service.get_report(session, report_id)
    return ReportOut(
        **_summary(r, len(r.figures), key).model_dump(), text=r.text,
        extractor_version=r.extractor_version,
        figures=[figure_out(f, r.source) for f in r.figures],
    )


@router.get("/figures", response_model=Page[FigureOut])
def list_figures(session: SessionDep, settings: SettingsDep, _key: ReadAccess,
                 cursor: Cursor = None, limit: Limit = None,
                 destination: Annotated[PlaceId | None, Query(description="a place id")] = None,
                 since: Annotated[Day | None, Query(description="observed on or after")] = None,
                 source: Annotated[Id | None, Query(description="a source id")] = None,
                 demo: DemoFlag = False) -> Page[FigureOut]:
    size = limit or settings.page_size
    rows = service.list_figures(session, before_id=decode_int_cursor(cursor), limit=size + 1,
                                destination=destination, since=since, source_id=source,
                                demo=demo)
    return page_of(rows, size, lambda row: figure_out(*row), lambda row: row[0].id)


@router.post("/figures/{figure_id}/review", response_model=ReviewOut)
def review_figure(figure_id: Id, body: ReviewIn, session: SessionDep, settings: SettingsDep,
                  key: WriteAccess) -> ReviewOut:
    """Confirms, rejects or corrects a figure, kept in its history with the key's name; the
    series, alerts and webhooks follow in the same transaction. The same review again changes
    nothing (`changed` false)."""
    correction = review.Correction(count=body.count, unit=body.unit, qualifier=body.qualifier,
                                   kind=body.kind, destination=body.destination,
                                   as_of=body.as_of)
    applied = pipeline.apply_review(
        session, settings, current_gazetteer(session), figure_id, ReviewAction(body.action),
        by=key.name, reason=body.reason, correction=correction)
    figure, source = review.get_figure(session, figure_id)
    done = applied.reviewed.review
    return ReviewOut(
        changed=applied.reviewed.changed, figure=figure_out(figure, source),
        review=_entry_out(done) if done is not None else None,
        series_changed={place: sorted(days) for place, days in sorted(applied.changed.items())},
        alerts=sorted({a.id for a in applied.alerts}), deliveries=applied.deliveries,
    )


@router.get("/review", response_model=Page[FigureOut])
def review_queue(session: SessionDep, settings: SettingsDep, _key: ReadAccess,
                 cursor: Cursor = None, limit: Limit = None) -> Page[FigureOut]:
    """The figures waiting for a review (DISPMON_REVIEW), oldest first, each with its quote."""
    size = limit or settings.page_size
    rows = review.queue(session, decode_int_cursor(cursor), size + 1)
    return page_of(rows, size, lambda row: figure_out(*row), lambda row: row[0].id)


@router.get("/figures/{figure_id}/history", response_model=list[ReviewEntryOut])
def figure_history(figure_id: Id, session: SessionDep, _key: ReadAccess) -> list[ReviewEntryOut]:
    """Every change of the figure's review, oldest first: who, when, why, before and after."""
    return [_entry_out(r) for r in review.history(session, figure_id)]
