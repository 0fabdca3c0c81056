"""Running sources: claim the due ones, fetch, ingest the reports in batches, record.

Claims live in the database, never in the scheduler: a source is taken by setting a lease on it
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, then a conditional UPDATE that only one
worker can win, which is also what makes it atomic on SQLite). A worker that dies leaves a
lease that expires, and the source is due again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import ValidationError
from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.errors import (
    Conflict,
    DispmonError,
    FetchFailed,
    InvalidInput,
    NotFound,
    SourceMisconfigured,
)
from app.pipeline import ingest_many
from app.reports.models import Report
from app.reports.service import Checked, Ingested, NewReport, check
from app.settings import Settings
from app.sources.fetchers import FETCHERS, FetchResult, SourceSnapshot
from app.sources.models import FetchAttempt, FetchStatus, Source
from app.sources.schemas import AGENCY_KINDS, SourceIn, SourcePatch, validate_params, validate_url
from app.sources.structured import StructuredReport, ingest_structured_many

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE = timedelta(minutes=10)
# reports per transaction: the series, alerts and commit cost about the same per batch whatever
# its size (a batch's figures touch the same few destinations and days), so a larger batch
# spends less per report; 250 holds SQLite's single writer well under a second at 500 reports/s
INGEST_BATCH = 250
BATCH_ATTEMPTS = 3
MAX_BACKOFF = timedelta(hours=1)
MISCONFIGURED_RETRY = timedelta(hours=24)
DEMO_SOURCE_NAME = "DEMO: Syrian coast, March 2025 (fictional reports)"
DEMO_SOURCE_URL = "package:demo/syrian_coast_2025.jsonl"
# the agencies' figures beside the news in the demo: structured rows, as a dtm source gives them
DEMO_AGENCY_SOURCE_NAME = "DEMO: agency counts, March 2025 (fictional, shaped like IOM DTM)"
DEMO_AGENCY_SOURCE_URL = "package:demo/agencies_2025.jsonl"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    source_id: int
    status: FetchStatus
    items_found: int
    reports_new: int
    error: str | None


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Source.enabled.is_(True),
        # manual sources (reports posted to the API) have nothing to fetch
        Source.kind.in_(sorted(FETCHERS)),
        or_(Source.next_fetch_at.is_(None), Source.next_fetch_at <= now),
        or_(Source.lease_until.is_(None), Source.lease_until < now),
    ]


def claim_due(session: Session, worker: str, limit: int = 5, lease: timedelta = LEASE
              ) -> list[int]:
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
            .values(lease_until=now + lease, leased_by=worker)
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
            state=dict(source.state or {}),
        )
        # we hold the lease: an attempt still running is a dead worker's, whose lease expired
        session.execute(
            update(FetchAttempt)
            .where(FetchAttempt.source_id == source.id, FetchAttempt.status == FetchStatus.RUNNING)
            .values(status=FetchStatus.ERROR, finished_at=utcnow(),
                    error="the worker stopped before finishing (its lease expired); what it had "
                          "stored is kept and the next fetch completes it")
        )
        attempt = FetchAttempt(source_id=source.id, worker=worker)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    lease = _Lease(snapshot.id, timedelta(seconds=settings.source_lease_seconds), utcnow())

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
        with factory() as session:
            # read once: ingesting only reads its id and language, not worth a query per item
            source = session.get_one(Source, snapshot.id)
        numbered = list(enumerate([*result.reports, *result.structured], start=1))
        reports = [(n, item) for n, item in numbered if isinstance(item, NewReport)]
        for first in range(0, len(reports), INGEST_BATCH):
            reports_new += _store_batch(factory, settings, source, lease,
                                        reports[first:first + INGEST_BATCH], rejected)
        rows = [(n, item) for n, item in numbered if isinstance(item, StructuredReport)]
        fetched = source
        for first in range(0, len(rows), INGEST_BATCH):
            reports_new += _land(
                factory, fetched, lease, rows[first:first + INGEST_BATCH], rejected,
                lambda session, batch: ingest_structured_many(session, settings, fetched, batch))
    except DispmonError as exc:
        error = exc
    except Exception as exc:  # a fetcher bug must not stop the scheduler: record and go on
        log.exception("source %s failed unexpectedly", snapshot.name)
        error = FetchFailed(f"unexpected error: {type(exc).__name__}: {exc}")

    now = utcnow()
    status = (FetchStatus.ERROR if error else
              FetchStatus.NOT_MODIFIED if result and result.not_modified else FetchStatus.OK)
    notes = result.notes if result and not error else []
    message = error.detail if error else ("; ".join([*notes, *rejected[:20]]) or None)
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
            if result and result.state is not None:
                source.state = result.state
        source.next_fetch_at = _next_fetch(source, now, error)
        source.lease_until = None
        source.leased_by = None
    return RunOutcome(snapshot.id, status, attempt.items_found, reports_new, message)


@dataclass(slots=True)
class _Lease:
    """A worker's claim on the source it runs: renewed while a long ingest goes on, so that only
    a dead worker's claim lapses."""

    source_id: int
    length: timedelta
    renewed: datetime

    def keep(self, session: Session) -> None:
        if utcnow() - self.renewed > self.length / 3:
            self.renewed = utcnow()
            session.execute(update(Source).where(Source.id == self.source_id)
                            .values(lease_until=self.renewed + self.length))


