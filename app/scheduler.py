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
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.sources.service import run_due

log = logging.getLogger(__name__)

Job = Callable[[sessionmaker[Session], Settings, str], object]

JOBS: dict[str, Job] = {"fetch-due-sources": run_due}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


class Scheduler:
    """Runs every job of JOBS on the settings' tick, each job never twice at once in a process."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory = factory
        self.settings = settings
        self.worker = worker_id()
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=len(JOBS) + 1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone="UTC",
        )
        for name, job in JOBS.items():
            self._scheduler.add_job(self._guarded(name, job), "interval", id=name, name=name,
                                    seconds=settings.scheduler_tick_seconds, jitter=1)

    def _guarded(self, name: str, job: Job) -> Callable[[], None]:
        def run() -> None:
            try:
                job(self.factory, self.settings, self.worker)
            except Exception:  # a failing job is logged and tried again at the next tick
                log.exception("job %s failed", name)

        return run

    def start(self) -> None:
        self._scheduler.start()
        # run every job once at start, so a fresh install fetches at once
        for name in JOBS:
            self.kick(name)

    def kick(self, name: str) -> None:
        """Runs job `name` as soon as possible (after a commit that created work for it)."""
        self._scheduler.modify_job(name, next_run_time=datetime.now(UTC))

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=True)
