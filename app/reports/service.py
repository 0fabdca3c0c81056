"""Ingesting a report: store it once, read its figures, update the series it touches.

One report is one unit of work: the caller's transaction holds the report, its figures and the
series points they change, so it lands whole or not at all. Services here only flush.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.alerts.service import evaluate as evaluate_alerts
from app.errors import InvalidInput, NotFound, PayloadTooLarge
from app.extract import EXTRACTOR_VERSION, ExtractedFigure, extract
from app.gazetteer.index import Gazetteer
from app.gazetteer.service import current_gazetteer
from app.reports import dedup
from app.reports.models import Figure, Report
from app.reports.urls import canonical_url
from app.series.service import update_series
from app.settings import Settings
from app.sources.models import Source

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class NewReport:
    """A report on its way in, from any entry point (API, replay, fetchers)."""

    text: str
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    report: Report
    created: bool
    changed_series: dict[str, set[date]]


def content_hash(text: str) -> str:
    """Hash of the text with case, Unicode forms and whitespace normalised."""
    normal = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(normal.encode()).hexdigest()


def find_existing(session: Session, text_hash: str, url: str | None,
                  source_id: int | None = None) -> Report | None:
    """The first report with this text or canonical URL; `source_id`'s own first, if given
    (one query answers both "did this source send it?" and "did anyone?")."""
    conditions = [Report.content_hash == text_hash]
    if url:
        conditions.append(Report.canonical_url == url)
    order = [case((Report.source_id == source_id, 0), else_=1)] if source_id is not None else []
    return session.scalars(
        select(Report).where(or_(*conditions)).order_by(*order, Report.id).limit(1)
    ).first()


def _figure_row(fig: ExtractedFigure, report: Report, observed_on: date) -> Figure:
    dest, origin = fig.destination, fig.origin
    return Figure(
        report_id=report.id, source_id=report.source_id, count=fig.count, low=fig.low,
        high=fig.high, qualifier=fig.qualifier, unit=fig.unit, people=fig.people, kind=fig.kind,
        destination_id=dest.id if dest else None, destination_name=dest.name if dest else None,
        destination_country=dest.country if dest else None,
        destination_level=dest.level if dest else None,
        origin_id=origin.id if origin else None, origin_name=origin.name if origin else None,
        origin_country=origin.country if origin else None,
        origin_level=origin.level if origin else None,
        as_of=fig.as_of, observed_on=fig.as_of or observed_on, span_start=fig.span[0],
        span_end=fig.span[1], quote=fig.quote, extractor_version=EXTRACTOR_VERSION,
    )


def ingest(session: Session, settings: Settings, source: Source, new: NewReport) -> Ingested:
    """Stores `new` from `source` with its figures and updates the series; returns the existing
    report instead when the same text or URL is already stored."""
    text = new.text.strip()
    if not text:
        raise InvalidInput("the report has no text")
    if len(text.encode("utf-8", "surrogatepass")) > settings.max_report_bytes:
        raise PayloadTooLarge(
            f"the report's text is over {settings.max_report_bytes:,} bytes; split it or send "
            "the relevant part"
        )
    text_hash = content_hash(text)
    url = canonical_url(new.url)
    existing = find_existing(session, text_hash, url, source_id=source.id)
    if existing is not None and existing.source_id == source.id:
        return Ingested(existing, created=False, changed_series={})
    # the same story from another outlet is stored for that outlet too, marked as a duplicate
    # of the first report so that its figures are not counted twice
    print_ = dedup.fingerprint(text)
    original = existing or (
        dedup.near_duplicate(session, print_, other_than_source=source.id) if print_ else None)

    gazetteer = current_gazetteer(session)
    report = Report(
        source_id=source.id, url=new.url, canonical_url=url, title=new.title, text=text,
        lang=new.lang or source.lang, published_at=new.published_at, content_hash=text_hash,
        extractor_version=EXTRACTOR_VERSION,
        duplicate_of_id=(original.duplicate_of_id or original.id) if original else None,
    )
    session.add(report)
    session.flush()
    if print_:
        dedup.remember(session, report.id, print_)
    published = new.published_at.date() if new.published_at else None
    extracted = extract(
        text, published, report.lang, gazetteer=gazetteer,
        household_size=settings.household_size, household_sizes=settings.household_sizes,
    )
    observed_on = published or report.ingested_at.date()
    rows = [_figure_row(fig, report, observed_on) for fig in extracted]
    changed = record_figures(session, settings, gazetteer, rows)
    return Ingested(report, created=True, changed_series=changed)


def record_figures(session: Session, settings: Settings, gazetteer: Gazetteer,
                   rows: list[Figure]) -> dict[str, set[date]]:
    """Stores a new report's figure rows (read from text or from structured data) and updates
    the series they touch; returns the changed days per destination."""
    session.add_all(rows)
    session.flush()
    touched = {(row.destination_id, row.observed_on) for row in rows if row.destination_id}
    changed = update_series(session, gazetteer, touched, settings.freshness_days)
    # alerts and their webhook outbox rows land in this transaction, with the figures
    evaluate_alerts(session, gazetteer, changed)
    return changed


def manual_source(session: Session, name: str | None) -> Source:
    """The source a submitted report is filed under: the named outlet or team, made on first use."""
    name = (name or "").strip() or "Manual submissions"
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind="manual", credibility="C", params={})
        session.add(source)
        session.flush()
    return source


def get_report(session: Session, report_id: int) -> Report:
    report = session.scalar(
        select(Report).where(Report.id == report_id).options(
            selectinload(Report.figures), selectinload(Report.source)
        )
    )
    if report is None:
        raise NotFound(f"no report with id {report_id}")
    return report


def list_reports(session: Session, before_id: int | None, limit: int,
                 source_id: int | None = None) -> list[tuple[Report, int]]:
    """Reports newest first with their figure counts, `limit` of them after the cursor."""
    counts = (
        select(Figure.report_id, func.count(Figure.id).label("n"))
        .group_by(Figure.report_id).subquery()
    )
    query = (
        select(Report, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.report_id == Report.id)
        .options(selectinload(Report.source))
        .order_by(Report.id.desc()).limit(limit)
    )
    if before_id is not None:
        query = query.where(Report.id < before_id)
    if source_id is not None:
        query = query.where(Report.source_id == source_id)
    return [(report, int(n)) for report, n in session.execute(query).all()]


def list_figures(session: Session, *, before_id: int | None, limit: int,
                 destination: str | None = None, since: date | None = None,
                 source_id: int | None = None) -> list[tuple[Figure, Source]]:
    query = (
        select(Figure, Source).join(Source, Source.id == Figure.source_id)
        .order_by(Figure.id.desc()).limit(limit)
    )
    if before_id is not None:
        query = query.where(Figure.id < before_id)
    if destination:
        query = query.where(Figure.destination_id == destination)
    if since:
        query = query.where(Figure.observed_on >= since)
    if source_id is not None:
        query = query.where(Figure.source_id == source_id)
    return [(f, s) for f, s in session.execute(query).all()]
