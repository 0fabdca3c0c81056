"""Benchmarks the read requests of a deployment with a long history, 16 readers at once.

    .venv/bin/python bench/scale.py [--database-url URL] [--figures 2000] [--days 120]
                                    [--readers 16] [--seconds 5]

It builds the history through the service's own ingestion (`app.pipeline.ingest_many`, in the
batches a worker uses, one transaction each): `--figures` reports, each with one figure, over
`--days` days and the bench's destinations, most of them about a busy one and few about a quiet
one, so that the series, points and sources are the rows ingestion makes. Then it starts
`dispmon serve` on 127.0.0.1 and `--readers` clients send the requests of issue 12 back to back
for `--seconds`, spread evenly over them, beside /healthz: per request it prints p50, p99 and
successful requests/s as a share of /healthz's in the same run. SQLite in a temporary folder by
default; `--database-url` names a PostgreSQL server database, beside which a scratch database
is created and dropped. Keep the sizes small on a shared machine: the build runs at ingestion's
rate (a few hundred reports/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import httpx
from alembic import command
from ingest import DESTINATIONS, FIGURE, _story
from load import Connection, server
from scratch import scratch_database
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.cli import alembic_config
from app.db import make_engine, make_sessionmaker
from app.gazetteer.index import load_gazetteer
from app.pipeline import ingest_many
from app.reports.service import NewReport, check, manual_source
from app.settings import Settings
from app.sources.service import INGEST_BATCH

START = date(2025, 1, 1)
failures: Counter[str] = Counter()  # requests that got no answer, by what went wrong


def build(factory: sessionmaker[Session], settings: Settings, figures: int, days: int,
          rng: random.Random) -> float:
    """Ingests `figures` reports with a figure each; returns the reports/s it took."""
    # the first destination is the busy one, the last the quiet one
    weights = [len(DESTINATIONS) * 4] + [4] * (len(DESTINATIONS) - 2) + [1]
    started = time.perf_counter()
    for first in range(0, figures, INGEST_BATCH):
        items = []
        for number in range(first, min(first + INGEST_BATCH, figures)):
            name = rng.choices(DESTINATIONS, weights)[0][0]
            day = START + timedelta(days=number * days // figures)
            text = (_story(rng, number) + " " + FIGURE.format(
                n=rng.randrange(200, 20000), dest=name, day=day.strftime("%d %B")))
            items.append(check(settings, NewReport(
                text=text, title=f"Scale {number}", url=f"https://scale.example/{number}",
                published_at=datetime.combine(day, datetime.min.time(), UTC))))
        with factory.begin() as session:
            ingest_many(session, settings, manual_source(session, f"Outlet {first % 7}"), items)
    return figures / (time.perf_counter() - started)


def requests(last: date) -> dict[str, str]:
    busy, quiet = DESTINATIONS[0][1], DESTINATIONS[-1][1]
    three = "&".join(f"destination={d[1]}" for d in DESTINATIONS[:3])
    month = f"start={last - timedelta(days=29)}&end={last}"
    return {
        "busy, 30 days": f"/api/v1/destinations/{busy}/series?{month}",
        "busy, whole series": f"/api/v1/destinations/{busy}/series",
        "three at once": f"/api/v1/series?{three}",
        "quiet, 30 days": f"/api/v1/destinations/{quiet}/series?{month}",
        "destinations": "/api/v1/destinations",
        "CSV, three": f"/api/v1/series.csv?{three}",
        "overview /": "/",
        "healthz": "/healthz",
    }


async def _reader(connection: Connection, path: str, until: float,
                  out: list[tuple[float, int]]) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            status = await asyncio.wait_for(connection.get(path), timeout=60)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = 0
            failures[type(exc).__name__] += 1
            await connection.close()
        out.append((time.monotonic() - started, status))
    await connection.close()


async def drive(base: str, key: str, paths: dict[str, str], readers: int, seconds: float
                ) -> dict[str, list[tuple[float, int]]]:
    url = httpx.URL(base)
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in paths}
    names = list(paths)
    until = time.monotonic() + seconds
    await asyncio.gather(*(
        _reader(Connection(url.host, url.port or 80, key), paths[names[i % len(names)]], until,
                results[names[i % len(names)]])
        for i in range(readers)))
    return results


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server database (default SQLite)")
    parser.add_argument("--figures", type=int, default=2000, help="reports with a figure built")
    parser.add_argument("--days", type=int, default=120, help="days of history they span")
    parser.add_argument("--readers", type=int, default=16, help="concurrent readers")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the reading")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with scratch_database(args.database_url) as url:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        settings = Settings(database_url=url, scheduler="off")
        load_gazetteer()
        rate = build(factory, settings, args.figures, args.days, rng)
        with factory.begin() as session:
            _, key = create_key(session, "bench scale", "read")
        engine.dispose()
        backend = make_url(url).get_backend_name()
        print(f"{backend}: {args.figures:,} figures over {args.days} days built at "
              f"{rate:,.0f} reports/s; {args.readers} readers for {args.seconds:g} s")
        paths = requests(START + timedelta(days=args.days - 1))
        # the dashboard reads its viewer from a session cookie, not a bearer key: the overview
        # is read as a public deployment serves it (`server` passes the environment on)
        os.environ["DISPMON_PUBLIC_READ"] = "true"
        with server(url, pool_size=max(10, args.readers), workers=1) as base:
            results = asyncio.run(drive(base, key, paths, args.readers, args.seconds))
    ok = {name: sum(1 for _, s in rows if s == 200) / args.seconds
          for name, rows in results.items()}
    health = ok["healthz"] or 1.0
    if failures:
        print(f"  no answer (status 0): {dict(failures)}")
    for name, rows in results.items():
        times = [t for t, _ in rows]
        failed = Counter(s for _, s in rows if s != 200)  # status 0: no answer
        print(f"  {name:<20} p50 {statistics.median(times) * 1000 if times else 0:8.1f} ms  "
              f"p99 {_quantile(times, 0.99) * 1000:8.1f} ms  {ok[name]:7.1f} ok/s "
              f"({ok[name] / health:.3f} of /healthz's)" + (f"  failed: {dict(failed)}" if failed
                                                            else ""))


if __name__ == "__main__":
    main()
