"""Fetchers: one per source kind, each turning what it reads into reports to ingest.

A fetcher is a function `(SourceSnapshot, Settings) -> FetchResult`. It runs outside any
database transaction, makes its requests through the outbound gate (`app.http`), raises
`FetchFailed` (or `SourceMisconfigured`) for a failed fetch, and never stores anything itself:
the scheduler ingests what it returns, one report per transaction. Text sources return
reports for the extractor; structured sources (hxl, hapi, dtm, unhcr, idmc) return rows with
their figures.

Each fetcher's module is imported when a source of its kind is first fetched: trafilatura,
lxml and feedparser cost a worker's start half a second, and most deployments use few kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.errors import SourceMisconfigured
from app.reports.service import NewReport
from app.settings import Settings
from app.sources.structured import StructuredReport


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """What a fetcher may know of its source, copied out of the session."""

    id: int
    name: str
    kind: str
    url: str | None
    lang: str | None
    params: dict[str, Any]
    etag: str | None = None
    last_modified: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FetchResult:
    reports: list[NewReport] = field(default_factory=list)
    # rows of structured sources, stored with their figures as they are (no extraction)
    structured: list[StructuredReport] = field(default_factory=list)
    # items the fetcher found but could not read (a bad line, an entry without text)
    rejected: list[str] = field(default_factory=list)
    http_status: int | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    # what the source carries to its next fetch (kept when this one succeeds); None: unchanged
    state: dict[str, Any] | None = None
    # what staff should know of a fetch that went well (an empty window), kept on the attempt
    notes: list[str] = field(default_factory=list)

    @property
    def items_found(self) -> int:
        return len(self.reports) + len(self.structured) + len(self.rejected)


Fetcher = Callable[[SourceSnapshot, Settings], FetchResult]


def _replay(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import replay

    items = replay.read_path(replay.resolve(source.url), settings.replay_dir)
    return FetchResult(reports=[i.report for i in items if i.report is not None],
                       structured=[i.row for i in items if i.row is not None],
                       rejected=[i.error for i in items if i.error is not None])


def _rss(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import rss

    if not source.url:
        raise SourceMisconfigured("an rss source needs the feed's URL")
    status, not_modified, reports, rejected, etag, modified = rss.fetch(
        source.url, settings, lang=source.lang, etag=source.etag,
        last_modified=source.last_modified, full_text=bool(source.params.get("full_text")),
        max_items=int(source.params.get("max_items", 100)))
    return FetchResult(reports=reports, rejected=rejected, http_status=status,
                       not_modified=not_modified, etag=etag, last_modified=modified)


def _html(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import html as html_fetcher

    if not source.url:
        raise SourceMisconfigured("an html source needs the article's URL")
    response, report = html_fetcher.fetch_article(
        source.url, settings, source.lang, etag=source.etag, last_modified=source.last_modified)
    return FetchResult(reports=[report] if report else [], http_status=response.status_code,
                       not_modified=report is None, etag=response.headers.get("etag"),
                       last_modified=response.headers.get("last-modified"))


def _reliefweb(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import reliefweb

    status, reports, rejected = reliefweb.fetch(source.url, source.params, settings, source.lang)
    return FetchResult(reports=reports, rejected=rejected, http_status=status)


def _hxl(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import hxl

    response, rows, rejected = hxl.fetch(source.url, source.params, settings, etag=source.etag,
                                         last_modified=source.last_modified)
    return FetchResult(structured=rows, rejected=rejected, http_status=response.status_code,
                       not_modified=response.status_code == 304,
                       etag=response.headers.get("etag"),
                       last_modified=response.headers.get("last-modified"))


def _hapi(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import hapi

    status, rows, rejected = hapi.fetch(source.url, source.params, settings)
    return FetchResult(structured=rows, rejected=rejected, http_status=status)


def _gdelt(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import gdelt

    found = gdelt.discover(source.url, source.params, source.state, settings, source.lang)
    return FetchResult(reports=found.reports, rejected=found.rejected, http_status=found.status,
                       state=found.state, notes=found.notes)


def _dtm(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import dtm

    status, rows, rejected = dtm.fetch(source.url, source.params, settings)
    return FetchResult(structured=rows, rejected=rejected, http_status=status)


def _unhcr(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import unhcr

    status, rows, rejected = unhcr.fetch(source.url, source.params, settings)
    return FetchResult(structured=rows, rejected=rejected, http_status=status)


def _idmc(source: SourceSnapshot, settings: Settings) -> FetchResult:
    from app.sources.fetchers import idmc

    status, rows, rejected = idmc.fetch(source.url, source.params, settings)
    return FetchResult(structured=rows, rejected=rejected, http_status=status)


FETCHERS: dict[str, Fetcher] = {"replay": _replay, "rss": _rss, "html": _html,
                                "reliefweb": _reliefweb, "hxl": _hxl, "hapi": _hapi,
                                "gdelt": _gdelt, "dtm": _dtm, "unhcr": _unhcr, "idmc": _idmc}
