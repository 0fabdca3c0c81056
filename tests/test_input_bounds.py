"""Hostile input gets a clear 4xx problem, never a 500, on both databases: integers beyond their
columns, NUL characters, explicit nulls in PATCH, dates out of range, Infinity, oversized lists;
and a feed item or a figure the database cannot hold is dropped on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.limits import INT_MAX, MAX_LEVELS
from app.pagination import encode_cursor
from app.pipeline import ingest_many
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.settings import Settings
from app.sources.models import FetchAttempt
from app.sources.service import replay_source, run_source
from tests.dashboard.forms import sign_in

HUGE = 2**63
TOO_BIG = INT_MAX + 1


def _problem(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("path", [
    f"/api/v1/reports/{TOO_BIG}", f"/api/v1/reports/{HUGE}", "/api/v1/reports/0",
    f"/api/v1/sources/{HUGE}", f"/api/v1/sources/{TOO_BIG}/attempts",
    f"/api/v1/alerts/{HUGE}", f"/api/v1/alert-rules/{TOO_BIG}", f"/api/v1/webhooks/{HUGE}",
    f"/api/v1/webhooks/{TOO_BIG}/deliveries",
])
def test_ids_beyond_their_column_are_refused(client: TestClient, admin: dict[str, str],
                                             path: str) -> None:
    _problem(client.get(path, headers=admin))


@pytest.mark.parametrize("params", [
    {"source": str(HUGE)}, {"source": str(TOO_BIG)}, {"cursor": encode_cursor(HUGE)},
    {"cursor": encode_cursor(-1)}, {"cursor": encode_cursor(True)}, {"cursor": "x" * 1000},
])
def test_queries_and_cursors_beyond_their_column_are_refused(
        client: TestClient, admin: dict[str, str], params: dict[str, str]) -> None:
    _problem(client.get("/api/v1/reports", params=params, headers=admin))
    _problem(client.get("/api/v1/figures", params=params, headers=admin))


def test_the_dashboard_refuses_ids_beyond_their_column(client: TestClient,
                                                       admin: dict[str, str]) -> None:
    sign_in(client, admin["Authorization"].removeprefix("Bearer "))
    for path in (f"/alerts/{HUGE}", f"/reports/{TOO_BIG}", "/destinations/LB%00"):
        assert client.get(path, follow_redirects=False).status_code == 422


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/v1/sources", {"name": "a\x00b", "kind": "rss",
                                 "url": "https://feeds.example/rss"}),
    ("post", "/api/v1/places", {"name": "Camp", "country": "LB", "level": "site",
                                "aliases": ["x\x00"]}),
    ("post", "/api/v1/alert-rules", {"name": "r", "kind": "new_destination",
                                     "destinations": ["LB\x00"]}),
    ("post", "/api/v1/webhooks", {"url": "https://hooks.example/x",
                                  "description": "a\x00"}),
    ("post", "/api/v1/silences", {"until": "2030-01-01T00:00:00Z", "reason": "\x00"}),
    ("post", "/api/v1/sources", {"name": "feed", "kind": "hapi",
                                 "params": {"app_identifier": "abcd", "filters": {"a": "\x00"}}}),
])
def test_nul_in_any_text_is_refused(client: TestClient, admin: dict[str, str], method: str,
                                    path: str, body: dict[str, Any]) -> None:
    _problem(client.request(method, path, json=body, headers=admin))


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/figures", {"destination": "LB\x00"}), ("/api/v1/destinations", {"q": "a\x00"}),
    ("/api/v1/alerts", {"destination": "\x00"}), ("/api/v1/series", {"destination": "LB\x00"}),
    ("/api/v1/destinations/LB%00", {}), ("/api/v1/destinations/LB%00/series", {}),
])
def test_nul_in_queries_and_paths_is_refused(client: TestClient, admin: dict[str, str],
                                             path: str, params: dict[str, str]) -> None:
    _problem(client.get(path, params=params, headers=admin))


def test_nul_in_a_reports_text_is_removed(client: TestClient, admin: dict[str, str],
                                          factory: sessionmaker[Session]) -> None:
    sent = client.post("/api/v1/reports", headers=admin, json={
        "text": "Some 2,500 people have\x00 arrived in Hermel district of Lebanon.",
        "title": "Arrivals\x00"})
    assert sent.status_code == 201, sent.text
    with factory() as session:
        report = session.get_one(Report, sent.json()["id"])
        assert "\x00" not in report.text and report.title == "Arrivals"


@pytest.mark.parametrize(("kind", "body"), [
    ("alert-rules", {"name": None}), ("alert-rules", {"severity": None}),
    ("alert-rules", {"params": None}), ("alert-rules", {"enabled": None}),
    ("webhooks", {"url": None}), ("webhooks", {"min_severity": None}),
    ("webhooks", {"enabled": None}),
])
def test_null_for_a_required_field_in_patch_is_refused(
        client: TestClient, admin: dict[str, str], kind: str, body: dict[str, Any]) -> None:
    created = client.post(f"/api/v1/{kind}", headers=admin, json=(
        {"name": "r", "kind": "new_destination"} if kind == "alert-rules"
        else {"url": "https://hooks.example/x"}))
    assert created.status_code == 201, created.text
    _problem(client.patch(f"/api/v1/{kind}/{created.json()['id']}", headers=admin, json=body))


def test_nullable_patch_fields_still_take_null(client: TestClient,
                                               admin: dict[str, str]) -> None:
    rule = client.post("/api/v1/alert-rules", headers=admin,
                       json={"name": "r", "kind": "new_destination", "step": 5}).json()
    changed = client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=admin,
                           json={"step": None, "destinations": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["step"] is None


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("get", "/api/v1/series", {"params": {"destination": "LB", "start": "0001-01-01"}}),
    ("get", "/api/v1/destinations/LB/series", {"params": {"end": "9999-12-31"}}),
    ("get", "/api/v1/series.csv", {"params": {"start": "0001-01-01"}}),
    ("get", "/api/v1/figures", {"params": {"since": "0001-01-01"}}),
    ("post", "/api/v1/silences", {"json": {"until": "9999-12-31T23:59:59-12:00"}}),
    ("post", "/api/v1/silences", {"json": {"until": "0001-01-01T00:00:00+01:00"}}),
    ("post", "/api/v1/reports", {"json": {"text": "Some 2,500 people arrived in Hermel.",
                                          "published_at": "9999-12-31T23:59:59-12:00"}}),
    ("post", "/api/v1/reports", {"json": {"text": "Some 2,500 people arrived in Hermel.",
                                          "published_at": "0001-01-01"}}),
])
def test_dates_out_of_range_are_refused(client: TestClient, admin: dict[str, str], method: str,
                                        path: str, kwargs: dict[str, Any]) -> None:
    _problem(client.request(method, path, headers=admin, **kwargs))


@pytest.mark.parametrize("raw", [
    '{"name": "r", "kind": "jump", "params": {"min_ratio": Infinity}}',
    '{"name": "r", "kind": "jump", "params": {"min_ratio": NaN}}',
    '{"name": "r", "kind": "jump", "params": {"other": -Infinity}}',
    '{"name": "r", "kind": "threshold", "params": {"levels": [9223372036854775808]}}',
    '{"name": "r", "kind": "new_destination", "step": 9223372036854775808}',
])
def test_infinite_or_huge_numbers_in_rules_are_refused(client: TestClient, admin: dict[str, str],
                                                       raw: str) -> None:
    _problem(client.post("/api/v1/alert-rules", content=raw,
                         headers={**admin, "Content-Type": "application/json"}))


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/webhooks", {"url": "https://hooks.example/" + "a" * 3000}),
    ("/api/v1/webhooks", {"url": "https://hooks.example/x", "destinations": ["LB"] * 101}),
    ("/api/v1/places", {"name": "Camp", "country": "LB", "level": "site",
                        "aliases": [f"alias {i}" for i in range(101)]}),
    ("/api/v1/places", {"name": "Camp", "country": "LB", "level": "site",
                        "aliases": ["a" * 201]}),
    ("/api/v1/alert-rules", {"name": "r", "kind": "threshold",
                             "params": {"levels": list(range(1, MAX_LEVELS + 2))}}),
])
def test_lengths_are_capped(client: TestClient, admin: dict[str, str], path: str,
                            body: dict[str, Any]) -> None:
    _problem(client.post(path, headers=admin, json=body))


@pytest.mark.parametrize("number", ["9223372036854775808", "2,500,000,000"])
def test_a_figure_too_large_to_store_is_dropped_and_the_report_kept(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        number: str) -> None:
    sent = client.post("/api/v1/reports", headers=admin, json={
        "text": f"Some {number} people have arrived in Hermel district of Lebanon, and 2,500 "
                "people arrived in Baalbek district of Lebanon.", "published_at": "2025-04-20"})
    assert sent.status_code == 201, sent.text
    assert all(f["people"] <= INT_MAX for f in sent.json()["figures"])
    with factory() as session:
        assert session.scalar(select(func.max(Figure.people))) == 2500


def test_series_sums_saturate_rather_than_overflow(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session]) -> None:
    for district in ("Hermel", "Baalbek"):
        sent = client.post("/api/v1/reports", headers=admin, json={
            "text": f"Some 2,000,000,000 people have arrived in {district} district of Lebanon.",
            "published_at": "2025-04-20"})
        assert sent.status_code == 201, sent.text
        [figure] = sent.json()["figures"]
        assert figure["people"] == 2_000_000_000
    with factory() as session:
        highest = session.scalar(select(func.max(SeriesPoint.estimate)))
    assert highest == INT_MAX


def test_one_feed_item_that_fails_is_recorded_and_the_others_land(
        factory: sessionmaker[Session], settings: Settings, tmp_path: Path) -> None:
    lines = [{"text": f"Some {n},500 people have arrived in Hermel district of Lebanon, item {n}.",
              "published": "2025-04-20"} for n in range(1, 6)]
    lines[2] = {"text": "Some 9223372036854775808 people have arrived in Baalbek district of "
                        "Lebanon.", "published": "2025-04-21"}
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with factory.begin() as session:
        source_id = replay_source(session, "hostile feed", str(feed)).id
    outcome = run_source(factory, settings.model_copy(update={"replay_dir": tmp_path}),
                         source_id, "test")
    assert outcome.status == "ok", outcome.error
    with factory() as session:
        stored = session.scalar(select(func.count(Report.id)).where(Report.source_id == source_id))
        attempt = session.scalars(select(FetchAttempt).where(
            FetchAttempt.source_id == source_id)).one()
    # the too-large figure is dropped and its report kept: every item lands
    assert stored == 5
    assert attempt.status == "ok"


def test_any_exception_from_one_item_is_recorded_against_it(
        factory: sessionmaker[Session], settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only database errors: whatever one item raises (OverflowError from a driver, a bug)
    stays with that item."""
    real = ingest_many

    def poisoned(session: Session, settings: Settings, source: Any, items: list[Any]) -> Any:
        if any("poison" in item.text for item in items):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(session, settings, source, items)

    monkeypatch.setattr("app.sources.service.ingest_many", poisoned)
    lines = [{"text": f"Some {n},500 people have arrived in Hermel district of Lebanon, item {n}.",
              "published": "2025-04-20"} for n in range(1, 6)]
    lines[1]["text"] += " poison"
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with factory.begin() as session:
        source_id = replay_source(session, "poisoned feed", str(feed)).id
    outcome = run_source(factory, settings.model_copy(update={"replay_dir": tmp_path}),
                         source_id, "test")
    assert outcome.status == "ok", outcome.error
    assert outcome.reports_new == 4
    assert outcome.error and outcome.error.startswith("item 2: OverflowError")
