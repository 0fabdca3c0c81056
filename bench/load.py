"""Benchmarks the API under 10, 50, 200 and 500 concurrent clients while a worker ingests.

    .venv/bin/python bench/load.py [--database-url URL] [--clients 10,50,200,500] [--seconds 10]
                                   [--pool-size 10] [--workers 1]

It starts `dispmon serve` (the demo replayed, the scheduler off) on 127.0.0.1 and, in another
process, a worker that ingests a report with a figure every 0.2 s straight into the database.
At each level, that many clients send requests back to back for `--seconds`, a quarter of
them each to series, destinations, reports and /healthz. It prints, per level: requests/s, p50,
p99 and the slowest request, the errors (anything but 200 and 503, and transport failures), the
503s, and each endpoint's successful requests/s as a ratio of /healthz's in the same run.
SQLite in a temporary folder by default; `--database-url` names a PostgreSQL server database,
beside which a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
from alembic import command
from scratch import scratch_database
from sqlalchemy.engine import make_url

from app.auth.service import create_key
from app.cli import alembic_config
from app.db import make_engine, make_sessionmaker
from app.pipeline import ingest
from app.reports.service import NewReport, manual_source
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = {
    "series": "/api/v1/destinations/LB-BH/series",
    "destinations": "/api/v1/destinations",
    "reports": "/api/v1/reports",
    "healthz": "/healthz",
}
PLACES = ["Hermel district", "Akkar", "Latakia", "Tartus", "Homs", "Baalbek"]


@dataclass(slots=True)
class Result:
    endpoint: str
    status: int  # 0: the request failed (timeout, connection refused or reset)
    seconds: float
    failure: str | None = None


def ingest_forever(database_url: str, stop: Event, counted: multiprocessing.Value) -> None:  # type: ignore[valid-type]
    """The worker: one report with a figure every 0.2 s, each in its own transaction."""
    settings = Settings(database_url=database_url, scheduler="off")
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    n = 0
    while not stop.wait(0.2):
        n += 1
        day = date(2025, 1, 1) + timedelta(days=n % 300)
        with factory.begin() as session:
            ingest(session, settings, manual_source(session, "bench worker"), NewReport(
                text=f"Bulletin {n}: about {500 + n:,} people have arrived in "
                     f"{PLACES[n % len(PLACES)]} since {day:%d %B %Y}, officials said.",
                published_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC)))
        counted.value = n  # type: ignore[attr-defined]
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(database_url: str, pool_size: int, workers: int) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DISPMON_DATABASE_URL": database_url, "DISPMON_SCHEDULER": "off",
           "DISPMON_DEMO": "true", "DISPMON_LOG_LEVEL": "warning",
           "DISPMON_DB_POOL_SIZE": str(pool_size)}
    args = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(args, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("dispmon serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Connection:
    """A bare HTTP/1.1 keep-alive connection: a fraction of a general client's CPU, so that on
    a small machine the figures are the server's, not the benchmark's."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port, self.key = host, port, key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"Authorization: Bearer {self.key}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readline()).strip() or b"0", 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _client(connection: Connection, name: str, until: float,
                  results: list[Result]) -> None:
    """One client: requests to one endpoint, back to back, until `until`."""
    while time.monotonic() < until:
        started = time.monotonic()
        failure = None
        try:
            status = await asyncio.wait_for(connection.get(ENDPOINTS[name]), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, failure = 0, type(exc).__name__
            await connection.close()
        results.append(Result(name, status, time.monotonic() - started, failure))
    await connection.close()


async def run_level(base: str, key: str, clients: int, seconds: float) -> list[Result]:
    url = httpx.URL(base)
    results: list[Result] = []
    names = list(ENDPOINTS)
    until = time.monotonic() + seconds
    await asyncio.gather(*(
        _client(Connection(url.host, url.port or 80, key), names[i % len(names)], until, results)
        for i in range(clients)))
    return results


def report(clients: int, seconds: float, results: list[Result]) -> None:
    latencies = sorted(r.seconds for r in results)
    statuses = Counter(r.status for r in results)
    errors = sum(n for status, n in statuses.items() if status not in (200, 503))
    per = {name: sum(1 for r in results if r.endpoint == name and r.status == 200) / seconds
           for name in ENDPOINTS}
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    print(f"{clients:>4} clients: {len(results) / seconds:7.1f} req/s  "
          f"p50 {statistics.median(latencies) * 1000 if latencies else 0:7.1f} ms  "
          f"p99 {p99 * 1000:7.1f} ms  max {latencies[-1] * 1000 if latencies else 0:7.1f} ms  "
          f"errors {errors}  503 {statuses.get(503, 0)}  "
          f"over 2 s {sum(1 for s in latencies if s > 2)}")
    health = per["healthz"] or 1.0
    print("              ok/s per endpoint (ratio to /healthz): " + ", ".join(
        f"{name} {rate:.1f} ({rate / health:.2f})" for name, rate in per.items()))
    if errors:
        failures = Counter(r.failure for r in results if r.failure)
        print(f"              statuses: {dict(statuses)}; failures: {dict(failures)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server database (default SQLite)")
    parser.add_argument("--clients", default="10,50,200,500", help="concurrent clients per level")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each level")
    parser.add_argument("--pool-size", type=int, default=10, help="DISPMON_DB_POOL_SIZE")
    parser.add_argument("--workers", type=int, default=1, help="`dispmon serve --workers`")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    with scratch_database(args.database_url) as url:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with make_sessionmaker(engine).begin() as session:
            _, key = create_key(session, "bench load", "read")
        engine.dispose()
        spawn = multiprocessing.get_context("spawn")
        stop = spawn.Event()
        ingested = spawn.Value("i", 0)
        with server(url, args.pool_size, args.workers) as base:
            worker = spawn.Process(target=ingest_forever, args=(url, stop, ingested))
            worker.start()
            print(f"{make_url(url).get_backend_name()}, pool {args.pool_size}, "
                  f"{args.workers} server process(es), {args.seconds:g} s a level")
            try:
                for clients in levels:
                    results = asyncio.run(run_level(base, key, clients, args.seconds))
                    report(clients, args.seconds, results)
            finally:
                stop.set()
                worker.join(timeout=30)
            print(f"the worker ingested {ingested.value} reports meanwhile")


if __name__ == "__main__":
    main()
