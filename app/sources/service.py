"""Running sources: claim the due ones, fetch, ingest each report in its own transaction, record.

Claims live in the database, never in the scheduler: a source is taken by setting a lease on it
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, then a conditional UPDATE that only one
worker can win, which is also what makes it atomic on SQLite). A worker that dies leaves a
lease that expires, and the source is due again.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.errors import DispmonError, FetchFailed, SourceMisconfigured
from app.reports.service import ingest
from app.settings import Settings
from app.sources.fetchers import FETCHERS, FetchResult, SourceSnapshot
from app.sources.models import FetchAttempt, Source

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)
MISCONFIGURED_RETRY = timedelta(hours=24)
DEMO_SOURCE_NAME = "DEMO: Syrian coast, March 2025 (fictional reports)"
DEMO_SOURCE_URL = "package:demo/syrian_coast_2025.jsonl"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    source_id: int
    status: str
    items_found: int
    reports_new: int
    error: str | None


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Source.enabled.is_(True),
        or_(Source.next_fetch_at.is_(None), Source.next_fetch_at <= now),
        or_(Source.lease_until.is_(None), Source.lease_until < now),
    ]


def claim_due(session: Session, worker: str, limit: int = 5) -> list[int]:
    """Leases up to `limit` due sources to `worker`, most overdue first; the caller commits."""
    now = utcnow()
    candidates = session.scalars(
        select(Source.id).where(*_due(now)).order_by(Source.next_fetch_at.nulls_first())
        .limit(limit).with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for source_id in candidates:
        result = session.execute(
            update(Source).where(Source.id == source_id, *_due(now))
            .values(lease_until=now + LEASE, leased_by=worker)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            claimed.append(source_id)
    return claimed


def _next_fetch(source: Source, now: datetime, error: DispmonError | None) -> datetime:
    interval = timedelta(seconds=source.interval_seconds)
    if error is None:
        delay = interval
    elif isinstance(error, SourceMisconfigured):
        delay = max(interval, MISCONFIGURED_RETRY)
    else:
        # 2, 4, 8... minutes, but never more often than the interval, nor less than hourly
        backoff = timedelta(minutes=2 ** min(source.consecutive_failures, 10))
        delay = max(min(backoff, MAX_BACKOFF), min(interval, MAX_BACKOFF))
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            delay = max(delay, timedelta(seconds=retry_after))
    jitter = delay.total_seconds() * random.uniform(0, 0.1)
    return now + delay + timedelta(seconds=jitter)


def run_source(factory: sessionmaker[Session], settings: Settings, source_id: int,
               worker: str) -> RunOutcome:
    """Fetches one leased source and ingests what it found; every run leaves an attempt row."""
    with factory.begin() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise DispmonError(f"source {source_id} vanished")
        snapshot = SourceSnapshot(
            id=source.id, name=source.name, kind=source.kind, url=source.url, lang=source.lang,
            params=dict(source.params or {}), etag=source.etag, last_modified=source.last_modified,
        )
        attempt = FetchAttempt(source_id=source.id, worker=worker)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id

    result: FetchResult | None = None
    error: DispmonError | None = None
    reports_new = 0
    rejected: list[str] = []
    try:
        fetcher = FETCHERS.get(snapshot.kind)
        if fetcher is None:
            raise SourceMisconfigured(f"no fetcher for source kind {snapshot.kind!r}")
        result = fetcher(snapshot, settings)
        rejected = list(result.rejected)
        for number, new in enumerate(result.reports, start=1):
            try:
                with factory.begin() as session:
                    source = session.get_one(Source, snapshot.id)
                    if ingest(session, settings, source, new).created:
                        reports_new += 1
            except DispmonError as exc:
                rejected.append(f"item {number}: {exc.detail}")
    except DispmonError as exc:
        error = exc
    except Exception as exc:  # a fetcher bug must not stop the scheduler: record and go on
        log.exception("source %s failed unexpectedly", snapshot.name)
        error = FetchFailed(f"unexpected error: {type(exc).__name__}: {exc}")

    now = utcnow()
    status = "error" if error else ("not_modified" if result and result.not_modified else "ok")
    message = error.detail if error else ("; ".join(rejected[:20]) or None)
    with factory.begin() as session:
        source = session.get_one(Source, snapshot.id)
        attempt = session.get_one(FetchAttempt, attempt_id)
        attempt.finished_at = now
        attempt.status = status
        attempt.http_status = getattr(error, "http_status", None) or (
            result.http_status if result else None)
        attempt.items_found = result.items_found if result else 0
        attempt.reports_new = reports_new
        attempt.error = message
        source.consecutive_failures = source.consecutive_failures + 1 if error else 0
        source.last_fetch_at = now
        if not error:
            source.last_success_at = now
            if result and (result.etag or result.last_modified):
                source.etag, source.last_modified = result.etag, result.last_modified
        source.next_fetch_at = _next_fetch(source, now, error)
        source.lease_until = None
        source.leased_by = None
    return RunOutcome(snapshot.id, status, attempt.items_found, reports_new, message)


def run_due(factory: sessionmaker[Session], settings: Settings, worker: str,
            limit: int = 5) -> list[RunOutcome]:
    """One scheduler tick: claim what is due and run it."""
    with factory.begin() as session:
        claimed = claim_due(session, worker, limit)
    return [run_source(factory, settings, source_id, worker) for source_id in claimed]


def ensure_demo_source(session: Session) -> Source:
    """The demo replay source (labelled as such wherever its figures show)."""
    source = session.scalar(select(Source).where(Source.name == DEMO_SOURCE_NAME))
    if source is None:
        source = Source(name=DEMO_SOURCE_NAME, kind="replay", url=DEMO_SOURCE_URL,
                        credibility="F", lang="en", demo=True, interval_seconds=86400, params={})
        session.add(source)
        session.flush()
    return source


def replay_source(session: Session, name: str, path: str) -> Source:
    """The replay source for `path`, made on first use (so `dispmon replay` twice adds nothing)."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind="replay", url=path, credibility="C", params={},
                        enabled=False)
        session.add(source)
        session.flush()
    return source
