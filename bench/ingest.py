"""Benchmarks a worker's ingest from a local feed server, with 10,000 then 1,000,000 reports stored.

    .venv/bin/python bench/ingest.py [--database-url URL] [--items 1500]
                                     [--sizes 10000,1000000] [--profile 25 [--profile-file P]]
                                     [--keep | --existing] [--seed N]

Each run serves an RSS feed of new items on 127.0.0.1 and times `run_source` on it: the real
path of a worker (fetch through the outbound gate, exact and near-duplicate checks, extraction,
storing, series, summaries and alerts), in its batches of reports, one transaction each. Before
each run the database is filled up to the size with bulk inserts: reports of another outlet
with their MinHash index and, for a share of them, figures at the same destinations the feed
talks about. It prints reports/s at each size and the ratio of the last to the first. SQLite in
a temporary folder by default; `--database-url` names a PostgreSQL server database, beside which
a scratch database is created and dropped. `--profile N` runs each timed ingest under cProfile
and prints its N most costly functions by cumulative and by own time (the rate is then lower).

To compare two versions of the code on one database (a million reports take minutes to
store), fill it once with `--keep`, which prints its URL, then time each version in turn with
`--existing --database-url URL` and a new `--seed` (new items; the reports they add are few
beside those stored).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import random
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from xml.sax.saxutils import escape

import numpy as np
from alembic import command
from pydantic import SecretStr
from scratch import scratch_database
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.cli import alembic_config
from app.db import make_engine, make_sessionmaker
from app.gazetteer.index import load_gazetteer
from app.reports import dedup
from app.reports.models import Figure, Report
from app.reports.service import content_hash
from app.settings import Settings
from app.sources.models import Source
from app.sources.service import run_source

DESTINATIONS = [("Akkar", "LB-AK", "LB"), ("Baalbek-Hermel", "LB-BH", "LB"),
                ("Latakia", "SY-LA", "SY"), ("Tartus", "SY-TA", "SY"), ("Homs", "SY-HI", "SY"),
                ("Idlib", "SY-ID", "SY"), ("Aleppo", "SY-HL", "SY"), ("Beirut", "LB-BA", "LB"),
                ("Mount Lebanon", "LB-JL", "LB"), ("North Darfur", "SD-DN", "SD"),
                ("Kassala", "SD-KA", "SD"), ("Gedaref", "SD-GD", "SD")]
FILLER = [
    "Officials said talks between the parties would resume next week in the capital.",
    "Residents described shelling that lasted through the night and into the morning.",
    "Humanitarian agencies warned that access to the area remained severely restricted.",
    "Prices of bread and fuel have doubled since the start of the month, traders said.",
    "Electricity and water supplies have been cut in several neighbourhoods.",
    "Schools remained closed for a third consecutive day, parents said.",
    "A spokesperson for the United Nations called for restraint on all sides.",
    "The road between the two cities was closed after heavy fighting.",
    "Aid convoys were waiting at the crossing for permission to enter.",
    "Local councils opened public buildings as temporary shelters.",
]
_SYLLABLES = ("ka", "lo", "mi", "ra", "su", "te", "ban", "dor", "el", "fi", "gu", "ha", "jin",
              "ke", "ma", "no", "pa", "qu", "ri", "sa", "tu", "vo", "wa", "ya", "zen")
# a vocabulary of made-up words: news stories share few word triples, and so should these
WORDS = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES})
FIGURE = "About {n:,} people have arrived in {dest} since {day}, officials said."
HISTORY_START = date(2023, 1, 1)
PER_DAY = 150  # reports a day of stored history: more history is a longer past, not a denser one
WINDOW = 14  # new items talk about the last two weeks
REAL_PRINTS = 1000  # the latest reports stored, whose fingerprints are of their texts


def _story(rng: random.Random, number: int) -> str:
    """An article-like text: two stock sentences and about 120 words of its own."""
    own = " ".join(" ".join(rng.choices(WORDS, k=12)) + "." for _ in range(10))
    return f"Report {number}: " + " ".join(rng.sample(FILLER, 2)) + " " + own


def _figure_text(rng: random.Random, number: int, day: date) -> tuple[str, str, str, date]:
    name, place_id, country = rng.choice(DESTINATIONS)
    text = (_story(rng, number) + " "
            + FIGURE.format(n=rng.randrange(200, 20000), dest=name, day=day.strftime("%d %B")))
    return text, place_id, country, day


def seed(factory: sessionmaker[Session], source_id: int, start: int, stop: int,
         rng: random.Random, figure_share: float, batch: int = 20000) -> None:
    """Bulk-inserts reports start..stop-1 of the seed outlet, their MinHash index, and figures:
    with COPY on PostgreSQL, a plain executemany on SQLite.

    The last REAL_PRINTS reports get the fingerprints of their texts (the feed's syndicated
    copies are of the latest 200); the earlier ones random signatures and band keys, which give
    the index the same rows, size and spread (stories of made-up words share no band either) at
    a tenth of the time a million MinHashes take."""
    engine = factory.kw["bind"]
    noise = np.random.default_rng(rng.getrandbits(64))
    for first in range(start, stop, batch):
        numbers = range(first, min(first + batch, stop))
        reports: list[dict[str, object]] = []
        prints: list[dict[str, object]] = []
        bands: list[tuple[int, int]] = []
        figures: list[dict[str, object]] = []
        now = datetime.now(UTC)
        signatures = noise.integers(0, 1 << 32, size=(len(numbers), dedup.NUM_PERM),
                                    dtype=np.uint32)
        band_keys = noise.integers(-(1 << 63), (1 << 63) - 1, size=(len(numbers), dedup.BANDS),
                                   dtype=np.int64).tolist()
        with factory.begin() as session:
            if engine.dialect.name == "postgresql":
                # the rows are made consistent: no foreign key check a row (16 a report)
                session.execute(text("SET LOCAL session_replication_role = replica"))
            next_id = (session.scalar(select(func.max(Report.id))) or 0) + 1
            for offset, number in enumerate(numbers):
                report_id = next_id + offset
                day = HISTORY_START + timedelta(days=number // PER_DAY)
                with_figure = rng.random() < figure_share
                if with_figure:
                    body, place_id, country, day = _figure_text(rng, number, day)
                else:
                    body = _story(rng, number)
                reports.append({
                    "id": report_id, "source_id": source_id, "text": body,
                    "url": f"https://seed.example/{number}",
                    "canonical_url": f"https://seed.example/{number}", "title": f"Seed {number}",
                    "lang": "en", "content_hash": content_hash(body), "extractor_version": "seed",
                    "published_at": datetime.combine(day, datetime.min.time(), UTC),
                    "ingested_at": now,
                })
                if number >= stop - REAL_PRINTS:
                    print_ = dedup.fingerprint(body)
                    assert print_ is not None
                    signature, keys = print_.signature.tobytes(), sorted(set(print_.bands))
                else:
                    signature, keys = signatures[offset].tobytes(), band_keys[offset]
                prints.append({"report_id": report_id, "signature": signature})
                bands.extend((key, report_id) for key in keys)
                if with_figure:
                    people = rng.randrange(200, 20000)
                    figures.append({
                        "report_id": report_id, "source_id": source_id, "count": people,
                        "qualifier": "about", "unit": "people", "people": people,
                        "kind": "total", "destination_id": place_id,
                        "destination_name": place_id, "destination_country": country,
                        "destination_level": "admin1", "observed_on": day, "span_start": 0,
                        "span_end": 10, "quote": body[-80:], "extractor_version": "seed",
                        "created_at": now, "review_state": "auto",
                    })
            for table, rows in ((Report.__table__, reports),
                                (dedup.ReportFingerprint.__table__, prints),
                                (Figure.__table__, figures)):
                _bulk_insert(session, cast(Table, table), rows)
            _insert_bands(session, bands)
    if engine.dialect.name == "postgresql":
        with factory.begin() as session:
            session.execute(text("SELECT setval(pg_get_serial_sequence('reports', 'id'), "
                                 "(SELECT max(id) FROM reports))"))
        # A steady state, not the minute after a bulk load: what autovacuum does after one
        # (statistics for the planner, hint bits and the visibility map), and the dirty pages
        # written out, so that neither lands in the timed run.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _copy(session: Session) -> Any:
    """The session's psycopg connection, for COPY."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    return driver


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """Inserts rows of the same keys: through COPY on PostgreSQL, else a Core executemany."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    with _copy(session).cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _insert_bands(session: Session, bands: list[tuple[int, int]]) -> None:
    """The band index's rows (16 a report): COPY'd as one block of text on PostgreSQL, the
    driver's executemany of tuples on SQLite; a row a call would take longer than the rest."""
    if session.get_bind().dialect.name != "postgresql":
        session.connection().exec_driver_sql(
            "INSERT INTO report_lsh_bands (band_key, report_id) VALUES (?, ?)", bands)
        return
    block = "".join(f"{key}\t{report_id}\n" for key, report_id in bands).encode()
    with _copy(session).cursor() as cursor, cursor.copy(
            "COPY report_lsh_bands (band_key, report_id) FROM STDIN") as copy:
        copy.write(block)


