"""FastAPI's dependencies on the process's resources: the settings and the request's session.

They live apart from app/settings.py and app/db.py so that importing those (every CLI command
does) does not import FastAPI; both modules still hand these names out (`from app.db import
SessionDep` works), importing this module on first use.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.errors import Busy
from app.settings import Settings


class DbSlots:
    """The request slots: as many as the pool's connections for requests, waited for without
    a thread, for at most `wait` seconds."""

    def __init__(self, size: int, wait: float) -> None:
        self.semaphore = anyio.Semaphore(size)
        self.wait = wait

    async def acquire(self) -> None:
        with anyio.move_on_after(self.wait):
            await self.semaphore.acquire()
            return
        raise Busy(
            f"every database connection stayed busy for {self.wait:g} s; retry shortly",
            retry_after=max(1, math.ceil(self.wait)),
        )

    def release(self) -> None:
        self.semaphore.release()


async def _db_slot(request: Request) -> AsyncIterator[None]:
    slots: DbSlots = request.app.state.db_slots
    await slots.acquire()
    try:
        yield
    finally:
        slots.release()


def _session(
    request: Request, _slot: Annotated[None, Depends(_db_slot, scope="function")]
) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back if it raises.

    Used with scope="function", so the commit runs before the response is sent: a commit that
    fails is a 500, never a 201 for data that was not stored."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(_session, scope="function")]


async def _settings_of(request: Request) -> Settings:
    # async: a plain read of app state needs no trip through the thread pool
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings_of)]
