"""Under more concurrent requests than database connections, the API answers 200 or 503 with
Retry-After, never 500, and /healthz stays fast (issue 13, item 1)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.servers import served

CLIENTS = 60


@contextmanager
def database_held(db_url: str) -> Iterator[Callable[[], None]]:
    """Blocks every transaction of the service on the database itself (SQLite's write lock;
    an exclusive lock on `figures` on PostgreSQL) until the yielded function is called, so
    the connections the requests hold stay busy for as long as the test needs."""
    if make_url(db_url).get_backend_name() == "sqlite":
        conn = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.rollback
        finally:
            conn.rollback()
            conn.close()
        return
    engine = create_engine(db_url)
    try:
        with engine.connect() as pg:
            pg.execute(text("LOCK TABLE figures IN ACCESS EXCLUSIVE MODE"))
            try:
                yield pg.rollback
            finally:
                pg.rollback()
    finally:
        engine.dispose()


async def _burst(base: str, release: Callable[[], None]) -> tuple[list[httpx.Response], float]:
    """Fires CLIENTS requests at once; once the first comes back (the slots are all taken,
    their holders stuck on the lock), times /healthz, then lets the database go."""
    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=CLIENTS + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        tasks = [asyncio.create_task(client.get("/api/v1/figures")) for _ in range(CLIENTS)]
        try:
            done, _ = await asyncio.wait(tasks, timeout=20, return_when=asyncio.FIRST_COMPLETED)
            assert done, "no request was answered within 20 s while the database was held"
            started = time.monotonic()
            health = await client.get("/healthz", timeout=5)
            health_seconds = time.monotonic() - started
            assert health.status_code == 200
        finally:
            release()
        return list(await asyncio.gather(*tasks)), health_seconds


def test_requests_beyond_the_pool_get_503_and_healthz_stays_fast(db_url: str) -> None:
    env = {"DISPMON_DATABASE_URL": db_url, "DISPMON_SCHEDULER": "off",
           "DISPMON_PUBLIC_READ": "true", "DISPMON_DB_POOL_SIZE": "2",
           "DISPMON_DB_WAIT_SECONDS": "0.5"}
    with served(env) as base, database_held(db_url) as release:
        responses, health_seconds = asyncio.run(_burst(base, release))
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {200, 503}, statuses
        busy = [r for r in responses if r.status_code == 503]
        assert len(busy) >= CLIENTS - 2, "all but the slots' holders should be turned away"
        for r in busy:
            assert r.headers["Retry-After"] == "1"
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["title"] == "Busy"
        assert statuses.count(200) >= 1, "the slots' holders finish once the database is free"
        assert health_seconds < 1.0
        # and the service is itself again once the burst is over
        assert httpx.get(f"{base}/api/v1/figures", timeout=10).status_code == 200
