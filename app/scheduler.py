"""The periodic jobs and the APScheduler that triggers them.

APScheduler only says "it is time to look"; each job claims its work from the database (leases,
SKIP LOCKED), so any number of processes can run it and none does the same work twice. It runs
inside `dispmon serve` when DISPMON_SCHEDULER=embedded, or alone in `dispmon worker`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.service import resolve_quiet_job
from app.auth.service import forget_expired_sessions
from app.settings import Settings
from app.sources.service import run_due
from app.webhooks.service import OUTBOX_FLAG, deliver_due

log = logging.getLogger(__name__)

Job = Callable[[sessionmaker[Session], Settings, str], object]

DELIVERY_JOB = "deliver-webhooks"
JOBS: dict[str, Job] = {
    "fetch-due-sources": run_due,
    DELIVERY_JOB: deliver_due,
    "resolve-quiet-alerts": resolve_quiet_job,
    "forget-expired-sessions": forget_expired_sessions,
}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


class Scheduler:
    """Runs every job of JOBS on the settings' tick, each job never twice at once in a process."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory = factory
        self.settings = settings
        self.worker = worker_id()
        self._kicked = {name: threading.Event() for name in JOBS}
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=len(JOBS) + 1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone="UTC",
        )
        for name, job in JOBS.items():
            self._scheduler.add_job(self._guarded(name, job), "interval", id=name, name=name,
                                    seconds=settings.scheduler_tick_seconds, jitter=1)
        # a transaction that wrote webhook deliveries kicks the delivery job once committed
        event.listen(factory, "after_commit", self._after_commit)
        event.listen(factory, "after_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(OUTBOX_FLAG, False):
            self.kick(DELIVERY_JOB)

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop(OUTBOX_FLAG, None)

    def _guarded(self, name: str, job: Job) -> Callable[[], None]:
        kicked = self._kicked[name]

        def run() -> None:
            # a kick while the job runs would be dropped (max_instances=1): run again instead
            with self._lock:
                self._running.add(name)
            while True:
                kicked.clear()
                try:
                    job(self.factory, self.settings, self.worker)
                except Exception:  # a failing job is logged and tried again at the next tick
                    log.exception("job %s failed", name)
                with self._lock:
                    if not kicked.is_set():
                        self._running.discard(name)
                        return

        return run

    def start(self) -> None:
        self._scheduler.start()
        # run every job once at start, so a fresh install fetches at once
        for name in JOBS:
            self.kick(name)

    def kick(self, name: str) -> None:
        """Runs job `name` as soon as possible (after a commit that created work for it)."""
        with self._lock:
            self._kicked[name].set()
            if name in self._running:
                return  # the running job sees the flag and runs again
        self._scheduler.modify_job(name, next_run_time=datetime.now(UTC))

    def shutdown(self) -> None:
        event.remove(self.factory, "after_commit", self._after_commit)
        event.remove(self.factory, "after_rollback", self._after_rollback)
        self._scheduler.shutdown(wait=True)
