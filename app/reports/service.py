"""Reports and their figures: checking a report on its way in, storing each once (duplicates
marked), storing figure rows, and reading them back.

The route of a report through extraction, series, alerts and webhooks is `app.pipeline`'s;
services here only flush, the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from app.extract import EXTRACTOR_VERSION, ExtractedFigure
from app.limits import INT_MAX, strip_nul
from app.reports import dedup
from app.reports.models import Figure, Report
from app.reports.urls import canonical_url
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


@dataclass(frozen=True, slots=True)
class Checked:
    """A report on its way in, checked, normalised and fingerprinted: the work that needs no
    database, done before a transaction begins."""

    new: NewReport
    text: str
    text_hash: str
    url: str | None
    print_: dedup.Fingerprint | None


def content_hash(text: str) -> str:
    """Hash of the text with case, Unicode forms and whitespace normalised."""
    normal = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(normal.encode()).hexdigest()


def check(settings: Settings, new: NewReport) -> Checked:
    """Refuses an empty or oversized report; hashes and fingerprints the others."""
    # NUL is no part of a report's content, and PostgreSQL cannot store it
    text = strip_nul(new.text).strip()
    if not text:
        raise InvalidInput("the report has no text")
    if len(text.encode("utf-8", "surrogatepass")) > settings.max_report_bytes:
        raise PayloadTooLarge(
            f"the report's text is over {settings.max_report_bytes:,} bytes; split it or send "
            "the relevant part"
        )
    if new.title and "\x00" in new.title:
        new = replace(new, title=strip_nul(new.title))
    return Checked(new, text, content_hash(text), canonical_url(new.url), dedup.fingerprint(text))


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


def _stored_matches(session: Session, items: Sequence[Checked], demo: bool) -> list[Report]:
    """The stored reports with the text or canonical URL of any of `items`, in one query; of
    the demo's sources for a demo report, of real ones for a real report (app.demo)."""
    hashes = {item.text_hash for item in items}
    urls = {item.url for item in items if item.url}
    match: ColumnElement[bool] = Report.content_hash.in_(hashes)
    if urls:
        match = or_(match, Report.canonical_url.in_(urls))
    return list(session.scalars(
        select(Report).join(Source, Source.id == Report.source_id)
        .where(match, Source.demo == demo).order_by(Report.id)))


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What storing a batch did: per item, in order, the report stored or the one it repeats;
    and the reports created, whose figures are still to be read."""

    results: list[Ingested]
    created: list[Report]


def store_reports(session: Session, source: Source, items: Sequence[Checked]) -> StoredBatch:
    """Stores a batch of reports from `source`, without their figures. Per item, in order: the
    report stored, or the one already stored with the same text or URL from this source (or
    earlier in this batch), which is not stored again.

    A report that another outlet's report already tells (same text or URL, or near-duplicate
    text) is stored for this outlet too, marked `duplicate_of` the first one, so that its figures
    do not count twice; so is a near-duplicate of an earlier report of the same batch, the
    copy linked to the batch's first telling. Each step is one query for the batch, whatever its
    size."""
    stored = _stored_matches(session, items, source.demo)
    results: dict[int, Ingested] = {}  # by the item's place in `items`
    earlier: dict[str, int] = {}  # a text hash or URL -> the item of this batch that has it
    repeats: dict[int, int] = {}  # an item -> the earlier item of this batch it repeats
    originals: dict[int, Report] = {}  # an item -> another outlet's report with its text or URL
    new: list[int] = []
    for index, item in enumerate(items):
        keys = [item.text_hash] + ([item.url] if item.url else [])
        matches = [r for r in stored if r.content_hash == item.text_hash
                   or (item.url and r.canonical_url == item.url)]
        own = next((r for r in matches if r.source_id == source.id), None)
        if own is not None:
            results[index] = Ingested(own, created=False)
        elif (first := next((earlier[k] for k in keys if k in earlier), None)) is not None:
            repeats[index] = first
        else:
            if matches:
                originals[index] = matches[0]
            new.append(index)
            for key in keys:
                earlier.setdefault(key, index)
    prints = {i: p for i in new if i not in originals and (p := items[i].print_) is not None}
    near = dedup.near_duplicates(session, prints, other_than_source=source.id, demo=source.demo)
    # copies of an earlier item of this batch: stored after the first tellings, which must have
    # their ids first
    in_batch = dedup.copies_within({i: p for i, p in prints.items() if i not in near})

    reports: dict[int, Report] = {}
    for index in new:
        if index in in_batch:
            continue
        item = items[index]
        original = originals.get(index)
        duplicate_of = ((original.duplicate_of_id or original.id) if original is not None
                        else near.get(index))
        reports[index] = _report_row(source, item, duplicate_of)
    session.add_all(reports.values())
    session.flush()
    if in_batch:
        copies = {index: _report_row(source, items[index], reports[first].duplicate_of_id
                                     or reports[first].id)
                  for index, first in in_batch.items()}
        session.add_all(copies.values())
        session.flush()
        reports.update(copies)
    dedup.remember(session, {reports[i].id: p for i in new if (p := items[i].print_)})

    for index, report in reports.items():
        results[index] = Ingested(report, created=True)
    for index, first in repeats.items():
        results[index] = Ingested(reports[first], created=False)
    # in the order of the batch, as the figures are read
    return StoredBatch([results[index] for index in range(len(items))],
                       [reports[index] for index in new])


def _report_row(source: Source, item: Checked, duplicate_of: int | None) -> Report:
    return Report(
        source_id=source.id, url=item.new.url, canonical_url=item.url, title=item.new.title,
        text=item.text, lang=item.new.lang or source.lang,
        published_at=item.new.published_at, content_hash=item.text_hash,
        extractor_version=EXTRACTOR_VERSION, duplicate_of_id=duplicate_of,
    )


def figure_row(fig: ExtractedFigure, report: Report, observed_on: date) -> Figure:
    """The row of a figure the extractor read in `report`; `observed_on` is the day it counts
    for when the text gives no date of its own."""
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
        confidence=fig.confidence,
    )


def store_figures(session: Session, rows: list[Figure]) -> list[Figure]:
    """Stores a new report's figure rows (read from text or from structured data); returns those
    stored. A figure beyond what the columns hold (more than 2^31 - 1 people, a misread number)
    is dropped."""
    rows = [row for row in rows if _fits(row)]
    session.add_all(rows)
    session.flush()
    return rows


def _fits(row: Figure) -> bool:
    values = (row.count, row.low, row.high, row.people, row.span_start, row.span_end)
    return all(v is None or -INT_MAX <= v <= INT_MAX for v in values)


def manual_source(session: Session, name: str | None, *, credibility: str | None = None,
                  may_change: bool = False) -> Source:
    """The source a submitted report is filed under: the named outlet or team, made on first use
    with `credibility` (else C). An existing source keeps its credibility: a different one is
    refused, unless `may_change` (an admin's key), which sets it. A demo source takes no real
    report (app.demo)."""
    name = (name or "").strip() or "Manual submissions"
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind="manual", credibility=credibility or "C", params={})
        session.add(source)
        session.flush()
        return source
    if source.demo:
        raise Conflict(f"{name!r} is the demo's source, of fictional reports; file a real report "
                       "under another source name")
    if credibility is not None and credibility != source.credibility:
        if not may_change:
            raise PermissionDenied(
                f"source {name!r} has credibility {source.credibility}; only an admin changes it "
                f"(PATCH /api/v1/sources/{source.id}, or submit with an admin key)")
        source.credibility = credibility
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
                 source_id: int | None = None, *, demo: bool = False) -> list[tuple[Report, int]]:
    """Reports newest first with their figure counts, `limit` of them after the cursor: real
    ones, or the demo's when `demo`."""
    counts = (
        select(Figure.report_id, func.count(Figure.id).label("n"))
        .group_by(Figure.report_id).subquery()
    )
    query = (
        select(Report, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.report_id == Report.id)
        .join(Source, Source.id == Report.source_id).where(Source.demo == demo)
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
                 source_id: int | None = None, demo: bool = False) -> list[tuple[Figure, Source]]:
    query = (
        select(Figure, Source).join(Source, Source.id == Figure.source_id)
        .where(Source.demo == demo).order_by(Figure.id.desc()).limit(limit)
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