def _store_batch(factory: sessionmaker[Session], settings: Settings, source: Source,
                 lease: _Lease, batch: list[tuple[int, NewReport]], rejected: list[str]) -> int:
    """Ingests one batch of a fetch's reports in one transaction; returns how many are new.

    The checks and fingerprints are made before the transaction begins, so that the database
    (SQLite's single writer above all) is held only for the queries and the extraction. A crash
    loses the open batch only, which the next fetch stores again. When the batch cannot be
    stored (another worker committed the same series rows first, a deadlock), it is tried
    again on what that worker committed, then item by item, so that an item the database still
    refuses is recorded as rejected and the others land."""
    checked: list[tuple[int, Checked]] = []
    for number, item in batch:
        try:
            checked.append((number, check(settings, item)))
        except DispmonError as exc:
            rejected.append(f"item {number}: {exc.detail}")
    return _land(factory, source, lease, checked, rejected,
                 lambda session, items: ingest_many(session, settings, source, items))


def _land(factory: sessionmaker[Session], source: Source, lease: _Lease,
          batch: list[tuple[int, T]], rejected: list[str],
          ingest: Callable[[Session, list[T]], list[Ingested]]) -> int:
    """Ingests a batch (reports or structured rows) in one transaction, else on what another
    worker committed, else item by item; returns how many are new (see `_store_batch`)."""
    if not batch:
        return 0
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            with factory.begin() as session:
                lease.keep(session)
                stored = ingest(session, [item for _, item in batch])
            return sum(s.created for s in stored)
        except DBAPIError as exc:
            log.warning("a batch of %d items from %s failed (attempt %d of %d): %s",
                        len(batch), source.name, attempt, BATCH_ATTEMPTS, exc.orig)
        except Exception as exc:  # an item no retry will mend (a number too large): find it
            log.warning("a batch of %d items from %s failed: %s", len(batch), source.name,
                        _reason(exc))
            break
    new = 0
    for number, one in batch:
        try:
            with factory.begin() as session:
                lease.keep(session)
                new += ingest(session, [one])[0].created
        except Exception as exc:  # recorded against the item; the others land
            rejected.append(f"item {number}: {_reason(exc)}")
    return new


def _reason(exc: Exception) -> str:
    """Why an item was not stored, in one line for the attempt's error."""
    if isinstance(exc, DispmonError):
        return exc.detail
    if isinstance(exc, DBAPIError):
        return f"the database refused it: {str(exc.orig).splitlines()[0] if exc.orig else exc}"
    return f"{type(exc).__name__}: {exc}"


def ensure_demo_sources(session: Session) -> list[Source]:
    """The demo's sources, made on first use: the news (text reports for the extractor, of
    unrated credibility) and an agency's counts (structured rows, graded A), so that a new user
    sees both side by side on the demo's destinations."""
    wanted = ((DEMO_SOURCE_NAME, DEMO_SOURCE_URL, "F"), (DEMO_AGENCY_SOURCE_NAME,
                                                         DEMO_AGENCY_SOURCE_URL, "A"))
    sources = []
    for name, url, credibility in wanted:
        source = session.scalar(select(Source).where(Source.name == name))
        if source is None:
            source = Source(name=name, kind="replay", url=url, credibility=credibility,
                            lang="en", demo=True, interval_seconds=86400, params={})
            session.add(source)
            session.flush()
        sources.append(source)
    return sources


