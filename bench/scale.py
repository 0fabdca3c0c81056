"""Benchmarks the read requests of a deployment with a long history, 16 readers at once.

    .venv/bin/python bench/scale.py [--database-url URL] [--figures 100000] [--days 730]
                                    [--places 2000] [--readers 16] [--seconds 10]
                                    [--build bulk|pipeline] [--check] [--keep]

The history: `--figures` reports with a figure each, over `--days` days ending today, `--places`
destinations (first-level subdivisions from the gazetteer, so their countries sum them) and 40
outlets, each place covered by a few of them. One destination is busy (a twentieth of the
figures), one quiet (a handful), the others share the rest. `--build pipeline` stores them
through the service's route for ready-made figures (`app.pipeline.record_figures`, which also
writes alerts and the outbox) in the batches a worker uses: the reference, a few hundred
figures/s. `--build bulk` (the default) copies the same reports, figures and series points in
(COPY on PostgreSQL, executemany on SQLite), the points computed in memory by the series
service's own functions over the whole history at once, then writes the summaries with the
summary service (`app.summary.service.refresh`). `--check` builds the same small history both
ways and compares reports, figures, series points (with their sources) and summaries row by
row, then stops; it exits non-zero on a difference.

Then it starts `dispmon serve` on 127.0.0.1 and `--readers` clients send the requests of issue
12 back to back for `--seconds`, spread evenly over them, beside /healthz: per request it prints
p50, p99 and successful requests/s as a share of /healthz's in the same run, then the plans of
the statements behind the slowest requests (EXPLAIN ANALYZE on PostgreSQL). SQLite in a
temporary folder by default; `--database-url` names a PostgreSQL server database, beside which a
scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import httpx
import load
from alembic import command
from load import Connection, server
from plans import explain
from scratch import scratch_database
from sqlalchemy import Table, event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.cli import alembic_config
from app.db import make_engine, make_sessionmaker
from app.extract import EXTRACTOR_VERSION
from app.gazetteer.index import CRISIS, Gazetteer, Place, load_gazetteer
from app.pipeline import record_figures
from app.reports.models import Figure, Report
from app.reports.service import manual_source
from app.series.models import SeriesPoint
from app.series.service import _combine, _Day, _own_days, _Reading, _saturated, source_columns
from app.settings import Settings
from app.sources.service import INGEST_BATCH
from app.summary.models import DestinationSummary
from app.summary.service import refresh

os.environ.setdefault("DISPMON_SECRET_KEY", "bench-only-secret-key-of-forty-characters!")
OUTLETS = 40
BUSY = "LB-BH"
failures: Counter[str] = Counter()  # requests that got no answer, by what went wrong


@dataclass(frozen=True, slots=True)
class Planned:
    """A report with one figure: its number (report and figure id), day, place and outlet."""

    number: int
    day: date
    place: str
    outlet: int  # the outlet's source id
    people: int
    kind: str


def destinations(gazetteer: Gazetteer, n: int) -> list[str]:
    """`n` first-level subdivisions, those of crisis countries first, the busy one first and
    the quiet one last."""
    found = [p for p in gazetteer.search(None, None, limit=10**6)
             if p.level == "admin1" and p.parent_id and p.id != BUSY]
    found.sort(key=lambda p: (p.country not in CRISIS, p.id))
    if len(found) + 1 < n:
        raise SystemExit(f"the gazetteer has {len(found) + 1} first-level places, not {n}")
    return [BUSY, *[p.id for p in found[:n - 1]]]


def plan(places: list[str], figures: int, days: int, last: date, seed: int) -> list[Planned]:
    """The history, by day: a twentieth of it about the busy place, a few figures about the
    quiet one, the rest spread over the others; most figures totals, one in ten arrivals. A
    place is covered by a few outlets (the busy one by a dozen, the quiet one by one), as a
    crisis is by its local and national press, not by every outlet the service reads."""
    rng = random.Random(seed)
    first = last - timedelta(days=days - 1)
    quiet = places[-1]
    others = places[1:-1]
    covering = {place: rng.sample(range(1, OUTLETS + 1), 3) for place in others}
    covering[places[0]] = rng.sample(range(1, OUTLETS + 1), 12)
    covering[quiet] = [rng.randrange(1, OUTLETS + 1)]
    quiet_every = max(figures // 8, 1)
    rows = []
    for number in range(1, figures + 1):
        if number % quiet_every == 0:
            place = quiet
        elif rng.random() < 0.05:
            place = places[0]
        else:
            place = rng.choice(others)
        rows.append((first + timedelta(days=(number - 1) * days // figures), place,
                     rng.choice(covering[place]), rng.randrange(200, 20000),
                     "new" if rng.random() < 0.1 else "total"))
    return [Planned(n, *row) for n, row in enumerate(rows, start=1)]


def _report(p: Planned, name: str) -> dict[str, Any]:
    body = f"Bulletin {p.number}: {p.people:,} people reached {name} on {p.day:%d %B %Y}."
    at = datetime.combine(p.day, clock(9), UTC)
    return {"id": p.number, "source_id": p.outlet, "url": f"https://scale.example/{p.number}",
            "canonical_url": f"https://scale.example/{p.number}", "title": f"Bulletin {p.number}",
            "text": body, "lang": "en", "published_at": at,
            "content_hash": f"{p.number:064x}", "duplicate_of_id": None,
            "extractor_version": EXTRACTOR_VERSION, "ingested_at": at}


def _figure(p: Planned, places: dict[str, Place]) -> dict[str, Any]:
    place = places[p.place]
    at = datetime.combine(p.day, clock(9), UTC)
    quote = f"{p.people:,} people reached {place.name}"
    return {"id": p.number, "report_id": p.number, "source_id": p.outlet, "count": p.people,
            "low": None, "high": None, "qualifier": "exact", "unit": "people",
            "people": p.people, "kind": p.kind, "destination_id": place.id,
            "destination_name": place.name, "destination_country": place.country,
            "destination_level": place.level, "origin_id": None, "origin_name": None,
            "origin_country": None, "origin_level": None, "as_of": None,
            "observed_on": p.day, "span_start": 14, "span_end": 14 + len(quote),
            "quote": quote, "extractor_version": EXTRACTOR_VERSION, "created_at": at,
            "confidence": 0.9, "review_state": "auto"}


def _places(gazetteer: Gazetteer, planned: Sequence[Planned]) -> dict[str, Place]:
    out = {}
    for pid in {p.place for p in planned}:
        place = gazetteer.get(pid)
        assert place is not None
        out[pid] = place
    return out


def _sources(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        for k in range(1, OUTLETS + 1):
            assert manual_source(session, f"Outlet {k}").id == k


def build_pipeline(factory: sessionmaker[Session], settings: Settings, gazetteer: Gazetteer,
                   planned: Sequence[Planned]) -> None:
    """The reference: each batch of reports and figures through `record_figures`, as a
    structured source's batch goes (series, summaries, alerts and the outbox on the way)."""
    _sources(factory)
    places = _places(gazetteer, planned)
    for at in range(0, len(planned), INGEST_BATCH):
        with factory.begin() as session:
            batch = planned[at:at + INGEST_BATCH]
            reports = [Report(**_report(p, places[p.place].name)) for p in batch]
            session.add_all(reports)
            session.flush()
            record_figures(session, settings, gazetteer,
                           [Figure(**_figure(p, places)) for p in batch])


