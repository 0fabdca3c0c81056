"""Each source kind against a real server on 127.0.0.1 serving the shared payload fixtures."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.sources.service import run_source
from tests.fakeweb import FakeWeb, conditional, reply
from tests.sources.conftest import (
    add_source,
    attempts,
    figures_of,
    fixture,
    point,
    reports_of,
    source_row,
)

RSS = "application/rss+xml; charset=utf-8"


def test_rss_feed_items_become_reports_with_their_figures(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/feed.xml", reply(200, fixture("feed_rss2.xml"), {"Content-Type": RSS}))
    source_id = add_source(factory, "Example Wire", "rss", url)
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 3, 3)
    reports = reports_of(factory, source_id)
    first = next(r for r in reports if r.url and "syria-flee-fixture" in r.url)
    assert first.title == "Thousands flee Syria coast violence to Lebanon's Akkar"
    assert first.published_at == datetime(2025, 3, 12, 10, 15, tzinfo=UTC)
    assert "Around 9,000 people have crossed into Akkar" in first.text
    assert web.hits("/feed.xml")[0].headers["User-Agent"] == settings.user_agent
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.estimate == 9000
    [attempt] = attempts(factory, source_id)
    assert (attempt.status, attempt.http_status, attempt.items_found, attempt.reports_new) == (
        "ok", 200, 3, 3)


def test_a_304_stores_nothing_and_records_not_modified(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/feed.xml", conditional(fixture("feed_rss2.xml"), '"v1"', RSS))
    source_id = add_source(factory, "Example Wire", "rss", url)
    run_source(factory, settings, source_id, "test")
    assert source_row(factory, source_id).etag == '"v1"'
    before = len(reports_of(factory))
    again = run_source(factory, settings, source_id, "test")
    assert again.status == "not_modified"
    assert len(reports_of(factory)) == before
    second = web.hits("/feed.xml")[1]
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == "Mon, 03 Mar 2025 10:00:00 GMT"
    assert [a.status for a in attempts(factory, source_id)] == ["ok", "not_modified"]
    assert attempts(factory, source_id)[1].http_status == 304


def test_an_unchanged_feed_without_validators_adds_nothing(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/feed.xml", reply(200, fixture("feed_rss2.xml"), {"Content-Type": RSS}))
    source_id = add_source(factory, "Example Wire", "rss", url)
    run_source(factory, settings, source_id, "test")
    again = run_source(factory, settings, source_id, "test")
    assert (again.status, again.items_found, again.reports_new) == ("ok", 3, 0)
    assert len(reports_of(factory)) == 3


def _article_feed(web: FakeWeb) -> str:
    article_url = web.route("/world/akkar", reply(200, fixture("article.html"),
                                                  {"Content-Type": "text/html; charset=utf-8"}))
    feed = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>{web.base}</link><description>d</description>
<item><title>Thousands flee to Akkar</title><link>{article_url}</link>
<pubDate>Wed, 12 Mar 2025 10:15:00 GMT</pubDate><description>Short teaser.</description></item>
</channel></rss>""".encode()
    return web.route("/full.xml", reply(200, feed, {"Content-Type": RSS}))


def test_rss_full_text_fetches_the_article_page(web: FakeWeb, factory: sessionmaker[Session],
                                                settings: Settings) -> None:
    source_id = add_source(factory, "Wire (full text)", "rss", _article_feed(web),
                           params={"full_text": True})
    assert run_source(factory, settings, source_id, "test").reports_new == 1
    [report] = reports_of(factory, source_id)
    assert "Around 9,000 people, most of them Alawite civilians" in report.text
    assert "Short teaser" not in report.text and "Unrelated story about football" not in report.text
    assert report.url == web.url("/world/akkar")


def test_html_article_text_date_and_canonical_url(web: FakeWeb, factory: sessionmaker[Session],
                                                  settings: Settings) -> None:
    url = web.route("/story?utm_source=x", reply(200, fixture("article.html"),
                                                 {"Content-Type": "text/html"}))
    source_id = add_source(factory, "Example Wire article", "html", url)
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "ok", outcome.error
    [report] = reports_of(factory, source_id)
    assert report.canonical_url == "https://example-wire.net/world/2025/03/12/syria-flee-fixture"
    assert report.published_at == datetime(2025, 3, 12, 10, 15, tzinfo=UTC)
    assert "About 6,500 more have arrived in Hermel" in report.text
    assert "Most read" not in report.text and "Privacy" not in report.text
    assert {f.destination_id for f in figures_of(factory, source_id)} >= {"LB-AK"}


