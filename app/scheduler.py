"""The APScheduler that runs the periodic jobs of `app.jobs` on a tick, or at once when woken.

APScheduler only says "it is time to look"; each job claims its work from the database (leases,
SKIP LOCKED), so any number of processes can run it and none does the same work twice. It runs
inside `dispmon serve` when DISPMON_SCHEDULER=embedded, or alone in `dispmon worker`. A
transaction that made work for a job wakes it once committed (`app.wakeups`).
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
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import wakeups
from app.jobs import JOBS, Job
from app.settings import Settings

log = logging.getLogger(__name__)


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
        # a commit on this database that made work for a job (webhook deliveries) wakes it
        self._engine: Engine = factory.kw["bind"]
        wakeups.listen(self._engine, self.kick)

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
        wakeups.stop_listening(self._engine, self.kick)
        self._scheduler.shutdown(wait=True)