def _copy(session: Session, table: Table, rows: Iterator[dict[str, Any]]) -> None:
    """Writes rows into `table`: COPY on PostgreSQL, an executemany on SQLite."""
    connection = session.connection()
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in itertools.chain([first], rows):
                copy.write_row([json.dumps(row[c]) if isinstance(row[c], list) else row[c]
                                for c in columns])
        return
    values = [first]
    for row in rows:
        values.append(row)
        if len(values) == 20_000:
            connection.execute(table.insert(), values)
            values = []
    if values:
        connection.execute(table.insert(), values)


def _series(gazetteer: Gazetteer, planned: Sequence[Planned], freshness: int,
            first_id: int) -> Iterator[dict[str, Any]]:
    """The series points `update_series` writes for the whole history at once, computed with
    its own functions (a place's days from its figures, a parent's from its children's points,
    the two combined) but kept in memory and handed out as rows to copy: the places deepest
    first, by id, each by day, with ids in that order, as that one call would insert them."""
    readings: dict[str, list[_Reading]] = defaultdict(list)
    ranges: dict[str, tuple[date, date]] = {}
    wanted: dict[str, set[date]] = defaultdict(set)
    for p in planned:  # by (day, figure) already, as `_readings` sorts them
        readings[p.place].append(_Reading(p.number, p.outlet, f"Outlet {p.outlet}", p.day,
                                          p.kind, p.people, p.people, p.people))
        end = p.day + timedelta(days=freshness)
        window = {p.day + timedelta(days=k) for k in range(freshness + 1)}
        for pid in [p.place] + [a.id for a in gazetteer.ancestors(p.place)]:
            old = ranges.get(pid)
            ranges[pid] = (min(old[0], p.day), max(old[1], end)) if old else (p.day, end)
            wanted[pid] |= window
    depth = {pid: len(gazetteer.ancestors(pid)) for pid in ranges}
    written: dict[str, list[tuple[date, _Day]]] = defaultdict(list)
    number = first_id
    at = datetime.now(UTC)
    for pid in sorted(ranges, key=lambda p: (-depth[p], p)):
        start, end = ranges[pid]
        own = _own_days(readings.pop(pid, []), start, end, freshness)
        children = _children_sums(gazetteer, pid, start, end, written)
        place = gazetteer.get(pid)
        for day in sorted(wanted.pop(pid)):
            value = _saturated(_combine(own.get(day), children.get(day)))
            if value.empty:
                continue
            written[pid].append((day, value))
            yield {"id": number, "destination_id": pid,
                   "parent_id": place.parent_id if place else None, "day": day, "demo": False,
                   "estimate": value.estimate, "low": value.low, "high": value.high,
                   "new_arrivals": value.new_arrivals, "sources": value.sources,
                   **source_columns(value.sources), "fresh_until": value.fresh_until,
                   "stale": value.fresh_until is not None and day > value.fresh_until,
                   "updated_at": at}
            number += 1