def test_html_date_from_meta_or_htmldate_when_there_is_no_json_ld(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    paragraph = ("Around 4,000 people have arrived in Akkar since the weekend, a local official "
                 "said, and more are expected as the roads reopen. ") * 3
    page = (f'<html><head><title>Arrivals</title><meta name="date" content="2025-03-09">'
            f"</head><body><article><h1>Arrivals in Akkar</h1><p>{paragraph}</p>"
            f"<p>{paragraph}</p></article></body></html>").encode()
    url = web.route("/nodate", reply(200, page, {"Content-Type": "text/html"}))
    source_id = add_source(factory, "No JSON-LD", "html", url)
    assert run_source(factory, settings, source_id, "test").status == "ok"
    [report] = reports_of(factory, source_id)
    assert report.published_at is not None and report.published_at.date() == date(2025, 3, 9)


def _reliefweb_api(web: FakeWeb, pages: list[bytes]) -> str:
    def handle(req: BaseHTTPRequestHandler, w: FakeWeb) -> None:
        body = json.loads(w.seen[-1].body)
        reply(200, pages[min(body["offset"] // 2, len(pages) - 1)],
              {"Content-Type": "application/json"})(req, w)

    return web.route("/v2/reports", handle)


def test_reliefweb_query_filters_fields_and_paging(web: FakeWeb, factory: sessionmaker[Session],
                                                   settings: Settings) -> None:
    first = json.loads(fixture("v2_reports_list.json"))
    first["totalCount"] = 3
    second = json.loads(fixture("v2_report_full.json"))
    second["data"][0]["fields"]["url_alias"] = "https://reliefweb.int/report/lebanon/other"
    second["data"][0]["fields"]["body"] = "Another update: 1,200 people reached Akkar today."
    url = _reliefweb_api(web, [json.dumps(first).encode(), json.dumps(second).encode()])
    source_id = add_source(factory, "ReliefWeb Lebanon", "reliefweb", url, params={
        "appname": "example-org-dispmon-x7f3", "query": "displaced OR fled", "limit": 2,
        "filters": {"countries": ["syr", "LBN"], "date_from": "2025-03-06T00:00:00+00:00"}})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 3, 3)
    calls = web.hits("/v2/reports")
    assert [c.method for c in calls] == ["POST", "POST"]
    assert parse_qs(urlsplit(calls[0].path).query)["appname"] == ["example-org-dispmon-x7f3"]
    bodies = [json.loads(c.body) for c in calls]
    assert [(b["offset"], b["limit"]) for b in bodies] == [(0, 2), (2, 2)]
    assert bodies[0]["query"] == {"value": "displaced OR fled", "operator": "OR"}
    conditions = bodies[0]["filter"]["conditions"]
    assert {"field": "country.iso3", "value": ["SYR", "LBN"], "operator": "OR"} in conditions
    assert conditions[1]["field"] == "date.created"
    assert {"title", "body", "date.original", "url_alias"} <= set(bodies[0]["fields"]["include"])
    texts = {r.url: r for r in reports_of(factory, source_id)}
    flash = texts["https://reliefweb.int/report/lebanon/lebanon-arrivals-syrias-coastal-"
                  "governorates-flash-update-no-2-fixture"]
    assert flash.published_at == datetime(2025, 3, 13, tzinfo=UTC)
    assert "an estimated 9,000 people have crossed" in flash.text


def test_reliefweb_403_is_a_configuration_error_retried_daily(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/v2/reports", reply(403, fixture("v2_error_403.json"),
                                         {"Content-Type": "application/json"}))
    source_id = add_source(factory, "ReliefWeb", "reliefweb", url, interval_seconds=300,
                           params={"appname": "not-approved"})
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "error"
    assert outcome.error and "refused appname 'not-approved' (HTTP 403)" in outcome.error
    assert "not using an approved appname" in outcome.error
    row = source_row(factory, source_id)
    assert row.next_fetch_at and row.next_fetch_at - datetime.now(UTC) > timedelta(hours=23)
    assert attempts(factory, source_id)[0].http_status == 403


def test_hxl_rows_become_figures_placed_by_pcode(web: FakeWeb, factory: sessionmaker[Session],
                                                 settings: Settings) -> None:
    url = web.route("/dataset.csv", reply(200, fixture("hxl_displacement_sample.csv"),
                                          {"Content-Type": "text/csv"}))
    source_id = add_source(factory, "HDX arrivals", "hxl", url, credibility="A")
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 3, 3), outcome
    figures = {f.destination_id: f for f in figures_of(factory, source_id)}
    assert set(figures) == {"LB-AK", "pcode:LB22", "pcode:SY0602"}
    akkar = figures["LB-AK"]
    assert (akkar.count, akkar.unit, akkar.people, akkar.kind) == (9000, "people", 9000, "total")
    assert akkar.observed_on == date(2025, 3, 12) and akkar.origin_id == "SY"
    assert "Akkar" in akkar.quote and "9,000 people" in akkar.quote
    assert akkar.extractor_version == "hxl"
    hermel = point(factory, "LB-BH", date(2025, 3, 12))
    assert hermel is not None and hermel.estimate == 6500
    lebanon = point(factory, "LB", date(2025, 3, 12))
    assert lebanon is not None and lebanon.estimate == 15500
    again = run_source(factory, settings, source_id, "test")
    assert (again.items_found, again.reports_new) == (3, 0)


