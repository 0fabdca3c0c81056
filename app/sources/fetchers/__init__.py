"""Fetchers: one per source kind, each turning what it reads into reports to ingest.

A fetcher is a function `(SourceSnapshot, Settings) -> FetchResult`. It runs outside any
database transaction, raises `FetchFailed` (or `SourceMisconfigured`) for a failed fetch, and
never stores anything itself: the scheduler ingests what it returns, one report per transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.reports.service import NewReport
from app.settings import Settings
from app.sources.fetchers import replay


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


@dataclass(slots=True)
class FetchResult:
    reports: list[NewReport] = field(default_factory=list)
    # items the fetcher found but could not read (a bad line, an entry without text)
    rejected: list[str] = field(default_factory=list)
    http_status: int | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None

    @property
    def items_found(self) -> int:
        return len(self.reports) + len(self.rejected)


Fetcher = Callable[[SourceSnapshot, Settings], FetchResult]


def _replay(source: SourceSnapshot, _settings: Settings) -> FetchResult:
    items = replay.read_path(replay.resolve(source.url))
    return FetchResult(reports=[i.report for i in items if i.report is not None],
                       rejected=[i.error for i in items if i.error is not None])


FETCHERS: dict[str, Fetcher] = {"replay": _replay}
