"""Real `dispmon worker` processes: two on one PostgreSQL share the due sources without fetching
any twice, and a worker killed mid-ingest leaves whole reports that its successor completes."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.reports.models import Figure, Report
from app.sources.models import FetchAttempt
from tests.fakeweb import FakeWeb, reply
from tests.servers import dispmon_process, served, wait_for
from tests.sources.conftest import add_source, attempts, count, fixture


def _env(db_url: str, **extra: str) -> dict[str, str]:
    return {"DISPMON_DATABASE_URL": db_url, "DISPMON_OUTBOUND_ALLOWLIST": "127.0.0.1/32",
            "DISPMON_SCHEDULER_TICK_SECONDS": "0.2", "DISPMON_DEMO": "false",
            "DISPMON_LOG_LEVEL": "info", **extra}


@contextmanager
def worker(db_url: str, **extra: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """A `dispmon worker` whose output is collected in a list (read by a thread, so the pipe
    never fills and blocks it)."""
    with dispmon_process(["worker"], _env(db_url, **extra)) as proc:
        lines: list[str] = []

        def drain() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        yield proc, lines


def _started(proc: subprocess.Popen[str], lines: list[str]) -> bool:
    if proc.poll() is not None:
        raise AssertionError("worker exited:\n" + "".join(lines))
    return any("worker" in line and "started" in line for line in lines)


def _slow_feed(number: int) -> object:
    body = (f"<rss version='2.0'><channel><title>Feed {number}</title><link>https://f.example/"
            f"</link><description>d</description><item><title>Item {number}</title>"
            f"<link>https://f.example/{number}</link><description>About {1000 + number:,} "
            f"people have arrived in Akkar, officials said in note {number}.</description>"
            "</item></channel></rss>").encode()
    send = reply(200, body, {"Content-Type": "application/rss+xml"})

    def handle(req: BaseHTTPRequestHandler, web: FakeWeb) -> None:
        web.stop.wait(0.3)  # a slow server, so both workers have work in hand at once
        send(req, web)

    return handle


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_fetch_each_due_source_exactly_once(
        backend: str, db_url: str, web: FakeWeb, factory: sessionmaker[Session]) -> None:
    if backend != "postgres":
        pytest.skip("SKIP LOCKED between processes is the PostgreSQL deployment")
    with worker(db_url) as (one, one_out), worker(db_url) as (two, two_out):
        wait_for(lambda: _started(one, one_out) and _started(two, two_out), timeout=60,
                 what="both workers to start")
        ids = [add_source(factory, f"feed {n}", "rss",
                          web.route(f"/feed/{n}.xml", _slow_feed(n)),  # type: ignore[arg-type]
                          interval_seconds=86400)
               for n in range(24)]

        def all_done() -> bool:
            with factory() as session:
                done = session.scalar(select(func.count()).select_from(FetchAttempt).where(
                    FetchAttempt.status != "running"))
            return done == len(ids)

        wait_for(all_done, timeout=90, what="every source fetched")
    for n, source_id in enumerate(ids):
        assert len(web.hits(f"/feed/{n}.xml")) == 1, f"feed {n} fetched more than once"
        [attempt] = attempts(factory, source_id)
        assert attempt.status == "ok" and attempt.reports_new == 1
    with factory() as session:
        workers = set(session.scalars(select(FetchAttempt.worker)))
    assert len(workers) == 2, f"both workers should have fetched: {workers}"
    assert count(factory, Report) == len(ids)


def _big_feed(items: int) -> bytes:
    day = datetime(2025, 3, 1, tzinfo=UTC)
    entries = "".join(
        f"<item><title>Update {i}</title><link>https://wire.example/updates/{i}</link>"
        f"<pubDate>{(day + timedelta(hours=i)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
        f"<description>Update {i}: About {1000 + 7 * i:,} people have arrived in Akkar, in "
        f"northern Lebanon, since Friday, officials said.</description></item>"
        for i in range(items))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire"
            f"</title><link>https://wire.example/</link><description>d</description>{entries}"
            "</channel></rss>").encode()


@pytest.mark.slow
def test_a_worker_killed_mid_ingest_leaves_every_report_once_after_restart(
        db_url: str, web: FakeWeb, factory: sessionmaker[Session]) -> None:
    items = 1000
    url = web.route("/big.xml", reply(200, _big_feed(items),
                                      {"Content-Type": "application/rss+xml"}))
    source_id = add_source(factory, "Big wire", "rss", url, interval_seconds=86400,
                           params={"max_items": 1000})
    lease = {"DISPMON_SOURCE_LEASE_SECONDS": "3"}
    # the observer reads as a plain WAL reader does, without queueing for SQLite's writer: the
    # worker, writing batch after batch, must not be able to hide its progress from it
    observer = create_engine(db_url)

    def stored_so_far() -> int:
        with observer.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Report)) or 0)

    with worker(db_url, **lease) as (proc, out):
        wait_for(lambda: _started(proc, out), timeout=60, what="the worker to start")
        stored = wait_for(lambda: (n := stored_so_far()) >= 25 and n, timeout=60,
                          what="the ingest to be under way")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    observer.dispose()
    assert proc.returncode == -signal.SIGKILL
    partial = count(factory, Report)
    assert stored <= partial < items, "the kill must land in the middle of the ingest"
    with factory() as session:  # whole reports only: each one landed with its figure
        bare = session.scalar(select(func.count()).select_from(Report).where(
            ~Report.id.in_(select(Figure.report_id))))
    assert bare == 0
    with worker(db_url, **lease) as (proc, out):
        def finished() -> bool:
            _started(proc, out)
            return any(a.status == "ok" for a in attempts(factory, source_id))

        wait_for(finished, timeout=120, what="the restarted worker to finish the feed")
    with factory() as session:
        reports = session.scalar(select(func.count()).select_from(Report))
        distinct = session.scalar(select(func.count(func.distinct(Report.canonical_url))))
        figures = session.scalar(select(func.count()).select_from(Figure))
        counts = (select(func.count().label("n")).select_from(Figure)
                  .group_by(Figure.report_id).subquery())
        per_report = session.scalar(select(func.max(counts.c.n)))
    assert reports == distinct == items
    assert figures == items and per_report == 1
    killed, finished_attempt = attempts(factory, source_id)
    assert killed.status == "error" and killed.error and "stopped before finishing" in killed.error
    assert finished_attempt.status == "ok"
    assert finished_attempt.reports_new == items - partial


@pytest.mark.slow
def test_serve_with_the_embedded_scheduler_fetches_the_declared_sources(
        db_url: str, web: FakeWeb, factory: sessionmaker[Session], tmp_path: Path,
        admin: dict[str, str]) -> None:
    url = web.route("/feed.xml", reply(200, fixture("feed_rss2.xml"),
                                       {"Content-Type": "application/rss+xml"}))
    declared = tmp_path / "sources.yaml"
    declared.write_text(f"- {{name: Example Wire, kind: rss, url: '{url}', credibility: B}}\n",
                        encoding="utf-8")
    env = _env(db_url, DISPMON_SCHEDULER="embedded", DISPMON_SOURCES_FILE=str(declared))
    with served(env) as base:
        wait_for(lambda: count(factory, Report) == 3, timeout=60, what="the feed's reports")
        [source] = httpx.get(f"{base}/api/v1/sources", headers=admin).json()["items"]
        attempts_page = httpx.get(f"{base}/api/v1/sources/{source['id']}/attempts",
                                  headers=admin).json()
    assert source["name"] == "Example Wire" and source["credibility"] == "B"
    assert [a["status"] for a in attempts_page["items"]] == ["ok"]
    assert len(web.hits("/feed.xml")) == 1


@pytest.mark.slow
def test_a_worker_alone_fetches_the_declared_sources(
        db_url: str, web: FakeWeb, factory: sessionmaker[Session], tmp_path: Path) -> None:
    url = web.route("/feed.xml", reply(200, fixture("feed_rss2.xml"),
                                       {"Content-Type": "application/rss+xml"}))
    declared = tmp_path / "sources.yaml"
    declared.write_text(f"sources:\n  - {{name: Wire, kind: rss, url: '{url}'}}\n",
                        encoding="utf-8")
    with worker(db_url, DISPMON_SOURCES_FILE=str(declared)) as (proc, lines):
        wait_for(lambda: _started(proc, lines), timeout=60, what="the worker to start")
        wait_for(lambda: count(factory, Report) == 3, timeout=60, what="the feed's reports")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: {not: a list}\n", encoding="utf-8")
    with worker(db_url, DISPMON_SOURCES_FILE=str(broken)) as (proc, lines):
        assert proc.wait(timeout=60) == 2
        wait_for(lambda: any("expected a list" in line for line in lines), timeout=10,
                 what="the reason on stderr")
