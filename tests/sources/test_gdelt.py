"""GDELT discovery against a GDELT-shaped server on 127.0.0.1: the DOC 2.0 API's article list
over a window (as the shared fixture answers), then each article's page, on both databases."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.errors import InvalidInput, SourceMisconfigured
from app.reports.urls import canonical_url
from app.settings import Settings
from app.sources.fetchers.gdelt import STAMP, build_query, window
from app.sources.models import Source
from app.sources.schemas import validate_params, validate_url
from app.sources.service import run_source
from tests.fakeweb import FakeWeb, Handler, reply
from tests.sources.conftest import add_source, attempts, fixture, reports_of, source_row

HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
PARAMS = {"terms": ["displaced", "fled", "نازحين"], "source_countries": ["LE", "SY"]}


def _page(title: str, text: str, canonical: str) -> bytes:
    paragraph = f"{text} All figures here are synthetic and exist only for software tests. "
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{canonical}"></head><body><article><h1>{title}</h1>'
            f"<p>{paragraph}</p><p>{paragraph}</p></article></body></html>").encode()


@dataclass
class Gdelt:
    """The DOC API as it answers ArtList queries: the articles seen in the window asked for,
    oldest first, at most `maxrecords`; every query it was asked is kept."""

    web: FakeWeb
    articles: list[dict[str, Any]] = field(default_factory=list)
    asked: list[dict[str, str]] = field(default_factory=list)
    asked_at: list[float] = field(default_factory=list)

    def add(self, path: str, seen: datetime, page: bytes, template: int = 0) -> str:
        url = self.web.route(path, reply(200, page, HTML))
        shape = json.loads(fixture("gdelt_doc_artlist.json"))["articles"][template]
        self.articles.append({**shape, "url": url, "seendate": f"{seen:%Y%m%dT%H%M%SZ}"})
        return url

    def handle(self, req: BaseHTTPRequestHandler, web: FakeWeb) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(req.path).query).items()}
        self.asked.append(query)
        self.asked_at.append(time.monotonic())
        start = datetime.strptime(query["startdatetime"], STAMP).replace(tzinfo=UTC)
        end = datetime.strptime(query["enddatetime"], STAMP).replace(tzinfo=UTC)

        def seen(a: dict[str, Any]) -> datetime:
            return datetime.strptime(a["seendate"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

        found = sorted((a for a in self.articles if start <= seen(a) <= end), key=seen)
        found = found[:int(query["maxrecords"])]
        reply(200, json.dumps({"articles": found} if found else {}).encode(), JSON)(req, web)

    def window(self, n: int) -> tuple[datetime, datetime]:
        return tuple(datetime.strptime(self.asked[n][k], STAMP).replace(tzinfo=UTC)
                     for k in ("startdatetime", "enddatetime"))  # type: ignore[return-value]


AKKAR = "Around 9,000 people have crossed into northern Lebanon's Akkar governorate since Friday."
HERMEL = "About 6,500 people have arrived in Hermel in the Baalbek-Hermel governorate."
BASE = "Some 8,000 people were sheltering at the Hmeimim air base near Jableh, officials said."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the five seconds GDELT asks between requests, but for the test of that."""
    return settings.model_copy(update={"gdelt_min_interval_seconds": 0})


@pytest.fixture
def gdelt(web: FakeWeb) -> tuple[Gdelt, str]:
    api = Gdelt(web)
    return api, web.route("/api/v2/doc/doc", api.handle)


