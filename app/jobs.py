"""The periodic jobs: what each does on a tick, and the JOBS dict the scheduler runs.

A job takes the session factory, the settings and the worker's id, and owns its transactions:
it claims its work from the database (leases, SKIP LOCKED), so any number of processes can run
it and none does the same work twice. `app.scheduler` only decides when each one runs.

A job imports the services it drives when it first runs, in the scheduler's thread: a worker
is up (and answers SIGTERM) without waiting for the extractor, the fetchers and the alert
rules to load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings

if TYPE_CHECKING:
    from app.sources.service import RunOutcome

# the names the outboxes wake their jobs by: app.webhooks.service.DELIVERY_JOB,
# app.notify.fanout.NOTIFY_JOB (tests/test_jobs.py keeps them in step); and the digests' job
DELIVERY_JOB = "deliver-webhooks"
NOTIFY_JOB = "deliver-notifications"
DIGEST_JOB = "send-digests"

log = logging.getLogger(__name__)

Job = Callable[[sessionmaker[Session], Settings, str], object]


def fetch_due_sources(factory: sessionmaker[Session], settings: Settings, worker: str,
                      limit: int = 5) -> list[RunOutcome]:
    """Claims the sources that are due and runs each (one fetch, its reports ingested)."""
    from app.sources.service import claim_due, run_source

    with factory.begin() as session:
        claimed = claim_due(session, worker, limit,
                            timedelta(seconds=settings.source_lease_seconds))
    return [run_source(factory, settings, source_id, worker) for source_id in claimed]


def resolve_quiet_alerts(factory: sessionmaker[Session], settings: Settings, worker: str) -> int:
    """Resolves the alerts with no trigger for DISPMON_ALERT_QUIET_HOURS."""
    from app.alerts.service import resolve_quiet
    from app.gazetteer.service import current_gazetteer

    with factory.begin() as session:
        # the query runs first: the transaction (SQLite's write lock) is taken before the
        # gazetteer's lock, in the same order as ingestion takes them, so the two never deadlock
        resolved = resolve_quiet(session, lambda: current_gazetteer(session),
                                 timedelta(hours=settings.alert_quiet_hours))
    if resolved:
        log.info("auto-resolved alerts %s", resolved)
    return len(resolved)


def forget_expired_sessions(factory: sessionmaker[Session], settings: Settings,
                            worker: str) -> int:
    """Deletes dashboard sessions past their expiry, so the table stays as small as the number
    of people signed in."""
    from app.auth.service import delete_expired_sessions

    with factory.begin() as session:
        return delete_expired_sessions(session)


def deliver_webhooks(factory: sessionmaker[Session], settings: Settings, worker: str) -> int:
    """Sends the webhook outbox's due deliveries (app.webhooks.service.deliver_due)."""
    from app.webhooks.service import deliver_due

    return deliver_due(factory, settings, worker)


def deliver_notifications(factory: sessionmaker[Session], settings: Settings, worker: str) -> int:
    """Sends the due e-mail and chat notifications (app.notify.delivery)."""
    from app.notify.delivery import deliver_notifications as deliver

    return deliver(factory, settings, worker)


def send_digests(factory: sessionmaker[Session], settings: Settings, worker: str) -> int:
    """Queues the daily digests whose local hour has come (app.notify.digest)."""
    from app.notify.digest import send_digests as send

    return send(factory, settings, worker)


JOBS: dict[str, Job] = {
    "fetch-due-sources": fetch_due_sources,
    DELIVERY_JOB: deliver_webhooks,  # sends the webhook outbox; woken by each commit that fills it
    NOTIFY_JOB: deliver_notifications,  # sends e-mail and chat notifications; woken likewise
    DIGEST_JOB: send_digests,  # queues the daily digests whose local hour has come
    "resolve-quiet-alerts": resolve_quiet_alerts,
    "forget-expired-sessions": forget_expired_sessions,
}