def feed(rng: random.Random, items: int, tag: str, figure_share: float,
         copies: list[str], today: date) -> bytes:
    """An RSS feed of `items` new reports: some with figures, some syndicated copies."""
    entries = []
    for i in range(items):
        roll = rng.random()
        day = today - timedelta(days=rng.randrange(WINDOW))
        if roll < 0.05 and copies:
            body = "(Syndicated) " + rng.choice(copies) + " Reporting by wire staff."
            # a copy runs after its original: dated before it, the original's "since 12 May"
            # would read as May of the year before
            day = today
        elif roll < 0.05 + figure_share:
            body = _figure_text(rng, i, day)[0]
        else:
            body = _story(rng, i)
        when = datetime.combine(day, datetime.min.time(), UTC)
        entries.append(f"<item><title>{tag} {i}</title><link>https://wire.example/{tag}/{i}"
                       f"</link><pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
                       f"<description>{escape(body)}</description></item>")
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire"
            "</title><link>https://wire.example/</link><description>bench</description>"
            + "".join(entries) + "</channel></rss>").encode()


@contextmanager
def feed_server(feeds: dict[str, bytes]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = feeds.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server database (default SQLite)")
    parser.add_argument("--items", type=int, default=1500, help="new feed items per run")
    parser.add_argument("--sizes", default="10000,1000000", help="reports stored before runs")
    parser.add_argument("--figure-share", type=float, default=0.25,
                        help="share of reports that carry a displacement figure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile each timed run and print its N top functions")
    parser.add_argument("--profile-cpu", action="store_true",
                        help="profile by this process's CPU time, not the clock's (on a busy "
                             "machine the clock counts the waits for a core; the database "
                             "server's time is then left out)")
    parser.add_argument("--profile-file", metavar="PATH",
                        help="with --profile, also save each run's statistics to PATH.<size>")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database filled (its URL is printed) for --existing")
    parser.add_argument("--existing", action="store_true",
                        help="--database-url is a database an earlier --keep run filled: fill "
                             "it on up to each size and time there (use another --seed)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)
    database = (nullcontext(args.database_url) if args.existing
                else scratch_database(args.database_url, keep=args.keep))
    with database as url:
        if not args.existing:
            command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        settings = Settings(database_url=url, outbound_allowlist="127.0.0.1/32",
                            outbound_timeout_seconds=120, scheduler="off",
                            secret_key=SecretStr(secrets.token_urlsafe(32)))
        feeds: dict[str, bytes] = {}
        with factory.begin() as session:
            seed_source = session.scalar(select(Source).where(Source.name == "Seed outlet"))
            wire = session.scalar(select(Source).where(Source.name == "Bench wire"))
            if seed_source is None or wire is None:
                seed_source = Source(name="Seed outlet", kind="manual", params={})
                wire = Source(name="Bench wire", kind="rss", url="http://127.0.0.1/",
                              params={"max_items": 100000})
                session.add_all([seed_source, wire])
                session.flush()
            seed_id, wire_id = seed_source.id, wire.id
            stored = session.scalar(select(func.count(Report.id))
                                    .where(Report.source_id == seed_id)) or 0
        # a worker loads these once, at its first report and its first feed: not in the rate
        load_gazetteer()
        importlib.import_module("app.sources.fetchers.html")
        with feed_server(feeds) as base:
            rates: list[tuple[int, float]] = []
            for size in sizes:
                started = time.perf_counter()
                seed(factory, seed_id, stored, size, rng, args.figure_share)
                stored = max(stored, size)
                seeded_in = time.perf_counter() - started
                with factory() as session:
                    # syndicated copies of the latest stories, as a wire's partners run them
                    copies = list(session.scalars(select(Report.text).where(
                        Report.source_id == seed_id).order_by(Report.id.desc()).limit(200)))
                path = f"/feed-{size}-{args.seed}.xml"
                today = HISTORY_START + timedelta(days=size // PER_DAY)
                feeds[path] = feed(rng, args.items, f"run{size}-{args.seed}", args.figure_share,
                                   copies, today)
                with factory.begin() as session:
                    session.get_one(Source, wire_id).url = base + path
                profiler = (None if not args.profile else cProfile.Profile(time.process_time)
                            if args.profile_cpu else cProfile.Profile())
                started, cpu = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                outcome = run_source(factory, settings, wire_id, "bench")
                if profiler is not None:
                    profiler.disable()
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
                if outcome.status != "ok":
                    raise SystemExit(f"the run failed: {outcome.error}")
                with factory() as session:
                    total = session.scalar(select(func.count(Report.id)))
                    duplicates = session.scalar(select(func.count(Report.id)).where(
                        Report.source_id == wire_id, Report.duplicate_of_id.is_not(None)))
                rate = outcome.items_found / elapsed
                rates.append((size, rate))
                print(f"{size:>7,} stored (seeded in {seeded_in:.0f} s): {outcome.items_found:,}"
                      f" items, {outcome.reports_new:,} new, in {elapsed:.1f} s ({cpu:.1f} s of "
                      f"this process's CPU) = "
                      f"{rate:,.0f} reports/s; {total:,} reports now, {duplicates:,} of the "
                      "wire's marked as duplicates so far")
                if profiler is not None:
                    if args.profile_file:
                        profiler.dump_stats(f"{args.profile_file}.{size}")
                    stats = pstats.Stats(profiler).strip_dirs()
                    stats.sort_stats("cumulative").print_stats(args.profile)
                    stats.sort_stats("tottime").print_stats(args.profile)
                    # the route's stages, each with what it calls
                    stats.sort_stats("cumulative").print_callees(
                        r"\((ingest_many|store_reports|extract_figures|record_figures)\)")
        engine.dispose()
        if args.keep:
            print(f"kept: {url}")
    backend = make_url(url).get_backend_name()
    first, last = rates[0], rates[-1]
    print(f"{backend}: {first[1]:,.0f} reports/s at {first[0]:,} stored, {last[1]:,.0f} at "
          f"{last[0]:,}; ratio {last[1] / first[1]:.2f} (figure share {args.figure_share:.0%})")


if __name__ == "__main__":
    main()
