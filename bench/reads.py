"""Times the reads of issue 12 on a database of a few thousand figures: a busy destination's
30-day series, /api/v1/destinations and the overview `/`, each asked again and again by one
client in process (FastAPI's TestClient), so the figures are the server's work per request.

    .venv/bin/python bench/reads.py [--database-url URL] [--figures 3000] [--places 60]
                                    [--requests 60]

The figures go in through the pipeline (`app.pipeline.record_figures`, 50 reports a
transaction), spread over `--places` destinations and 120 days ending today, a third of them on
the busiest destination. Prints p50 and p99 per read (ms), plain and with the ETag of the first
answer sent back (`If-None-Match`: 304s where the code supports them). SQLite in a temporary
folder by default; `--database-url` names a PostgreSQL server database, beside which a scratch
database is created and dropped. It imports `app` from wherever Python finds it, so the same file
times another checkout: `PYTHONPATH=/path/to/checkout .venv/bin/python bench/reads.py`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from scratch import scratch_database
from sqlalchemy.orm import Session, sessionmaker

import app
from app.auth.service import create_key
from app.cli import alembic_config
from app.db import make_engine, make_sessionmaker
from app.gazetteer.index import load_gazetteer
from app.main import create_app
from app.pipeline import record_figures
from app.reports.models import Figure, Report
from app.reports.service import manual_source
from app.settings import Settings

os.environ.setdefault("DISPMON_SECRET_KEY", "bench-only-secret-key-of-forty-characters!")
BUSY = "LB-BH"


def places(n: int) -> list[str]:
    """`n` destinations with a parent (so each figure moves an ancestor's series too)."""
    gazetteer = load_gazetteer()
    found = sorted(p.id for p in gazetteer.search(None, "LB", limit=2000) if p.parent_id)
    found += sorted(p.id for p in gazetteer.search(None, "SY", limit=2000) if p.parent_id)
    return [BUSY, *[p for p in found if p != BUSY][:n - 1]]


def fill(factory: sessionmaker[Session], settings: Settings, n_figures: int,
         n_places: int) -> None:
    rng = random.Random(12)
    ids = places(n_places)
    today = datetime.now(UTC).date()
    gazetteer = load_gazetteer()
    with factory.begin() as session:
        sources = [manual_source(session, f"bench source {i}").id for i in range(4)]
    plan = sorted(
        (today - timedelta(days=rng.randrange(120)),
         BUSY if rng.random() < 1 / 3 else rng.choice(ids),
         rng.choice(sources), rng.randrange(100, 50_000), rng.choice(["total", "total", "new"]))
        for _ in range(n_figures))
    for at in range(0, len(plan), 50):
        with factory.begin() as session:
            rows = []
            for k, (day, place, source_id, people, kind) in enumerate(plan[at:at + 50]):
                report = Report(source_id=source_id, text=f"bench report {at + k}",
                                content_hash=f"{at + k:064d}", extractor_version="bench")
                session.add(report)
                session.flush()
                rows.append(Figure(
                    report_id=report.id, source_id=source_id, count=people, qualifier="exact",
                    unit="people", people=people, kind=kind, destination_id=place,
                    observed_on=day, span_start=0, span_end=1, quote="q",
                    extractor_version="bench"))
            record_figures(session, settings, gazetteer, rows)


def timed(client: TestClient, url: str, n: int, headers: dict[str, str]) -> tuple[float, float,
                                                                                    int]:
    """p50 and p99 in ms of `n` requests, and the status of the last."""
    took = []
    status = 0
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        took.append((time.perf_counter() - start) * 1000)
        status = response.status_code
        assert status in (200, 304), (url, status, response.text[:200])
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, int(len(took) * 0.99))], status


@contextmanager
def served(url: str) -> Iterator[tuple[TestClient, sessionmaker[Session], Settings]]:
    settings = Settings(database_url=url, scheduler="off", demo=False, public_read=True)
    with TestClient(create_app(settings)) as client:
        yield client, make_sessionmaker(make_engine(url)), settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--figures", type=int, default=3000)
    parser.add_argument("--places", type=int, default=60)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        command.upgrade(alembic_config(url), "head")
        with served(url) as (client, factory, settings):
            started = time.perf_counter()
            fill(factory, settings, args.figures, args.places)
            filled = time.perf_counter() - started
            with factory.begin() as session:
                _, key = create_key(session, "bench reads", "read")
            auth = {"Authorization": f"Bearer {key}"}
            start = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
            reads = {
                "series, 30 days": f"/api/v1/destinations/{BUSY}/series?start={start}",
                "/api/v1/destinations": "/api/v1/destinations",
                "overview /": "/",
            }
            backend = "postgresql" if args.database_url else "sqlite"
            print(f"code: {Path(app.__file__).parent.parent}")
            print(f"{backend}: {args.figures} figures over {args.places} places, "
                  f"filled in {filled:.1f} s; {args.requests} requests each")
            print(f"{'read':24} {'p50 ms':>8} {'p99 ms':>8} | {'again, p50':>10} "
                  f"{'p99':>8} {'status':>6}")
            for name, path in reads.items():
                p50, p99, _ = timed(client, path, args.requests, auth)
                tag = client.get(path, headers=auth).headers.get("etag")
                again = {**auth, **({"If-None-Match": tag} if tag else {})}
                q50, q99, status = timed(client, path, args.requests, again)
                print(f"{name:24} {p50:8.1f} {p99:8.1f} | {q50:10.1f} {q99:8.1f} {status:>6}")


if __name__ == "__main__":
    main()
