"""What a series answer shows of the figures behind a point is what the whole list gives: their
number, the few of the source that sets the estimate, and in the CSV the source names, whether
read from the columns kept beside the list or from the list itself (`sources=all`)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_sessionmaker
from app.series.models import PointSource, SeriesPoint
from app.series.schemas import SeriesOut
from app.series.service import leading
from tests.conftest import TemplateDatabase, drop_pg_database, migrate, new_empty_database
from tests.webhooks.helpers import demo_reports

PLACES = ["LB-BH", "LB", "site:khmeimim-air-base"]


def _post_from_two_desks(client: TestClient, writer: dict[str, str]) -> None:
    """The demo story, every other report from another desk: points behind two sources."""
    for k, r in enumerate(demo_reports()):
        response = client.post("/api/v1/reports", headers=writer, json={
            "text": r["text"], "title": r["title"], "url": r["url"],
            "published_at": r["published"], "lang": r["lang"],
            "source": "Demo desk" if k % 2 else "Field desk"})
        assert response.status_code in (200, 201), response.text


def _top(sources: list[PointSource]) -> list[PointSource]:
    """The figures an answer showed when it computed them from the whole list: those of the
    source whose figures add up to the most people, its newest three."""
    by_source: dict[int, list[PointSource]] = {}
    for s in sources:
        by_source.setdefault(s["source_id"], []).append(s)
    if not by_source:
        return []
    return max(by_source.values(), key=lambda group: sum(s["people"] for s in group))[-3:]


def _stored(factory: sessionmaker[Session]) -> dict[str, dict[date, list[PointSource]]]:
    out: dict[str, dict[date, list[PointSource]]] = defaultdict(dict)
    with factory() as session:
        for place, day, sources in session.execute(
                select(SeriesPoint.destination_id, SeriesPoint.day, SeriesPoint.sources)
                .where(SeriesPoint.destination_id.in_(PLACES), SeriesPoint.demo.is_(False))):
            out[place][day] = sources
    return out


def _behind(points: dict[date, list[PointSource]], interval: str) -> dict[str, list[PointSource]]:
    """The whole list behind each period of an answer: the day's, or the week's last day's."""
    if interval == "day":
        return {d.isoformat(): s for d, s in points.items()}
    out: dict[str, tuple[date, list[PointSource]]] = {}
    for d, s in sorted(points.items()):
        out[(d - timedelta(days=d.weekday())).isoformat()] = (d, s)
    return {monday: s for monday, (_, s) in out.items()}


def _shown(sources: list[PointSource]) -> list[dict[str, Any]]:
    return [{"source_id": s["source_id"], "source": s["source"], "figure_id": s["figure_id"],
             "people": s["people"], "day": s["day"]} for s in sources]


def test_answers_show_what_the_whole_list_gives(
        client: TestClient, writer: dict[str, str], reader: dict[str, str],
        factory: sessionmaker[Session]) -> None:
    _post_from_two_desks(client, writer)
    stored = _stored(factory)
    assert all(stored[p] for p in PLACES)
    assert any(len({s["source_id"] for s in sources}) > 1 and len(sources) > 3
               for points in stored.values() for sources in points.values())
    wide = {"start": "2024-01-01", "end": "2026-12-31"}
    for interval in ("day", "week"):
        for place in PLACES:
            behind = _behind(stored[place], interval)
            answers = {shown: client.get(f"/api/v1/destinations/{place}/series", headers=reader,
                                         params={**wide, "interval": interval,
                                                 "sources": shown})
                       for shown in ("top", "all")}
            every, top = answers["all"].json(), answers["top"].json()
            assert [p["date"] for p in every["points"]] == sorted(behind)
            for p in every["points"]:
                assert p["source_count"] == len(behind[p["date"]])
                assert p["sources"] == _shown(behind[p["date"]])
            # the same answer but for the figures shown, byte for byte
            expected = {**every, "points": [{**p, "sources": _shown(_top(behind[p["date"]]))}
                                            for p in every["points"]]}
            assert top == expected
            assert answers["top"].content == \
                SeriesOut.model_validate(expected).model_dump_json().encode()
        for shown in ("top", "all"):
            many = client.get("/api/v1/series", headers=reader, params={
                **wide, "interval": interval, "sources": shown,
                "destination": ",".join(PLACES)}).json()
            for series in many["series"]:
                one = client.get(f"/api/v1/destinations/{series['destination']['id']}/series",
                                 headers=reader, params={**wide, "interval": interval,
                                                         "sources": shown}).json()
                assert series["points"] == one["points"]
        rows = list(csv.reader(io.StringIO(client.get(
            "/api/v1/series.csv", headers=reader,
            params={**wide, "interval": interval, "destination": ",".join(PLACES)}).text)))
        header = rows[0]
        written = {(r[header.index("destination_id")], r[header.index("date")]):
                   r[header.index("sources")] for r in rows[2:]}
        assert written == {
            (place, d): "; ".join(sorted({s["source"] for s in sources}))
            for place in PLACES for d, sources in _behind(stored[place], interval).items()}
        assert {"Demo desk; Field desk"} <= set(written.values())


def test_the_migration_fills_the_columns_of_the_points_already_stored(
        template_db: TemplateDatabase, tmp_path: Path) -> None:
    url, server = new_empty_database(template_db.backend, tmp_path)
    engine = make_engine(url)
    lists: dict[date, list[PointSource]] = {}
    day = date(2025, 3, 1)
    try:
        migrate(url, "0013")
        with engine.begin() as conn:
            for k in range(12):
                sources: list[PointSource] = [
                    {"source_id": 1 + j % 3, "source": f"Desk {1 + j % 3}", "figure_id": j,
                     "people": 100 * (j % 4) + k, "day": (day + timedelta(days=j)).isoformat()}
                    for j in range(k)]
                lists[day + timedelta(days=k)] = sources
                conn.execute(text(
                    "INSERT INTO series_points (destination_id, parent_id, day, demo, estimate, "
                    "low, high, new_arrivals, sources, stale, updated_at) VALUES "
                    "('LB-BH', 'LB', :day, false, 1, 1, 1, 0, :sources, false, :now)"),
                    {"day": day + timedelta(days=k), "sources": json.dumps(sources),
                     "now": datetime.now(UTC)})
        migrate(url, "head")
        with make_sessionmaker(engine)() as session:
            points = session.scalars(select(SeriesPoint).order_by(SeriesPoint.day)).all()
            assert [p.day for p in points] == sorted(lists)
            for p in points:
                assert p.sources == lists[p.day]
                assert p.source_count == len(p.sources)
                assert p.top_sources == leading(p.sources)
                assert p.source_names == "; ".join(sorted({s["source"] for s in p.sources}))
            assert points[-1].source_names == "Desk 1; Desk 2; Desk 3"
            assert points[0].top_sources == [] and points[0].source_count == 0
    finally:
        engine.dispose()
        if server:
            drop_pg_database(server, url.rsplit("/", 1)[-1])