def replay_source(session: Session, name: str, path: str) -> Source:
    """The replay source for `path`, made on first use (so `dispmon replay` twice adds nothing)."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind="replay", url=path, credibility="C", params={},
                        enabled=False)
        session.add(source)
        session.flush()
    return source


# -- management (API and the sources file) ----------------------------------------------------

def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"no source with id {source_id}")
    return source


def _check_name_free(session: Session, name: str, but: int | None = None) -> None:
    clash = session.scalar(select(Source.id).where(Source.name == name))
    if clash is not None and clash != but:
        raise Conflict(f"a source named {name!r} already exists (id {clash})")


def create_source(session: Session, settings: Settings, body: SourceIn) -> Source:
    _check_name_free(session, body.name)
    source = Source(
        name=body.name, kind=body.kind,
        url=validate_url(body.kind, body.url, settings.replay_dir),
        interval_seconds=body.interval_seconds, lang=body.lang,
        credibility=(body.credibility if "credibility" in body.model_fields_set
                     or body.kind not in AGENCY_KINDS else "A"),
        enabled=body.enabled, params=validate_params(body.kind, body.params), demo=False,
    )
    session.add(source)
    session.flush()
    return source


def update_source(session: Session, settings: Settings, source: Source,
                  patch: SourcePatch) -> Source:
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        _check_name_free(session, changes["name"], but=source.id)
    if "url" in changes:
        changes["url"] = validate_url(source.kind, changes["url"], settings.replay_dir)
    if "params" in changes:
        changes["params"] = validate_params(source.kind, changes["params"] or {})
    for key in ("name", "interval_seconds", "credibility", "enabled"):
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be null")
    if "url" in changes or "params" in changes:
        # other content: the old validators would wrongly say "not modified"
        source.etag = source.last_modified = None
    for key, value in changes.items():
        setattr(source, key, value)
    if changes.get("enabled") or "interval_seconds" in changes:
        source.next_fetch_at = None  # due at once: staff expect a change to show
    session.flush()
    return source


def delete_source(session: Session, source: Source) -> None:
    stored = session.scalar(select(func.count(Report.id)).where(Report.source_id == source.id))
    if stored:
        raise Conflict(f"source {source.id} has {stored} reports, whose figures cite it; "
                       "disable it (PATCH enabled=false) instead of deleting it")
    session.delete(source)
    session.flush()


def list_sources(session: Session, after_id: int | None, limit: int) -> list[Source]:
    query = select(Source).order_by(Source.id).limit(limit)
    if after_id is not None:
        query = query.where(Source.id > after_id)
    return list(session.scalars(query))


def list_attempts(session: Session, source_id: int, before_id: int | None,
                  limit: int) -> list[FetchAttempt]:
    """A source's fetch attempts, newest first."""
    query = (select(FetchAttempt).where(FetchAttempt.source_id == source_id)
             .order_by(FetchAttempt.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(FetchAttempt.id < before_id)
    return list(session.scalars(query))


def fetch_now(factory: sessionmaker[Session], settings: Settings, source_id: int,
              worker: str) -> RunOutcome:
    """Takes the source's lease (unless a worker holds it) and runs it at once."""
    now = utcnow()
    with factory.begin() as session:
        source = get_source(session, source_id)
        if source.kind not in FETCHERS:
            raise Conflict(f"source {source_id} ({source.kind}) is filled by reports posted to "
                           "/api/v1/reports: there is nothing to fetch")
        result = session.execute(
            update(Source).where(Source.id == source_id,
                                 or_(Source.lease_until.is_(None), Source.lease_until < now))
            .values(lease_until=now + timedelta(seconds=settings.source_lease_seconds),
                    leased_by=worker)
        )
        if not (isinstance(result, CursorResult) and result.rowcount == 1):
            raise Conflict(f"source {source_id} is being fetched right now; see its attempts")
    return run_source(factory, settings, source_id, worker)


def declare_configured_sources(factory: sessionmaker[Session], settings: Settings) -> None:
    """At the start of `serve` and `worker`: the sources of DISPMON_SOURCES_FILE, if set."""
    if settings.sources_file:
        with factory.begin() as session:
            declared = load_sources_file(session, settings, settings.sources_file)
        log.info("%d sources declared from %s", len(declared), settings.sources_file)


def load_sources_file(session: Session, settings: Settings, path: Path) -> list[Source]:
    """Declares the sources of a YAML file (a list, or a mapping with `sources:`), matched by
    name: new ones are created, existing ones updated; their fetch history is kept."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read the sources file {path}: {exc}") from exc
    entries = data.get("sources") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: expected a list of sources (or `sources:` with a list)")
    loaded = []
    for number, entry in enumerate(entries, start=1):
        try:
            body = SourceIn.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in exc.errors())
            raise InvalidInput(f"{path}, source {number}: {problems}") from exc
        try:
            existing = session.scalar(select(Source).where(Source.name == body.name))
            if existing is None:
                loaded.append(create_source(session, settings, body))
            elif existing.kind != body.kind:
                raise InvalidInput(f"source {body.name!r} exists with kind {existing.kind}, not "
                                   f"{body.kind}; rename one of them")
            else:
                fields = body.model_dump(exclude={"name", "kind"})
                loaded.append(update_source(session, settings, existing,
                                            SourcePatch(**fields)))
        except InvalidInput as exc:
            raise InvalidInput(f"{path}, source {number} ({body.name}): {exc.detail}") from exc
    return loaded
