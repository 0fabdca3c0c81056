"""The agencies' structured sources (IOM DTM, UNHCR, IDMC) against a local server playing each
API: figures land at the right places, dates and origins; a bad row is recorded and the others
land; each fault ends as a recorded attempt with a clear error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pycountry
import pytest
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.sources import service as sources_service
from app.sources.fetchers import dtm
from app.sources.schemas import SourceIn
from app.sources.service import create_source, run_source
from tests.fakeweb import FakeWeb, Handler, reply
from tests.sources.conftest import add_source, attempts, figures_of, fixture, point, reports_of

JSON = {"Content-Type": "application/json"}
KEY = "dtm-test-key-0123"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, scheduler="off", demo=False, public_read=False,
                    outbound_allowlist="127.0.0.1/32", outbound_timeout_seconds=3,
                    dtm_api_key=SecretStr(KEY))


def _query(web: FakeWeb, path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(web.hits(path)[0].path).query)


def test_dtm_admin1_lands_at_the_pcode_s_place_as_of_its_reporting_date(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/v3/displacement/admin1", reply(200, fixture(
        "dtm_v3_displacement_admin1.json"), JSON))
    source_id = add_source(factory, "IOM DTM Syria", "dtm", url, params={
        "level": "admin1", "filters": {"Admin0Pcode": "SYR", "FromReportingDate": "2025-03-01"}})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 1, 1), outcome
    hit = web.hits("/v3/displacement/admin1")[0]
    assert hit.headers["Ocp-Apim-Subscription-Key"] == KEY
    assert _query(web, "/v3/displacement/admin1")["Admin0Pcode"] == ["SYR"]
    [figure] = figures_of(factory, source_id)
    assert (figure.destination_id, figure.people, figure.as_of, figure.observed_on) == (
        "SY-LA", 8000, date(2025, 3, 14), date(2025, 3, 14))
    assert figure.extractor_version == "dtm:admin1" and "round 5" in figure.quote
    latakia = point(factory, "SY-LA", date(2025, 3, 14))
    assert latakia is not None and latakia.estimate == 8000


def test_dtm_admin2_keeps_the_latest_round_and_records_a_row_without_a_count(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/v3/displacement/admin2", reply(200, fixture(
        "dtm_v3_displacement_admin2.json"), JSON))
    source_id = add_source(factory, "IOM DTM Syria admin2", "dtm", url,
                           params={"level": "admin2", "filters": {"Admin0Pcode": "SYR"}})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.reports_new) == ("ok", 2), outcome
    placed = {(f.destination_id, f.people, f.as_of) for f in figures_of(factory, source_id)}
    assert placed == {("pcode:SY0602", 5200, date(2025, 3, 17)),
                      ("pcode:SY1002", 2600, date(2025, 3, 17))}
    [attempt] = attempts(factory, source_id)
    assert attempt.error and "id 9900104" in attempt.error and "no IDP count" in attempt.error
    # the same answer again stores nothing new
    assert run_source(factory, settings, source_id, "test").reports_new == 0


def test_unhcr_population_lands_per_country_of_asylum_with_its_origin(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/population/v1/population/", reply(200, fixture(
        "unhcr_population_v1.json"), JSON))
    source_id = add_source(factory, "UNHCR Syrians in Lebanon", "unhcr", url, params={
        "yearFrom": 2023, "yearTo": 2024, "coo": "SYR", "coa": "LBN"})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.reports_new) == ("ok", 2), outcome
    query = _query(web, "/population/v1/population/")
    assert query["cf_type"] == ["ISO"] and query["coo"] == ["SYR"] and query["page"] == ["1"]
    figures = sorted(figures_of(factory, source_id), key=lambda f: f.observed_on)
    assert [(f.destination_id, f.origin_id, f.people, f.as_of) for f in figures] == [
        ("LB", "SY", 789000, date(2023, 12, 31)), ("LB", "SY", 758500, date(2024, 12, 31))]
    assert "Syrian Arab Rep. (SYR)" in figures[0].quote


def test_unhcr_mid_year_pages_and_one_bad_item_among_good_ones(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    def item(coa: str, name: str, refugees: Any) -> dict[str, Any]:
        return {"year": 2025, "coo_iso": "SYR", "coo_name": "Syrian Arab Rep.", "coa_iso": coa,
                "coa_name": name, "refugees": refugees, "asylum_seekers": "-"}

    pages = {
        "1": {"page": 1, "maxPages": 2, "items": [item("LBN", "Lebanon", 700000),
                                                  item("JOR", "Jordan", "abc")]},
        # a count no database column holds: refused by the database, in its own transaction
        "2": {"page": 2, "maxPages": 2, "items": [item("TUR", "Turkiye", 10**20),
                                                  item("IRQ", "Iraq", 250000)]},
    }

    def paged(req: Any, _web: FakeWeb) -> None:
        page = parse_qs(urlsplit(req.path).query)["page"][0]
        reply(200, json.dumps(pages[page]).encode(), JSON)(req, _web)

    url = web.route("/unhcr", paged)
    source_id = add_source(factory, "UNHCR mid-year", "unhcr", url,
                           params={"coo": "SYR", "mid_year": True})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 4, 2), outcome
    landed = {(f.destination_id, f.people, f.as_of) for f in figures_of(factory, source_id)}
    assert landed == {("LB", 700000, date(2025, 6, 30)), ("IQ", 250000, date(2025, 6, 30))}
    assert outcome.error and "refugees 'abc' not a count" in outcome.error
    assert "item 2: bad structured figure" in outcome.error  # Turkiye, among rows to store
    assert len(web.hits("/unhcr")) == 2


def test_idmc_events_become_new_displacement_at_their_place(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings) -> None:
    url = web.route("/idus", reply(200, fixture("idmc_idus.json"), JSON))
    source_id = add_source(factory, "IDMC IDU", "idmc", url,
                           params={"client_id": "IDMCWSHSOLO009"})
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 3, 2), outcome
    assert _query(web, "/idus")["client_id"] == ["IDMCWSHSOLO009"]
    by_place = {f.destination_id: f for f in figures_of(factory, source_id)}
    assert set(by_place) == {"pcode:SY0602", "LB-AK"}
    jableh, akkar = by_place["pcode:SY0602"], by_place["LB-AK"]
    assert (jableh.kind, jableh.qualifier, jableh.people, jableh.as_of) == (
        "new", "more_than", 6000, date(2025, 3, 9))
    assert (akkar.qualifier, akkar.as_of) == ("about", date(2025, 3, 12))
    assert "Example Agency (fixture)" in jableh.quote and "between 2025-03-07" in jableh.quote
    assert {r.url for r in reports_of(factory, source_id)} == {
        "https://example.org/idmc-fixture-1", "https://example.org/idmc-fixture-2"}
    assert outcome.error and "IDMC event 990003: figure 'unknown' is not a count" in outcome.error


def test_an_agency_source_is_graded_a_unless_staff_say_otherwise(
        factory: sessionmaker[Session], settings: Settings) -> None:
    with factory.begin() as session:
        dtm = create_source(session, settings, SourceIn(name="DTM", kind="dtm"))
        unhcr = create_source(session, settings, SourceIn(name="UNHCR", kind="unhcr",
                                                          credibility="B"))
        feed = create_source(session, settings, SourceIn(name="Feed", kind="rss",
                                                         url="https://example.org/feed"))
        assert (dtm.credibility, unhcr.credibility, feed.credibility) == ("A", "B", "C")
        assert dtm.params == {"level": "admin1", "filters": {}}


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str
    handler: Handler
    error: str
    http_status: int | None
    params: dict[str, object]


DTM: dict[str, object] = {"filters": {"Admin0Pcode": "SYR"}}
IDMC: dict[str, object] = {"client_id": "IDMCWSHSOLO009"}
FAULTS = [
    Fault("DTM 401 with its own body", "dtm", reply(401, fixture("dtm_error_401.json"), JSON),
          "refused access (HTTP 401): {\"statusCode\": 401, \"message\": \"Access denied due to "
          "missing subscription key", 401, DTM),
    Fault("DTM 403", "dtm", reply(403, b'{"statusCode": 403, "message": "Out of call volume '
                                       b'quota."}', JSON),
          "Out of call volume quota", 403, DTM),
    Fault("DTM 429 with Retry-After", "dtm", reply(429, b'{"statusCode": 429, "message": '
                                                        b'"Rate limit is exceeded."}',
                                                   {**JSON, "Retry-After": "60"}),
          "answered HTTP 429; the server asked to retry after 60 s", 429, DTM),
    Fault("DTM empty result", "dtm", reply(200, b'{"isSuccess": true, "result": [], '
                                                b'"errorMessages": []}', JSON),
          "found no admin1 rows for the filters {'Admin0Pcode': 'SYR'}", 200, DTM),
    Fault("DTM refusal in the envelope", "dtm", reply(200, b'{"isSuccess": false, "result": '
                                                           b'null, "errorMessages": ["Admin0Pcode'
                                                           b' XYZ is not valid"]}', JSON),
          "refused the query: Admin0Pcode XYZ is not valid", 200, DTM),
    Fault("DTM malformed page", "dtm", reply(200, b'{"isSuccess": true, "result": [{"id"', JSON),
          "the IOM DTM API did not send valid JSON", 200, DTM),
    Fault("UNHCR 429 with Retry-After", "unhcr", reply(429, b"Too Many Requests",
                                                       {"Retry-After": "120"}),
          "answered HTTP 429; the server asked to retry after 120 s", 429, {}),
    Fault("UNHCR empty result", "unhcr", reply(200, b'{"page": 1, "maxPages": 0, "items": []}',
                                               JSON),
          "found no items for {'coo': 'SYR', 'cf_type': 'ISO'}", 200, {"coo": "SYR"}),
    Fault("UNHCR malformed page", "unhcr", reply(200, b"<html><body>Bad gateway</body></html>",
                                                 {"Content-Type": "text/html"}),
          "did not send valid JSON (text/html)", 200, {}),
    Fault("IDMC 403 with its own body", "idmc", reply(403, b'{"detail": "Invalid client id."}',
                                                      JSON),
          "refused access (HTTP 403): {\"detail\": \"Invalid client id.\"}", 403, IDMC),
    Fault("IDMC empty result", "idmc", reply(200, b"[]", JSON), "sent no events", 200, IDMC),
    Fault("IDMC wrong shape", "idmc", reply(200, b'{"detail": "oops"}', JSON),
          "not a list of events", 200, IDMC),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_fault_is_a_recorded_attempt_with_a_clear_error(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings, fault: Fault) -> None:
    url = web.route("/fault", fault.handler)
    source_id = add_source(factory, fault.name, fault.kind, url, params=fault.params)
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "error"
    [attempt] = attempts(factory, source_id)
    assert attempt.status == "error" and attempt.finished_at is not None
    assert attempt.error and fault.error in attempt.error, attempt.error
    assert attempt.http_status == fault.http_status
    assert figures_of(factory, source_id) == []


def test_dtm_without_a_key_is_misconfigured(web: FakeWeb, factory: sessionmaker[Session],
                                            settings: Settings) -> None:
    url = web.route("/v3/displacement/admin1", reply(200, b"{}", JSON))
    source_id = add_source(factory, "DTM", "dtm", url, params=DTM)
    outcome = run_source(factory, settings.model_copy(update={"dtm_api_key": None}), source_id,
                         "test")
    assert outcome.status == "error" and outcome.error
    assert "DISPMON_DTM_API_KEY" in outcome.error
    assert web.hits("/v3/displacement/admin1") == []


def test_a_replay_of_agency_rows_stores_them_as_structured_figures(
        factory: sessionmaker[Session], settings: Settings, tmp_path: Path) -> None:
    """A backfill of an agency's figures: replay lines with `figures` skip the extractor; a bad
    line is recorded and the others land."""
    lines = [
        {"text": "DTM backfill: 3,300 IDPs present in Jablah (SY0602), reported 2025-02-20.",
         "published": "2025-02-21", "method": "replay:dtm",
         "figures": [{"count": 3300, "pcodes": ["SY0602"], "country": "SYR",
                      "as_of": "2025-02-20"}]},
        {"text": "UNHCR backfill: 750,000 refugees from Syria in Lebanon, end of 2024.",
         "figures": [{"count": 750000, "country": "LBN", "origin_country": "SYR",
                      "as_of": "2024-12-31"}]},
        {"text": "a row with a negative count", "figures": [{"count": -5, "country": "LBN"}]},
    ]
    (tmp_path / "backfill.jsonl").write_text("\n".join(json.dumps(x) for x in lines),
                                             encoding="utf-8")
    source_id = add_source(factory, "DTM backfill", "replay", str(tmp_path / "backfill.jsonl"))
    outcome = run_source(factory, settings.model_copy(update={"replay_dir": tmp_path}),
                         source_id, "test")
    assert (outcome.status, outcome.items_found, outcome.reports_new) == ("ok", 3, 2), outcome
    assert outcome.error and "backfill.jsonl:3: figures.0.count" in outcome.error
    landed = {(f.destination_id, f.origin_id, f.people, f.as_of, f.extractor_version)
              for f in figures_of(factory, source_id)}
    assert landed == {("pcode:SY0602", None, 3300, date(2025, 2, 20), "replay:dtm"),
                      ("LB", "SY", 750000, date(2024, 12, 31), "replay")}


def test_a_dtm_row_is_placed_at_its_own_level_or_not_at_all() -> None:
    row = {"id": 1, "operation": "op", "admin0Pcode": "SYR", "admin1Pcode": "SY06",
           "admin1Name": "Lattakia", "admin2Pcode": "SY0699", "admin2Name": "Nowhere",
           "numPresentIdpInd": 10, "reportingDate": "2025-03-01T00:00:00", "roundNumber": 1}
    [district], _ = dtm.read_rows([row], "https://dtm.example/admin2", "admin2")
    assert (district.figures[0].pcodes, district.figures[0].names) == (("SY0699",), ("Nowhere",))
    assert "Nowhere, Lattakia, SYR" in district.quote
    [governorate], _ = dtm.read_rows([row], "https://dtm.example/admin1", "admin1")
    assert governorate.figures[0].pcodes == ("SY06",)
    [country], _ = dtm.read_rows([row], "https://dtm.example/admin0", "admin0")
    assert (country.figures[0].pcodes, country.figures[0].country) == ((), "SYR")


def test_rows_are_stored_in_batches_one_transaction_each(
        web: FakeWeb, factory: sessionmaker[Session], settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources_service, "INGEST_BATCH", 100)  # 150 rows: two batches
    countries = sorted(c.alpha_3 for c in pycountry.countries)[:150]
    items = [{"year": 2024, "coo_iso": "SYR", "coa_iso": code, "coa_name": code,
              "refugees": 1000 + n, "asylum_seekers": 0} for n, code in enumerate(countries)]
    url = web.route("/unhcr", reply(200, json.dumps(
        {"page": 1, "maxPages": 1, "items": items}).encode(), JSON))
    source_id = add_source(factory, "UNHCR everywhere", "unhcr", url)
    commits: list[int] = []
    # real commits on the connection (an alert's savepoint is no transaction of its own)
    event.listen(factory.kw["bind"], "commit", lambda _conn: commits.append(1))
    outcome = run_source(factory, settings, source_id, "test")
    assert (outcome.status, outcome.reports_new) == ("ok", 150), outcome
    # the attempt opened, two batches (100 + 50 rows), the attempt closed
    assert len(commits) == 4
    assert len(figures_of(factory, source_id)) == 150
