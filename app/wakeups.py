"""Waking a periodic job early: a transaction that made work for a job asks, once committed,
for that job to run now rather than at its next tick.

A scheduler `listen`s on the engine its jobs use; `wake_after_commit(session, job)` registers
the wake-up on the session's unit of work (`app.db.after_commit`), so only a committed
transaction wakes anyone, and only the schedulers of its own database. With no scheduler
listening (DISPMON_SCHEDULER=off, tests, the CLI), a wake-up does nothing and the work waits
for whoever runs the job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from app.db import after_commit

Wake = Callable[[str], None]
"""Runs the named job as soon as possible (`Scheduler.kick`)."""

_listeners: dict[Engine, list[Wake]] = {}
_lock = threading.Lock()


def listen(engine: Engine, wake: Wake) -> None:
    with _lock:
        _listeners.setdefault(engine, []).append(wake)


def stop_listening(engine: Engine, wake: Wake) -> None:
    with _lock:
        waiting = _listeners.get(engine, [])
        if wake in waiting:
            waiting.remove(wake)
        if not waiting:
            _listeners.pop(engine, None)


def wake(engine: Engine, job: str) -> None:
    with _lock:
        listeners = list(_listeners.get(engine, ()))
    for listener in listeners:
        listener(job)


@dataclass(frozen=True, slots=True)
class _WakeUp:
    """A wake-up waiting for a commit; equal ones wait once (see `after_commit`)."""

    engine: Engine
    job: str

    def __call__(self) -> None:
        wake(self.engine, self.job)


def wake_after_commit(session: Session, job: str) -> None:
    """Wakes `job` once the session's transaction commits (never if it rolls back)."""
    bind = session.bind
    if bind is None:
        return  # a session bound per mapper: no engine of its own to wake schedulers of
    engine = bind.engine if isinstance(bind, Connection) else bind
    after_commit(session, _WakeUp(engine, job))