def _children_sums(gazetteer: Gazetteer, pid: str, first: date, last: date,
                   written: dict[str, list[tuple[date, _Day]]]) -> dict[date, _Day]:
    """`_children_days` over points in memory: each child at its latest point on or before the
    day, children in the order their points were written."""
    series = [written[c.id] for c in sorted(gazetteer.children(pid), key=lambda c: c.id)
              if written.get(c.id)]
    out: dict[date, _Day] = {}
    if not series:
        return out
    days = [[d for d, _ in points] for points in series]
    day = first
    while day <= last:
        d = _Day()
        for points, child_days in zip(series, days, strict=True):
            at = bisect_right(child_days, day) - 1
            if at < 0:
                continue
            point_day, p = points[at]
            d.estimate += p.estimate
            d.low += p.low
            d.high += p.high
            d.new_arrivals += p.new_arrivals if point_day == day else 0
            d.sources.extend(p.sources)
            if p.fresh_until is not None:
                d.fresh_until = max(d.fresh_until or p.fresh_until, p.fresh_until)
        if not d.empty:
            out[day] = d
        day += timedelta(days=1)
    return out


def build_bulk(factory: sessionmaker[Session], settings: Settings, gazetteer: Gazetteer,
               planned: Sequence[Planned]) -> None:
    """The same rows as `build_pipeline` (alerts and the outbox aside): reports, figures and
    series points copied in (the points computed by the series service's functions in memory,
    `_series`), then the summaries written by the summary service from the stored points."""
    started = time.perf_counter()
    _sources(factory)
    places = _places(gazetteer, planned)
    tables = [Report.__table__, Figure.__table__, SeriesPoint.__table__]
    assert all(isinstance(t, Table) for t in tables)
    reports, figures, points = tables
    with factory.begin() as session:
        _copy(session, reports, (_report(p, places[p.place].name) for p in planned))  # type: ignore[arg-type]
        _copy(session, figures, (_figure(p, places) for p in planned))  # type: ignore[arg-type]
        print(f"  reports and figures written in {time.perf_counter() - started:.1f} s",
              flush=True)
        _copy(session, points, _series(gazetteer, planned, settings.freshness_days, 1))  # type: ignore[arg-type]
        if session.get_bind().dialect.name == "postgresql":
            for table in ("reports", "figures", "series_points"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
        print(f"  series points written by {time.perf_counter() - started:.1f} s", flush=True)
        with_points = session.scalars(select(SeriesPoint.destination_id).distinct()).all()
        refresh(session, with_points, demo=False)
    print(f"  summaries written by {time.perf_counter() - started:.1f} s", flush=True)
    with factory.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))