def test_two_runs_advance_the_window_without_a_gap_and_read_each_article_once(
        web: FakeWeb, gdelt: tuple[Gdelt, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    api, url = gdelt
    now = datetime.now(UTC)
    api.add("/akkar", now - timedelta(hours=2), _page("Akkar", AKKAR, web.url("/akkar")))
    api.add("/late", now - timedelta(minutes=5),
            _page("Hermel", HERMEL, web.url("/late")), template=1)
    source_id = add_source(factory, "GDELT Syria coast", "gdelt", url, params=PARAMS)

    first = run_source(factory, settings, source_id, "test")
    assert (first.status, first.items_found, first.reports_new) == ("ok", 2, 2), first.error
    query = api.asked[0]
    assert query["mode"] == "ArtList" and query["format"] == "json"
    assert query["query"] == ('(displaced OR fled OR نازحين) '
                              '(sourcecountry:LE OR sourcecountry:SY)')
    start1, end1 = api.window(0)
    assert end1 - start1 == timedelta(hours=24)
    assert source_row(factory, source_id).state == {
        "window_end": f"{end1:{STAMP}}",
        "seen": [canonical_url(web.url("/akkar")), canonical_url(web.url("/late"))]}

    # GDELT indexes an article it saw just before the first run ended only after that run
    api.add("/base", end1 - timedelta(minutes=2), _page("Hmeimim", BASE, web.url("/base")))
    second = run_source(factory, settings, source_id, "test")
    start2, end2 = api.window(1)
    assert start2 <= end1 <= end2  # no minute between the runs is left out
    assert (second.status, second.items_found, second.reports_new) == ("ok", 1, 1), second.error
    # the article of the overlap read by the first run is not fetched again
    assert len(web.hits("/late")) == 1 and len(web.hits("/base")) == 1
    reports = reports_of(factory, source_id)
    assert sorted(r.url or "" for r in reports) == sorted(
        web.url(p) for p in ("/akkar", "/late", "/base"))
    late = next(r for r in reports if r.url == web.url("/late"))
    assert late.lang == "en" and late.title == "Hermel"
    assert [a.status for a in attempts(factory, source_id)] == ["ok", "ok"]


def test_an_article_seen_again_under_another_window_is_not_ingested_twice(
        web: FakeWeb, gdelt: tuple[Gdelt, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    api, url = gdelt
    now = datetime.now(UTC)
    api.add("/akkar", now - timedelta(hours=3), _page("Akkar", AKKAR, web.url("/akkar")))
    source_id = add_source(factory, "GDELT", "gdelt", url, params=PARAMS)
    assert run_source(factory, settings, source_id, "test").reports_new == 1
    # the same story again after the run's overlap: GDELT lists the article once more (a
    # re-crawl, with a tracking parameter) and the same text under another URL
    with factory.begin() as session:
        row = session.get_one(Source, source_id)
        row.state = {**(row.state or {}), "seen": []}
    later = datetime.now(UTC) - timedelta(seconds=1)
    api.articles[0].update(url=api.articles[0]["url"] + "?utm_source=gdelt",
                           seendate=f"{later:%Y%m%dT%H%M%SZ}")
    web.route("/akkar?utm_source=gdelt", reply(200, _page("Akkar", AKKAR, web.url("/akkar")),
                                               HTML))
    api.add("/copy", later, _page("Akkar", AKKAR, web.url("/copy")))
    again = run_source(factory, settings, source_id, "test")
    assert (again.status, again.items_found, again.reports_new) == ("ok", 2, 0), again.error
    [report] = reports_of(factory, source_id)
    assert report.url == web.url("/akkar")


def test_a_full_answer_leaves_the_rest_of_the_window_to_the_next_run(
        web: FakeWeb, gdelt: tuple[Gdelt, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    api, url = gdelt
    now = datetime.now(UTC).replace(microsecond=0)
    for n, (text, hours) in enumerate(((AKKAR, 5), (HERMEL, 4), (BASE, 3))):
        api.add(f"/a{n}", now - timedelta(hours=hours), _page(f"A{n}", text, web.url(f"/a{n}")))
    source_id = add_source(factory, "GDELT", "gdelt", url,
                           params={**PARAMS, "maxrecords": 2, "overlap_minutes": 0})
    first = run_source(factory, settings, source_id, "test")
    assert first.reports_new == 2
    assert first.error and "as many as asked for" in first.error
    assert source_row(factory, source_id).state == {
        "window_end": f"{now - timedelta(hours=4):{STAMP}}",
        "seen": [canonical_url(web.url(p)) for p in ("/a0", "/a1")]}
    second = run_source(factory, settings, source_id, "test")
    assert second.reports_new == 1, second.error
    assert api.window(1)[0] == now - timedelta(hours=4)
    assert len(reports_of(factory, source_id)) == 3


def test_an_article_page_that_fails_is_recorded_and_the_others_land(
        web: FakeWeb, gdelt: tuple[Gdelt, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    api, url = gdelt
    now = datetime.now(UTC)
    api.add("/akkar", now - timedelta(hours=2), _page("Akkar", AKKAR, web.url("/akkar")))
    api.add("/gone", now - timedelta(hours=1), b"")
    web.route("/gone", reply(404, b"no such story"))
    source_id = add_source(factory, "GDELT", "gdelt", url, params=PARAMS)
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 2, 1)
    assert outcome.error and f"article {web.url('/gone')}: " in outcome.error
    assert "not found (HTTP 404)" in outcome.error
    # a page that failed is tried again when GDELT lists it again
    state = source_row(factory, source_id).state
    assert state is not None and state["seen"] == [canonical_url(web.url("/akkar"))]


def test_requests_to_gdelt_are_spaced_as_it_asks(
        web: FakeWeb, gdelt: tuple[Gdelt, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    api, url = gdelt
    paced = settings.model_copy(update={"gdelt_min_interval_seconds": 0.4})
    first = add_source(factory, "GDELT one", "gdelt", url, params=PARAMS)
    second = add_source(factory, "GDELT two", "gdelt", url, params={"terms": ["refugees"]})
    for source_id in (first, second):
        assert run_source(factory, paced, source_id, "test").status == "ok"
    # measured where the requests arrive: the first one's delivery may lag its sending a little
    assert api.asked_at[1] - api.asked_at[0] >= 0.35


def test_pages_slower_than_half_the_lease_leave_the_rest_to_the_next_run(
        web: FakeWeb, gdelt: tuple[Gdelt, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    api, url = gdelt
    now = datetime.now(UTC).replace(microsecond=0)
    api.add("/slow", now - timedelta(hours=3), b"")
    page = _page("Akkar", AKKAR, web.url("/slow"))

    def slow(req: BaseHTTPRequestHandler, w: FakeWeb) -> None:
        w.stop.wait(0.7)  # the server is slow, not the test: it waits on nothing
        reply(200, page, HTML)(req, w)

    web.route("/slow", slow)
    api.add("/next", now - timedelta(hours=2), _page("Hermel", HERMEL, web.url("/next")))
    short = settings.model_copy(update={"source_lease_seconds": 1})
    source_id = add_source(factory, "GDELT", "gdelt", url,
                           params={**PARAMS, "overlap_minutes": 0})
    first = run_source(factory, short, source_id, "test")
    assert first.reports_new == 1 and first.error
    assert "1 articles left for the next run" in first.error
    assert not web.hits("/next")
    state = source_row(factory, source_id).state
    assert state is not None and state["window_end"] == f"{now - timedelta(hours=2):{STAMP}}"
    second = run_source(factory, short, source_id, "test")
    assert second.reports_new == 1, second.error
    assert len(web.hits("/slow")) == 1 and len(reports_of(factory, source_id)) == 2


@dataclass(frozen=True)
class Fault:
    name: str
    handler: Handler
    error: str
    status: str = "error"
    http_status: int | None = 200


FAULTS = [
    Fault("401 with GDELT's body", reply(401, b"Unauthorized: this endpoint needs a key",
                                         {"Content-Type": "text/plain"}),
          "GDELT refused access (HTTP 401): Unauthorized: this endpoint needs a key",
          http_status=401),
    Fault("403 with GDELT's body", reply(403, b"<html><body>Forbidden: your IP is blocked"
                                              b"</body></html>", HTML),
          "GDELT refused access (HTTP 403): <html><body>Forbidden: your IP is blocked",
          http_status=403),
    Fault("429 with Retry-After", reply(429, b"Please limit requests to one every 5 seconds.",
                                        {"Retry-After": "120", "Content-Type": "text/plain"}),
          "GDELT answered HTTP 429; the server asked to retry after 120 s", http_status=429),
    Fault("an empty window", reply(200, b"{}", JSON), "GDELT found no articles from ",
          status="ok"),
    Fault("an HTML error page", reply(200, b"<!DOCTYPE html><html><body><p>Invalid query: "
                                           b"parentheses may only be used around OR'd "
                                           b"statements.</p></body></html>", HTML),
          "GDELT answered with an HTML page instead of JSON (text/html; charset=utf-8): "
          "Invalid query: parentheses may only be used around OR'd statements."),
    Fault("a message in plain text", reply(200, b"The specified phrase is too short.",
                                           {"Content-Type": "text/plain"}),
          "GDELT answered with text instead of JSON (text/plain): The specified phrase is too "
          "short."),
    Fault("malformed JSON", reply(200, b'{"articles": [{"url": "https://a.example/1",', JSON),
          "GDELT did not send valid JSON (application/json; charset=utf-8)"),
    Fault("JSON of another shape", reply(200, b'{"articles": {"url": "x"}}', JSON),
          "GDELT's 'articles' is not a list"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_fault_is_a_recorded_attempt_with_a_clear_error(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings, fault: Fault) -> None:
    url = web.route("/api/v2/doc/doc", fault.handler)
    source_id = add_source(factory, "GDELT", "gdelt", url, params=PARAMS)
    before = datetime.now(UTC)
    outcome = run_source(factory, settings, source_id, "test")
    [attempt] = attempts(factory, source_id)
    assert (attempt.status, attempt.http_status) == (fault.status, fault.http_status)
    assert attempt.error and fault.error in attempt.error, attempt.error
    assert attempt.reports_new == 0 and not reports_of(factory)
    source = source_row(factory, source_id)
    if fault.status == "ok":  # an empty window is read: the next run goes on from its end
        assert source.state and "window_end" in source.state
    else:  # a failed run moves nothing: the next one asks for the same minutes again
        assert source.state is None and outcome.status == "error"
    if fault.http_status == 429:
        assert source.next_fetch_at is not None
        assert source.next_fetch_at.replace(tzinfo=UTC) >= before + timedelta(seconds=120)


def test_the_query_and_the_window() -> None:
    assert build_query({"terms": ["Khmeimim", "air base"], "query": "tone<-2",
                        "source_countries": ["LE"], "source_langs": ["arabic", "english"]}) == (
        '(Khmeimim OR "air base") tone<-2 sourcecountry:LE '
        '(sourcelang:arabic OR sourcelang:english)')
    with pytest.raises(SourceMisconfigured):
        build_query({"source_countries": ["LE"]})
    now = datetime(2026, 12, 3, 12, 0, 30, 999, tzinfo=UTC)
    first = window({}, {"first_window_hours": 6}, now)
    assert (first.start, first.end) == (datetime(2026, 12, 3, 6, 0, 30, tzinfo=UTC),
                                        datetime(2026, 12, 3, 12, 0, 30, tzinfo=UTC))
    later = window({"window_end": "20261203113000"}, {"overlap_minutes": 10}, now)
    assert later.start == datetime(2026, 12, 3, 11, 20, tzinfo=UTC)
    # a source idle for months asks for what GDELT still has, not for what it forgot
    stale = window({"window_end": "20260101000000"}, {}, now)
    assert stale.start == now.replace(microsecond=0) - timedelta(days=90)


def test_a_gdelt_source_is_declared_without_a_url_and_its_params_are_checked() -> None:
    assert validate_url("gdelt", None, None) is None
    checked = validate_params("gdelt", {"terms": ["displaced", " نازحين "],
                                        "source_countries": ["LE"]})
    assert checked["terms"] == ["displaced", "نازحين"]
    assert (checked["overlap_minutes"], checked["maxrecords"]) == (15, 75)
    for bad, says in (({}, "give terms or a query"),
                      ({"terms": ["fled"], "maxrecords": 500}, "params.maxrecords"),
                      ({"terms": ['say "no"']}, "cannot hold quotes"),
                      ({"terms": ["fled"], "source_countries": ["LE OR 1"]}, "not a GDELT")):
        with pytest.raises(InvalidInput, match=says):
            validate_params("gdelt", bad)
