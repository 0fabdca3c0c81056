"""What the outside world sends back, each fault from a real server on 127.0.0.1: every one
ends as a failed attempt with a clear error, stores nothing, and the other sources go on."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.jobs import fetch_due_sources
from app.reports.models import Report
from app.settings import Settings
from app.sources.service import run_source
from tests.fakeweb import FakeWeb, Handler, hang, redirect, reply, slow_body
from tests.servers import free_port
from tests.sources.conftest import (
    add_source,
    attempts,
    count,
    figures_of,
    fixture,
    reports_of,
    source_row,
)

RSS = {"Content-Type": "application/rss+xml"}
JSON = {"Content-Type": "application/json"}
BROKEN_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>Good item</title><link>https://a.example/1</link>
<description>About 2,000 people reached Akkar.</description></item>
<item><title>Broken item <description>never closed</item>
</channel>"""
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Example Wire</title></head><body>"
             b"<p>Subscribe to our feed</p></body></html>")


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, scheduler="off", demo=False, public_read=False,
                    outbound_allowlist="127.0.0.1/32", outbound_timeout_seconds=1,
                    outbound_max_bytes=200_000)


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str
    handler: Handler | None  # None: nothing listens at the URL
    error: str
    params: dict[str, object] | None = None
    http_status: int | None = None


def _gzip_bomb() -> Handler:
    return reply(200, gzip.compress(b"<" * 30_000_000, compresslevel=9),
                 {"Content-Encoding": "gzip", **RSS})


FAULTS = [
    Fault("timeout", "rss", hang, "stopped answering: nothing received"),
    Fault("slow body", "rss", slow_body, "sent its body too slowly", http_status=200),
    Fault("404", "rss", reply(404, b"gone fishing"), "not found (HTTP 404)", http_status=404),
    Fault("500", "rss", reply(500, b"oops"), "answered HTTP 500", http_status=500),
    Fault("503", "html", reply(503, b"busy", {"Retry-After": "7200"}),
          "answered HTTP 503; the server asked to retry after 7200 s", http_status=503),
    Fault("redirect loop", "rss", redirect("/fault"), "more than 5 redirects"),
    Fault("body over the cap", "rss", reply(200, b"<rss>" + b" " * 300_000, RSS),
          "over the 200,000-byte limit", http_status=200),
    Fault("gzip bomb", "rss", _gzip_bomb(), "over the 200,000-byte limit (DISPMON_OUTBOUND_MAX_"
                                            "BYTES) once decompressed", http_status=200),
    Fault("malformed XML", "rss", reply(200, BROKEN_FEED, RSS), "the feed at",
          http_status=200),
    Fault("not a feed at all", "rss", reply(200, b"just words", {"Content-Type": "text/plain"}),
          "is not an RSS or Atom feed", http_status=200),
    Fault("HTML where a feed was expected", "rss", reply(200, HTML_PAGE,
                                                         {"Content-Type": "text/html"}),
          "sent an HTML page", http_status=200),
    Fault("empty feed body", "rss", reply(200, b"", RSS), "empty body", http_status=200),
    Fault("malformed JSON", "reliefweb", reply(200, b'{"data": [', JSON),
          "did not send valid JSON", params={"appname": "example-app"}, http_status=200),
    Fault("JSON of the wrong shape", "hapi", reply(200, b'{"items": []}', JSON),
          "no 'data' list", params={"app_identifier": "ZGlzcG1vbg=="}, http_status=200),
    Fault("malformed CSV", "hxl", reply(200, b'#adm1+name,#affected+idps\n"Akkar,12\n',
                                        {"Content-Type": "text/csv"}), "not a readable CSV",
          http_status=200),
    Fault("CSV without hashtags", "hxl", reply(200, b"a,b\n1,2\n", {"Content-Type": "text/csv"}),
          "no HXL hashtag row", http_status=200),
    Fault("HTML where a CSV was expected", "hxl", reply(200, HTML_PAGE,
                                                        {"Content-Type": "text/html"}),
          "sent an HTML page, not a CSV", http_status=200),
    Fault("an article page that is no article", "html", reply(
        200, b"<html><body></body></html>", {"Content-Type": "text/html"}),
          "no article text found", http_status=200),
    Fault("nothing listening", "rss", None, "could not connect to 127.0.0.1"),
]


