"""Structured rows (HXL datasets, HDX HAPI): figures stored directly, without the text extractor.

Each row becomes one report whose text is a sentence describing the row (what staff read as
the figure's quote), so a row fetched again unchanged is recognised by its content hash and
skipped, while a revised number is a new report that replaces the source's earlier figure in
the series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pycountry
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import InvalidInput
from app.gazetteer.index import Gazetteer, Place
from app.gazetteer.service import current_gazetteer
from app.limits import INT_MAX
from app.pipeline import record_figures
from app.reports.models import Figure, Report
from app.reports.service import Ingested, content_hash, find_existing
from app.settings import Settings
from app.sources.models import Source

UNITS = ("people", "households")
KINDS = ("total", "new")
MAX_HOUSEHOLD = 30  # people per household at most, as DISPMON_HOUSEHOLD_SIZE allows
QUALIFIERS = ("exact", "at_least", "more_than", "about", "up_to", "less_than")


@dataclass(frozen=True, slots=True)
class StructuredFigure:
    """One number from a row: where (P-codes and names, most specific first) and how many."""

    count: int
    unit: str = "people"
    kind: str = "total"
    qualifier: str = "exact"  # as a text figure's: exact, at_least, more_than, about, ...
    pcodes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    country: str | None = None  # ISO 3166-1 alpha-3 or alpha-2
    origin_country: str | None = None
    as_of: date | None = None


@dataclass(frozen=True, slots=True)
class StructuredReport:
    """A row (or a batch of rows) and the figures it gives."""

    quote: str
    figures: list[StructuredFigure] = field(default_factory=list)
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    method: str = "structured"  # what read the figures, kept as their extractor_version


def iso2(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from an alpha-2 or alpha-3 one (None when unknown)."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) == 2 and pycountry.countries.get(alpha_2=code):
        return code
    if len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
        if country is not None:
            return str(country.alpha_2)
    return None


def resolve_place(gazetteer: Gazetteer, fig: StructuredFigure) -> Place | None:
    """The place a row names: by P-code, else by name within its country, else the country
    itself when the row names nothing finer (a sub-national row we cannot place is not filed
    under its country, where it would read as a national total)."""
    for pcode in fig.pcodes:
        place = gazetteer.by_pcode(pcode)
        if place is not None:
            return place
    country = iso2(fig.country)
    for name in fig.names:
        place = gazetteer.resolve(name, country)
        if place is not None and (country is None or place.country == country):
            return place
    if not fig.pcodes and not fig.names and country:
        return gazetteer.get(country)
    return None


def ingest_structured_many(session: Session, settings: Settings, source: Source,
                           rows: Sequence[StructuredReport]) -> list[Ingested]:
    """Stores a batch of structured rows with their figures, then updates the series and
    alerts they touch once for the whole batch (one unit of work: the caller commits). Per row,
    in order: the report stored, or the one the source already stored with the same text.
    A bad row raises InvalidInput, naming it, and nothing of the batch is kept."""
    gazetteer = current_gazetteer(session)
    figures: list[Figure] = []
    results: list[Ingested] = []
    seen: dict[str, Report] = {}
    for row in rows:
        text = row.quote.strip()
        if not text:
            raise InvalidInput("a structured row needs a quote describing it")
        for fig in row.figures:
            # beyond what a figure's columns hold: a misread or corrupt row, never a count
            most = INT_MAX // (1 if fig.unit == "people" else MAX_HOUSEHOLD)
            if (fig.unit not in UNITS or fig.kind not in KINDS or fig.qualifier not in QUALIFIERS
                    or not 0 <= fig.count <= most):
                raise InvalidInput(f"bad structured figure in {text[:120]!r}: count "
                                   f"{fig.count}, unit {fig.unit}, kind {fig.kind}, qualifier "
                                   f"{fig.qualifier}")
        text_hash = content_hash(text)
        existing = seen.get(text_hash) or find_existing(session, text_hash, None,
                                                        source_id=source.id)
        if existing is not None and existing.source_id == source.id:
            results.append(Ingested(existing, created=False))
            continue
        # canonical_url stays empty: every row of a dataset shares its URL, which must not make
        # them duplicates of one another
        report = Report(source_id=source.id, url=row.url, canonical_url=None, title=row.title,
                        text=text, lang=source.lang or "en", published_at=row.published_at,
                        content_hash=text_hash, extractor_version=row.method[:32])
        session.add(report)
        session.flush()
        seen[text_hash] = report
        results.append(Ingested(report, created=True))
        figures += [_figure_row(settings, gazetteer, source, report, row, fig)
                    for fig in row.figures]
    record_figures(session, settings, gazetteer, figures)
    return results


def _figure_row(settings: Settings, gazetteer: Gazetteer, source: Source, report: Report,
                row: StructuredReport, fig: StructuredFigure) -> Figure:
    fallback_day = (row.published_at or utcnow()).date()
    dest = resolve_place(gazetteer, fig)
    origin = gazetteer.get(iso2(fig.origin_country) or "") if fig.origin_country else None
    country = dest.country if dest else iso2(fig.country)
    people = fig.count if fig.unit == "people" else (
        fig.count * settings.household_size_for(country))
    return Figure(
        report_id=report.id, source_id=source.id, count=fig.count, low=None, high=None,
        qualifier=fig.qualifier, unit=fig.unit, people=people, kind=fig.kind,
        destination_id=dest.id if dest else None,
        destination_name=dest.name if dest else None,
        destination_country=dest.country if dest else None,
        destination_level=dest.level if dest else None,
        origin_id=origin.id if origin else None, origin_name=origin.name if origin else None,
        origin_country=origin.country if origin else None,
        origin_level=origin.level if origin else None,
        as_of=fig.as_of, observed_on=fig.as_of or fallback_day, span_start=0,
        span_end=len(report.text), quote=report.text, extractor_version=row.method[:32],
    )
