"""A destination whose figures grew old: the pages say since when no one reported, never a drop
(issue 11, item 4)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.dashboard.charts import ChartPoint
from app.dashboard.service import quiet_since, recent_destinations
from app.gazetteer.index import load_gazetteer
from app.main import create_app
from app.settings import Settings
from tests.series.test_series import D0, WINDOW, World


@pytest.fixture
def public(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"public_read": True})),
                    follow_redirects=False) as client:
        yield client


def _quiet_destination(factory: sessionmaker[Session]) -> None:
    """Akkar: 10,000 people, then 1,000 arrivals, then no report for longer than the window
    (before the fix, the estimate fell to 1,000 when the total grew old)."""
    with factory.begin() as session:
        world = World(session)
        world.figure("A", "LB-AK", D0, 10_000)
        world.figure("A", "LB-AK", D0 + timedelta(days=10), 1000, kind="new")


def test_overview_shows_no_drop_for_a_stale_destination(
        factory: sessionmaker[Session], public: TestClient) -> None:
    _quiet_destination(factory)
    with factory() as session:
        rows = {r.place.id: r for r in recent_destinations(session, load_gazetteer())}
    akkar = rows["LB-AK"]
    assert akkar.stale and akkar.estimate == 11_000
    assert akkar.change_3d is None and akkar.change_7d is None
    assert akkar.last_report == D0 + timedelta(days=10)
    html = public.get("/").text
    row = re.search(r'<tr>\s*<th scope="row"><a href="/destinations/LB-AK">.*?</tr>', html, re.S)
    assert row is not None
    assert "no new report since 20 March 2025" in row.group(0)
    assert 'class="down"' not in row.group(0) and "11,000" in row.group(0)


def test_destination_page_says_since_when_no_one_reported(
        factory: sessionmaker[Session], public: TestClient) -> None:
    _quiet_destination(factory)
    html = public.get("/destinations/LB-AK").text
    assert "No new report since 20 March 2025" in html
    assert re.search(r"Latest estimate: <strong>11,000</strong>", html)


def test_changes_compare_fresh_values(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        world = World(session)
        world.figure("A", "LB-BH", D0, 5000)
        world.figure("A", "LB-BH", D0 + timedelta(days=WINDOW + 5), 4000)  # a lower report
    today = D0 + timedelta(days=WINDOW + 6)
    with factory() as session:
        rows = {r.place.id: r for r in recent_destinations(session, load_gazetteer(),
                                                           today=today)}
    bh = rows["LB-BH"]
    # the fall comes from the source's lower report, against the last fresh value before it
    assert not bh.stale and (bh.as_of, bh.estimate) == (D0 + timedelta(days=WINDOW + 5), 4000)
    assert bh.change_7d == -1000 and bh.change_3d == -1000


def test_a_destination_with_fresh_figures_is_not_quiet() -> None:
    points = [ChartPoint(D0, 10, 10, 10, 0, D0 + timedelta(days=WINDOW - 1), D0),
              ChartPoint(D0 + timedelta(days=WINDOW), 10, 10, 10, 0,
                         D0 + timedelta(days=WINDOW - 1), D0)]
    assert quiet_since(points, today=D0 + timedelta(days=WINDOW - 1)) is None
    assert quiet_since(points, today=D0 + timedelta(days=WINDOW)) == D0
