"""Destination summaries (issue 12): kept right by the pipeline on ingest and review, read by the
overview and /api/v1/destinations, and the ETags, 304s, gzip, streamed CSV, cap and cursor of the
reads built on them. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.dashboard.service import recent_destinations
from app.db import make_engine, make_sessionmaker
from app.gazetteer.index import load_gazetteer
from app.main import create_app
from app.series import router as series_router
from app.series.service import by_interval, series_of
from app.settings import Settings
from app.summary.models import DestinationSummary
from app.summary.service import rebuild, summarize, summary_of
from tests.conftest import TemplateDatabase, drop_pg_database, migrate, new_empty_database

D = date(2025, 3, 10)  # a Monday
AKKAR_STOCK = "At least 5,000 displaced people are sheltering in Akkar, officials said."
AKKAR_NEW = "Another 7,000 people arrived in Akkar on Monday, officials said."
BAALBEK = "About 12,000 people have fled to Baalbek-Hermel, officials said."


@pytest.fixture
def settings(db_url: str) -> Settings:
    # a small cap and a low gzip threshold, so that a few figures exercise both
    return Settings(database_url=db_url, scheduler="off", demo=False, public_read=True,
                    series_max_points=7, gzip_min_bytes=500)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def post(client: TestClient, writer: dict[str, str], text: str, day: date) -> dict[str, Any]:
    response = client.post("/api/v1/reports", headers=writer, json={
        "text": text, "published_at": day.isoformat(), "source": "Field team"})
    assert response.status_code == 201, response.text
    [figure] = response.json()["figures"]
    assert isinstance(figure, dict)
    return figure


def review(client: TestClient, writer: dict[str, str], figure_id: int, **body: Any) -> None:
    response = client.post(f"/api/v1/figures/{figure_id}/review", headers=writer, json=body)
    assert response.status_code == 200, response.text


def assert_summaries_recomputed(factory: sessionmaker[Session]) -> set[str]:
    """Every stored summary equals what its series recomputed gives, in both realms, and every
    destination with a series has one; returns the destinations with a series."""
    with factory() as session:
        with_series: set[str] = set()
        for demo in (False, True):
            series = series_of(session, None, None, None, demo=demo)
            rows = {r.destination_id: r for r in session.scalars(
                select(DestinationSummary).where(DestinationSummary.demo == demo))}
            assert set(series) <= set(rows)
            for place_id, row in rows.items():
                assert summary_of(row) == summarize(series.get(place_id, [])), place_id
            with_series |= set(series)
        return with_series


def test_the_summary_is_the_series_recomputed_after_ingest_review_and_staleness(
        client: TestClient, writer: dict[str, str], factory: sessionmaker[Session]) -> None:
    stock = post(client, writer, AKKAR_STOCK, D - timedelta(days=3))
    arrivals = post(client, writer, AKKAR_NEW, D)
    baalbek = post(client, writer, BAALBEK, D + timedelta(days=1))
    assert {"LB-AK", "LB"} <= assert_summaries_recomputed(factory)
    with factory() as session:
        akkar = session.scalars(select(DestinationSummary).where(
            DestinationSummary.destination_id == "LB-AK")).one()
        assert akkar.estimate == 12_000 and akkar.change_3d == 7_000
        version = akkar.version

    review(client, writer, arrivals["id"], action="correct", kind="total",
           reason="7,000 is the number sheltering now")
    assert_summaries_recomputed(factory)
    review(client, writer, baalbek["id"], action="reject", reason="a toll, not arrivals")
    assert_summaries_recomputed(factory)
    review(client, writer, stock["id"], action="reject", reason="not displaced people")
    with factory() as session:
        akkar = session.scalars(select(DestinationSummary).where(
            DestinationSummary.destination_id == "LB-AK")).one()
        assert akkar.estimate == 7_000 and akkar.version > version

    # staleness: the series holds Akkar's estimate past its window; the overview says so
    post(client, writer, BAALBEK.replace("12,000", "13,000"), D + timedelta(days=40))
    assert_summaries_recomputed(factory)
    with factory() as session:
        rows = {r.place.id: r for r in recent_destinations(session, load_gazetteer(),
                                                           today=D + timedelta(days=41))}
    assert rows["LB-AK"].stale and rows["LB-AK"].estimate == 7_000
    assert rows["LB-AK"].change_3d is None and not rows["LB-BH"].stale


def test_a_rebuild_gives_the_rows_the_pipeline_wrote(
        client: TestClient, writer: dict[str, str], factory: sessionmaker[Session]) -> None:
    post(client, writer, AKKAR_STOCK, D)
    post(client, writer, BAALBEK, D + timedelta(days=3))
    with factory() as session:
        kept = {r.destination_id: summary_of(r) for r in session.scalars(
            select(DestinationSummary))}
    with factory.begin() as session:
        session.execute(delete(DestinationSummary))
    with factory.begin() as session:
        assert rebuild(session) == len(kept)
    with factory.begin() as session:
        assert {r.destination_id: summary_of(r) for r in session.scalars(
            select(DestinationSummary))} == kept
        assert rebuild(session) == 0  # nothing differs: no row rewritten, no version moved


def test_unchanged_reads_are_304s_until_a_figure_changes_them(
        client: TestClient, reader: dict[str, str], writer: dict[str, str]) -> None:
    post(client, writer, AKKAR_STOCK, D - timedelta(days=3))
    post(client, writer, BAALBEK, D)
    reads = ["/api/v1/destinations/LB-AK/series", "/api/v1/destinations/LB-BH/series",
             "/api/v1/series?destination=LB-AK,LB-BH", "/api/v1/destinations", "/"]
    tags = {}
    for url in reads:
        first = client.get(url, headers=reader)
        assert first.status_code == 200, url
        tags[url] = first.headers["etag"]
        again = client.get(url, headers={**reader, "If-None-Match": tags[url]})
        assert again.status_code == 304 and again.content == b"", url
        assert again.headers["etag"] == tags[url]
        since = client.get(url, headers={**reader,
                                         "If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304, url
        other = client.get(url, headers={**reader, "If-None-Match": 'W/"something else"'})
        assert other.status_code == 200, url

    post(client, writer, AKKAR_NEW, D + timedelta(days=1))
    for url in reads:
        after = client.get(url, headers={**reader, "If-None-Match": tags[url]})
        # Baalbek-Hermel's own series did not change: still a 304
        assert after.status_code == (304 if url.endswith("LB-BH/series") else 200), url
    series = client.get("/api/v1/destinations/LB-AK/series", headers=reader).json()
    assert series["points"][-1]["estimate"] == 12_000


def test_large_answers_are_gzipped_when_asked_and_keep_their_security_headers(
        client: TestClient, reader: dict[str, str], writer: dict[str, str]) -> None:
    post(client, writer, AKKAR_STOCK, D)
    url = "/api/v1/destinations/LB-AK/series?sources=all"
    zipped = client.get(url, headers={**reader, "Accept-Encoding": "gzip"})
    plain = client.get(url, headers={**reader, "Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()
    for response in (zipped, plain):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "etag" in response.headers
    # the docs' policy hashes their inline script in the plain body, not the gzipped one
    docs = client.get("/docs", headers={"Accept-Encoding": "gzip"})
    assert docs.status_code == 200 and "sha256-" in docs.headers["content-security-policy"]


def _old_csv(factory: sessionmaker[Session], ids: list[str] | None, interval: str) -> str:
    """The CSV as the endpoint wrote it before it streamed: every point at once."""
    gazetteer = load_gazetteer()
    with factory() as session:
        points = series_of(session, ids, None, None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in series_router.CSV_COLUMNS])
    writer.writerow([tag for _, tag in series_router.CSV_COLUMNS])
    for place_id in ids or sorted(points):
        place = gazetteer.get(place_id)
        for p in by_interval(points.get(place_id, []), interval):
            writer.writerow([
                p.day.isoformat(), place.name if place else place_id, place_id,
                place.country if place else "", p.estimate, p.low, p.high, p.new_arrivals,
                "; ".join(sorted({str(s["source"]) for s in p.sources})), "false",
                p.fresh_until.isoformat() if p.fresh_until else "",
                "true" if p.stale else "false"])
    return out.getvalue()


def test_the_streamed_csv_is_the_csv_it_was(
        client: TestClient, reader: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    post(client, writer, AKKAR_STOCK, D - timedelta(days=2))
    post(client, writer, AKKAR_NEW, D + timedelta(days=4))
    post(client, writer, BAALBEK, D + timedelta(days=9))
    # chunks of 3 points: weeks and destinations straddle chunks
    monkeypatch.setattr(series_router, "CSV_CHUNK", 3)
    for interval in ("day", "week"):
        for ids in (None, ["LB-BH", "LB-AK", "LB"]):
            query = f"interval={interval}" + (f"&destination={','.join(ids)}" if ids else "")
            with client.stream("GET", f"/api/v1/series.csv?{query}", headers=reader) as response:
                assert response.status_code == 200
                assert "content-length" not in response.headers  # streamed, not sized
                body = "".join(response.iter_text())
            assert body == _old_csv(factory, ids, interval), (interval, ids)
            assert body.count("\n") > 10


def _walk(client: TestClient, reader: dict[str, str], url: str) -> list[dict[str, Any]]:
    """Every answer from `url` on, following the cursors."""
    answers = []
    cursor = None
    for _ in range(50):
        answer = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=reader).json()
        answers.append(answer)
        cursor = answer["next_cursor"]
        if cursor is None:
            return answers
    raise AssertionError("the cursor never ends")


def test_an_answer_carries_at_most_the_cap_and_a_cursor_gives_the_rest(
        client: TestClient, reader: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session]) -> None:
    post(client, writer, AKKAR_STOCK, D)
    post(client, writer, AKKAR_NEW, D + timedelta(days=10))
    post(client, writer, BAALBEK, D + timedelta(days=2))
    with factory() as session:
        stored = {pid: [p.day.isoformat() for p in points]
                  for pid, points in series_of(session, ["LB-AK", "LB-BH"], None, None).items()}
    assert len(stored["LB-AK"]) > 14

    start = (D - timedelta(days=1)).isoformat()
    pages = _walk(client, reader, f"/api/v1/destinations/LB-AK/series?start={start}")
    assert all(len(p["points"]) <= 7 for p in pages) and len(pages) >= 3
    assert [pt["date"] for p in pages for pt in p["points"]] == stored["LB-AK"]

    weeks = _walk(client, reader,
                  f"/api/v1/destinations/LB-AK/series?start={start}&interval=week")
    mondays = [pt["date"] for p in weeks for pt in p["points"]]
    assert len(mondays) == len(set(mondays))  # no week split across two answers
    with factory() as session:
        whole = by_interval(series_of(session, ["LB-AK"], None, None)["LB-AK"], "week")
    assert mondays == [w.day.isoformat() for w in whole]

    many = _walk(client, reader, f"/api/v1/series?destination=LB-AK,LB-BH&start={start}")
    assert all(sum(len(s["points"]) for s in p["series"]) <= 7 for p in many)
    got: dict[str, list[str]] = {}
    for page in many:
        for s in page["series"]:
            got.setdefault(s["destination"]["id"], []).extend(pt["date"] for pt in s["points"])
    assert got == stored

    bad = client.get("/api/v1/destinations/LB-AK/series?cursor=bm9wZQ", headers=reader)
    assert bad.status_code == 422


def test_points_carry_their_count_and_the_figures_that_set_the_estimate(
        client: TestClient, reader: dict[str, str], writer: dict[str, str]) -> None:
    post(client, writer, AKKAR_STOCK, D - timedelta(days=3))
    post(client, writer, AKKAR_NEW, D + timedelta(days=1))  # on Monday: D
    for n in range(4):
        response = client.post("/api/v1/reports", headers=writer, json={
            "text": f"Some {300 + n} people have arrived in Akkar, officials said.",
            "published_at": (D + timedelta(days=1)).isoformat(), "source": f"Outlet {n}"})
        assert response.status_code == 201
    url = "/api/v1/destinations/LB-AK/series"
    top = client.get(url, headers=reader).json()["points"][-1]
    every = client.get(url + "?sources=all", headers=reader).json()["points"][-1]
    assert top["source_count"] == every["source_count"] == len(every["sources"]) == 6
    assert 0 < len(top["sources"]) <= 3 and all(s in every["sources"] for s in top["sources"])
    # the field team's 5,000 and 7,000 set the estimate of 12,000, not the outlets' few hundred
    assert {s["people"] for s in top["sources"]} == {5_000, 7_000}


def test_without_a_start_a_series_covers_its_last_days(
        client: TestClient, reader: dict[str, str], writer: dict[str, str],
        settings: Settings) -> None:
    post(client, writer, AKKAR_STOCK, D)
    post(client, writer, AKKAR_STOCK.replace("5,000", "6,000"), D + timedelta(days=200))
    days = [p["date"] for page in _walk(client, reader,
                                        "/api/v1/destinations/LB-AK/series?interval=day")
            for p in page["points"]]
    first = date.fromisoformat(days[0])
    last = date.fromisoformat(days[-1])
    assert (last - first).days < settings.series_days and last > D + timedelta(days=200)
    older = client.get(f"/api/v1/destinations/LB-AK/series?start={D.isoformat()}",
                       headers=reader).json()
    assert older["points"][0]["date"] == D.isoformat()



def test_the_migration_fills_the_summaries_of_the_series_already_stored(
        template_db: TemplateDatabase, tmp_path: Path) -> None:
    url, server = new_empty_database(template_db.backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(url, "0009")
        with engine.begin() as conn:
            for k in range(20):
                conn.execute(text(
                    "INSERT INTO series_points (destination_id, parent_id, day, demo, estimate, "
                    "low, high, new_arrivals, sources, fresh_until, stale, updated_at) VALUES "
                    "(:place, 'LB', :day, :demo, :estimate, :estimate, :estimate, 0, '[]', "
                    ":fresh, :stale, :now)"),
                    {"place": "LB-AK" if k % 2 else "LB-BH", "day": D + timedelta(days=k),
                     "demo": k >= 16, "estimate": 1000 + 100 * k,
                     "fresh": D + timedelta(days=13), "stale": k > 13,
                     "now": datetime.now(UTC)})
        migrate(url, "head")
        factory = make_sessionmaker(engine)
        assert assert_summaries_recomputed(factory) == {"LB-AK", "LB-BH"}
        with factory() as session:
            assert len(session.scalars(select(DestinationSummary)).all()) == 4  # two realms
    finally:
        engine.dispose()
        if server:
            drop_pg_database(server, url.rsplit("/", 1)[-1])


def test_a_csv_with_no_points_is_its_two_header_rows(
        client: TestClient, reader: dict[str, str]) -> None:
    body = client.get("/api/v1/series.csv", headers=reader).text
    assert body.splitlines() == [",".join(n for n, _ in series_router.CSV_COLUMNS),
                                 ",".join(t for _, t in series_router.CSV_COLUMNS)]