def test_hxl_households_only_rows_count_people_by_household_size(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    csv = (b"Governorate,P-code,Date,Households\n#adm1+name,#adm1+code,#date,"
           b"#affected+displaced+hh\nAkkar,LB7,2025-03-14,\"1,000\"\n")
    url = web.route("/hh.csv", reply(200, csv, {"Content-Type": "text/csv"}))
    source_id = add_source(factory, "HH", "hxl", url, params={"country": "LBN"})
    assert run_source(factory, settings, source_id, "test").reports_new == 1
    [figure] = figures_of(factory, source_id)
    assert (figure.count, figure.unit, figure.people) == (1000, "households", 5000)


def test_hapi_idps_keep_the_latest_round_and_send_the_app_identifier(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    data = json.loads(fixture("v2_idps.json"))
    older = {**data["data"][0], "reporting_round": 11, "population": 7000}
    data["data"].append(older)
    url = web.route("/api/v2/affected-people/idps", reply(
        200, json.dumps(data).encode(), {"Content-Type": "application/json"}))
    source_id = add_source(factory, "HAPI IDPs Syria", "hapi", url, params={
        "app_identifier": "ZGlzcG1vbjp0ZXN0QGV4YW1wbGUub3Jn", "endpoint": "idps",
        "filters": {"location_code": "SYR", "admin_level": 2}})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 1, 1), outcome
    query = parse_qs(urlsplit(web.hits("/api/v2/affected-people/idps")[0].path).query)
    assert query["app_identifier"] == ["ZGlzcG1vbjp0ZXN0QGV4YW1wbGUub3Jn"]
    assert query["location_code"] == ["SYR"] and query["offset"] == ["0"]
    [figure] = figures_of(factory, source_id)
    assert (figure.destination_id, figure.people, figure.observed_on) == (
        "pcode:SY0602", 8000, date(2025, 3, 31))


def test_hapi_refugees_count_totals_not_breakdowns(web: FakeWeb, factory: sessionmaker[Session],
                                                   settings: Settings) -> None:
    url = web.route("/api/v2/affected-people/refugees-persons-of-concern", reply(
        200, fixture("v2_refugees_persons_of_concern.json"),
        {"Content-Type": "application/json"}))
    source_id = add_source(factory, "HAPI refugees", "hapi", url, params={
        "app_identifier": "ZGlzcG1vbg==", "endpoint": "refugees-persons-of-concern"})
    assert run_source(factory, settings, source_id, "test").reports_new == 1
    [figure] = figures_of(factory, source_id)
    assert (figure.destination_id, figure.origin_id, figure.people) == ("LB", "SY", 750000)


def test_hapi_403_is_a_configuration_error(web: FakeWeb, factory: sessionmaker[Session],
                                           settings: Settings) -> None:
    url = web.route("/api/v2/affected-people/idps", reply(
        403, fixture("error_403_missing_app_identifier.json"),
        {"Content-Type": "application/json"}))
    source_id = add_source(factory, "HAPI", "hapi", url, params={"app_identifier": "bad!"})
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "error" and outcome.error
    assert "HTTP 403" in outcome.error and "Missing app identifier" in outcome.error
    row = source_row(factory, source_id)
    assert row.next_fetch_at and row.next_fetch_at - datetime.now(UTC) > timedelta(hours=23)


def test_an_xhtml_page_with_an_xml_declaration_is_read(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    page = b'<?xml version="1.0" encoding="iso-8859-1"?>\n' + fixture("article.html").replace(
        b"<!DOCTYPE html>", b"").replace(b"BEIRUT - ", "BEYROUTH \u2013 ".encode("latin-1",
                                                                                 "replace"))
    url = web.route("/xhtml", reply(200, page, {"Content-Type": "application/xhtml+xml"}))
    source_id = add_source(factory, "XHTML", "html", url)
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "ok", outcome.error
    [report] = reports_of(factory, source_id)
    assert "Around 9,000 people, most of them Alawite civilians" in report.text
