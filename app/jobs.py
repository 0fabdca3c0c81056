"""The periodic jobs: what each does on a tick, and the JOBS dict the scheduler runs.

A job takes the session factory, the settings and the worker's id, and owns its transactions:
it claims its work from the database (leases, SKIP LOCKED), so any number of processes can run
it and none does the same work twice. `app.scheduler` only decides when each one runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.alerts.service import resolve_quiet
from app.auth.service import delete_expired_sessions
from app.gazetteer.service import current_gazetteer
from app.notify.delivery import deliver_notifications
from app.notify.digest import DIGEST_JOB, send_digests
from app.notify.fanout import NOTIFY_JOB
from app.settings import Settings
from app.sources.service import RunOutcome, claim_due, run_source
from app.webhooks.service import DELIVERY_JOB, deliver_due

log = logging.getLogger(__name__)

Job = Callable[[sessionmaker[Session], Settings, str], object]


def fetch_due_sources(factory: sessionmaker[Session], settings: Settings, worker: str,
                      limit: int = 5) -> list[RunOutcome]:
    """Claims the sources that are due and runs each (one fetch, its reports ingested)."""
    with factory.begin() as session:
        claimed = claim_due(session, worker, limit,
                            timedelta(seconds=settings.source_lease_seconds))
    return [run_source(factory, settings, source_id, worker) for source_id in claimed]


def resolve_quiet_alerts(factory: sessionmaker[Session], settings: Settings, worker: str) -> int:
    """Resolves the alerts with no trigger for DISPMON_ALERT_QUIET_HOURS."""
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
    with factory.begin() as session:
        return delete_expired_sessions(session)


JOBS: dict[str, Job] = {
    "fetch-due-sources": fetch_due_sources,
    DELIVERY_JOB: deliver_due,  # sends the webhook outbox; woken by each commit that fills it
    NOTIFY_JOB: deliver_notifications,  # sends e-mail and chat notifications; woken likewise
    DIGEST_JOB: send_digests,  # queues the daily digests whose local hour has come
    "resolve-quiet-alerts": resolve_quiet_alerts,
    "forget-expired-sessions": forget_expired_sessions,
}