def _rows(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """What the two builds must agree on, without ids, versions and timestamps."""
    skip = {"id", "version", "updated_at", "created_at", "ingested_at"}
    out = {}
    for model, key in ((Report, (Report.id,)), (Figure, (Figure.id,)),
                       (SeriesPoint, (SeriesPoint.destination_id, SeriesPoint.day)),
                       (DestinationSummary, (DestinationSummary.destination_id,))):
        columns = [c for c in model.__table__.columns if c.name not in skip]
        out[model.__tablename__] = [
            tuple(row) for row in session.execute(select(*columns).order_by(*key))]
    return out


def _sorted_sources(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(sorted(v, key=lambda s: s["figure_id"]) if isinstance(v, list)
                  and v and isinstance(v[0], dict) and "figure_id" in v[0] else v for v in row)
            for row in rows]


def check(database_url: str | None, figures: int, days: int, n_places: int, seed: int) -> int:
    gazetteer = load_gazetteer()
    places = destinations(gazetteer, n_places)
    planned = plan(places, figures, days, datetime.now(UTC).date(), seed)
    got: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for how in ("pipeline", "bulk"):
        with scratch_database(database_url) as url:
            command.upgrade(alembic_config(url), "head")
            engine = make_engine(url)
            factory = make_sessionmaker(engine)
            settings = Settings(database_url=url, scheduler="off")
            started = time.perf_counter()
            (build_bulk if how == "bulk" else build_pipeline)(factory, settings, gazetteer,
                                                             planned)
            print(f"{how}: built in {time.perf_counter() - started:.1f} s")
            with factory() as session:
                got[how] = _rows(session)
            engine.dispose()
    differ = 0
    for table, rows in got["pipeline"].items():
        other = got["bulk"][table]
        # a parent's point lists its children's figures in the order of the children's point
        # ids, which the two builds assign differently: same figures, another order
        reordered = sum(a != b for a, b in zip(rows, other, strict=False))
        rows, other = _sorted_sources(rows), _sorted_sources(other)
        same = rows == other
        print(f"  {table:24} {len(rows):8,} rows by the pipeline, {len(other):8,} in bulk: "
              + ("the same" if same else "DIFFERENT")
              + (f" ({reordered:,} with their sources in another order)" if same and reordered
                 else ""))
        if not same:
            differ += 1
            for a, b in zip(rows, other, strict=False):
                if a != b:
                    print(f"    first difference:\n    {str(a)[:600]}\n    {str(b)[:600]}")
                    break
    return 1 if differ else 0


def requests(places: list[str], last: date) -> dict[str, str]:
    busy, quiet = places[0], places[-1]
    # a busy place's 30 days, whole series, the list and the overview: issue 12's reads
    three = "destination=" + ",".join(places[:3])
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


def show_plans(url: str, paths: dict[str, str], shown: int) -> None:
    """Each request's statements, explained with their own parameters; the slowest `shown`
    of each request in full, the others by their time."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    settings = Settings(database_url=url, scheduler="off", demo=False, public_read=True)
    with TestClient(create_app(settings)) as client:
        engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
        for name, path in paths.items():
            alone = []
            for _ in range(5):
                started = time.perf_counter()
                client.get(path)
                alone.append(time.perf_counter() - started)
            sent: list[tuple[str, Any]] = []

            def capture(_conn: Any, _cursor: Any, statement: str, params: Any,
                        _context: Any, _many: bool, sent: list[tuple[str, Any]] = sent) -> None:
                if statement.lstrip().upper().startswith("SELECT"):
                    sent.append((statement, params))

            event.listen(engine, "before_cursor_execute", capture)
            try:
                status = client.get(path).status_code
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            timed = []
            for statement, params in sent:
                started = time.perf_counter()
                plan_text = explain(engine, statement, params)
                timed.append((time.perf_counter() - started, statement, plan_text))
            timed.sort(key=lambda t: -t[0])
            print(f"=== {name}: {path} ({status}, {statistics.median(alone) * 1000:.1f} ms "
                  f"in process, one client; {len(sent)} selects, "
                  f"{sum(t[0] for t in timed) * 1000:.1f} ms explained)")
            for k, (took, statement, plan_text) in enumerate(timed):
                print(f"--- {took * 1000:.1f} ms: {' '.join(statement.split())[:240]}")
                if k < shown:
                    print(plan_text)
            print()


def alone(url: str, paths: dict[str, str], n: int) -> None:
    """Each request `n` times in process by one client: the server's own work per request."""
    from fastapi.testclient import TestClient

    import app
    from app.main import create_app

    settings = Settings(database_url=url, scheduler="off", demo=False, public_read=True)
    print(f"code: {Path(app.__file__).parent.parent}; {n} requests each, one client, in "
          f"process: p50 / p99 ms")
    with TestClient(create_app(settings)) as client:
        for name, path in paths.items():
            took = []
            for _ in range(n):
                started = time.perf_counter()
                assert client.get(path).status_code == 200
                took.append(time.perf_counter() - started)
            print(f"  {name:<20} {statistics.median(took) * 1000:8.1f} "
                  f"{_quantile(took, 0.99) * 1000:8.1f}")


def read(url: str, key: str, paths: dict[str, str], code: Path, readers: int,
         seconds: float) -> dict[str, tuple[float, float, float]]:
    """p50 and p99 (s) and the share of /healthz's throughput per request, `dispmon serve`
    running the checkout at `code`."""
    failures.clear()
    load.ROOT = code  # where `server` starts `python -m app.cli serve`
    # the dashboard reads its viewer from a session cookie, not a bearer key: the overview
    # is read as a public deployment serves it (`server` passes the environment on)
    os.environ["DISPMON_PUBLIC_READ"] = "true"
    with server(url, pool_size=max(10, readers), workers=1) as base:
        results = asyncio.run(drive(base, key, paths, readers, seconds))
    ok = {name: sum(1 for _, s in rows if s == 200) / seconds for name, rows in results.items()}
    health = ok["healthz"] or 1.0
    if failures:
        print(f"  no answer (status 0): {dict(failures)}")
    out = {}
    for name, rows in results.items():
        times = [t for t, _ in rows]
        failed = Counter(s for _, s in rows if s != 200)  # status 0: no answer
        out[name] = (statistics.median(times) if times else 0.0, _quantile(times, 0.99),
                     ok[name] / health)
        if failed:
            print(f"  {name}: failed {dict(failed)}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server database (default SQLite)")
    parser.add_argument("--figures", type=int, default=100_000, help="reports with a figure")
    parser.add_argument("--days", type=int, default=730, help="days of history they span")
    parser.add_argument("--places", type=int, default=2000, help="destinations")
    parser.add_argument("--readers", type=int, default=16, help="concurrent readers")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the reading")
    parser.add_argument("--build", choices=("bulk", "pipeline"), default="bulk")
    parser.add_argument("--check", action="store_true",
                        help="build a small history both ways, compare the rows, and stop")
    parser.add_argument("--keep", action="store_true", help="keep the database built")
    parser.add_argument("--existing", help="read this database, built before with the same "
                                           "--figures, --days, --places and --seed (no build)")
    parser.add_argument("--code", default=str(load.ROOT),
                        help="checkouts whose `dispmon serve` answers, comma-separated: each "
                             "read in turn, --rounds times (before and after a change, one run)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--alone", type=int, default=0,
                        help="instead of the readers: each request this many times in process, "
                             "one client, by the `app` Python finds (PYTHONPATH=checkout)")
    parser.add_argument("--plans", type=int, default=2,
                        help="full plans of this many slowest statements per request")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.database_url, args.figures, args.days, args.places, args.seed))
    gazetteer = load_gazetteer()
    places = destinations(gazetteer, args.places)
    last = datetime.now(UTC).date()
    with ExitStack() as stack:
        if args.existing:
            url = args.existing
        else:
            url = stack.enter_context(scratch_database(args.database_url, keep=args.keep))
            build(url, args, gazetteer, places, last)
            if args.keep:
                print(f"kept: {url}")
        engine = make_engine(url)
        with make_sessionmaker(engine).begin() as session:
            _, key = create_key(session, "bench scale", "read")
        engine.dispose()
        paths = requests(places, last)
        if args.alone:
            alone(url, paths, args.alone)
            return
        codes = [Path(c).resolve() for c in args.code.split(",")]
        print(f"{make_url(url).get_backend_name()}, {args.readers} readers for {args.seconds:g} "
              f"s per checkout and round; p50 / p99 ms, ok/s as a share of /healthz's")
        table: dict[Path, list[dict[str, tuple[float, float, float]]]] = defaultdict(list)
        for _ in range(args.rounds):
            for code in codes:
                table[code].append(read(url, key, paths, code, args.readers, args.seconds))
        for code in codes:
            print(f"  {code}")
            for name in paths:
                cells = "  ".join(f"{r[name][0] * 1000:7.1f} {r[name][1] * 1000:7.1f} "
                                  f"{r[name][2]:6.3f}" for r in table[code])
                print(f"    {name:<20} {cells}")
        if args.plans:
            p99 = {n: max(r[n][1] for r in table[codes[-1]]) for n in paths if n != "healthz"}
            slowest = sorted(p99, key=lambda n: -p99[n])[:3]
            print()
            show_plans(url, {n: paths[n] for n in slowest}, args.plans)


def build(url: str, args: argparse.Namespace, gazetteer: Gazetteer, places: list[str],
          last: date) -> None:
    command.upgrade(alembic_config(url), "head")
    planned = plan(places, args.figures, args.days, last, args.seed)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    settings = Settings(database_url=url, scheduler="off")
    print(f"building {args.figures:,} figures ({args.build})", flush=True)
    started = time.perf_counter()
    (build_bulk if args.build == "bulk" else build_pipeline)(factory, settings, gazetteer,
                                                             planned)
    took = time.perf_counter() - started
    with factory() as session:
        points = session.scalar(select(func.count()).select_from(SeriesPoint))
    engine.dispose()
    print(f"{args.figures:,} figures over {args.days} days and {len(places):,} destinations, "
          f"built ({args.build}) in {took:.1f} s ({args.figures / took:,.0f} figures/s), "
          f"{points or 0:,} series points")


if __name__ == "__main__":
    main()