def _healthy(web: FakeWeb) -> str:
    return web.route("/healthy.xml", reply(200, fixture("feed_rss2.xml"), RSS))


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_fault_is_a_recorded_failure_and_the_others_go_on(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings, fault: Fault) -> None:
    url = (web.route("/fault", fault.handler) if fault.handler
           else f"http://127.0.0.1:{free_port()}/fault")
    bad = add_source(factory, f"faulty {fault.kind}", fault.kind, url, params=fault.params or {})
    good = add_source(factory, "healthy feed", "rss", _healthy(web))
    started = datetime.now(UTC)
    outcomes = {o.source_id: o for o in fetch_due_sources(factory, settings, "worker-1", limit=10)}
    assert outcomes[bad].status == "error"
    assert outcomes[good].status == "ok" and outcomes[good].reports_new == 3
    [attempt] = attempts(factory, bad)
    assert attempt.status == "error" and attempt.finished_at is not None
    assert attempt.error and fault.error in attempt.error, attempt.error
    assert attempt.http_status == fault.http_status
    assert reports_of(factory, bad) == [] and figures_of(factory, bad) == []
    row = source_row(factory, bad)
    assert row.consecutive_failures == 1 and row.lease_until is None
    assert row.next_fetch_at is not None and row.next_fetch_at > started
    assert (datetime.now(UTC) - started) < timedelta(seconds=10)


def test_retry_after_pushes_the_next_fetch_back(web: FakeWeb, factory: sessionmaker[Session],
                                                settings: Settings) -> None:
    url = web.route("/busy", reply(503, b"busy", {"Retry-After": "7200"}))
    source_id = add_source(factory, "busy", "rss", url, interval_seconds=60)
    run_source(factory, settings, source_id, "w")
    next_fetch = source_row(factory, source_id).next_fetch_at
    assert next_fetch and next_fetch - datetime.now(UTC) > timedelta(seconds=7100)


def test_a_blocked_address_is_a_clear_failure(factory: sessionmaker[Session],
                                              settings: Settings) -> None:
    source_id = add_source(factory, "metadata", "rss", "http://169.254.169.254/latest/")
    outcome = run_source(factory, settings, source_id, "w")
    assert outcome.status == "error" and outcome.error
    assert "169.254.169.254 (link-local)" in outcome.error
    assert "DISPMON_OUTBOUND_ALLOWLIST" in outcome.error


def test_a_feed_with_a_wrong_charset_is_read_right(web: FakeWeb, factory: sessionmaker[Session],
                                                   settings: Settings) -> None:
    feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Le Réveil</title>"
            "<link>https://reveil.example/</link><description>d</description>"
            "<item><title>Arrivées à Akkar</title><link>https://reveil.example/1</link>"
            "<description>Près de 3 000 réfugiés sont arrivés à Akkar.</description></item>"
            "</channel></rss>").encode("cp1252")
    url = web.route("/latin.xml", reply(200, feed,
                                        {"Content-Type": "application/rss+xml; charset=utf-8"}))
    source_id = add_source(factory, "Le Réveil", "rss", url, lang="fr")
    assert run_source(factory, settings, source_id, "w").status == "ok"
    [report] = reports_of(factory, source_id)
    assert "Près de 3 000 réfugiés sont arrivés à Akkar" in report.text


def test_a_csv_without_charset_in_latin1_is_read_right(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    csv = "Gouvernorat,Pays,Personnes\n#adm1+name,#country+code,#affected+idps\n" \
          "Lattaquié,SYR,4200\n".encode("latin-1")
    url = web.route("/fr.csv", reply(200, csv, {"Content-Type": "text/csv"}))
    source_id = add_source(factory, "CSV latin-1", "hxl", url)
    assert run_source(factory, settings, source_id, "w").status == "ok"
    [figure] = figures_of(factory, source_id)
    assert (figure.destination_id, figure.people) == ("SY-LA", 4200)
    assert "Lattaquié" in figure.quote


def test_a_bad_row_is_refused_and_named_while_good_rows_are_stored(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    csv = (b"#adm1+code,#affected+idps\nLB7,1200\nLB8,lots\n")
    url = web.route("/rows.csv", reply(200, csv, {"Content-Type": "text/csv"}))
    source_id = add_source(factory, "rows", "hxl", url)
    outcome = run_source(factory, settings, source_id, "w")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 2, 1)
    assert outcome.error and "row 3: #affected+idps value 'lots' is not a whole number" in (
        outcome.error)
    assert count(factory, Report) == 1


def test_failures_back_off_and_a_day_of_them_is_checked_hourly(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/down", reply(500, b"down"))
    source_id = add_source(factory, "down", "rss", url, interval_seconds=60)
    delays = []
    for _ in range(12):
        before = datetime.now(UTC)
        run_source(factory, settings, source_id, "w")
        next_fetch = source_row(factory, source_id).next_fetch_at
        assert next_fetch is not None
        delays.append((next_fetch - before).total_seconds())
    assert delays[0] < 200 < delays[2] < delays[4]
    assert all(3600 <= d <= 3600 * 1.1 + 5 for d in delays[7:])
    assert source_row(factory, source_id).consecutive_failures == 12
