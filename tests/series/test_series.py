"""Series rules (DESIGN.md step 4), on figures written straight into the database."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from app.gazetteer.index import load_gazetteer
from app.pipeline import summarize
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.series.service import series_points, update_series
from app.sources.models import Source

WINDOW = 14
D0 = date(2025, 3, 10)
_n = count(1)


class World:
    """A few sources and a helper that files a figure as ingestion would, then updates series."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.gazetteer = load_gazetteer()
        self.sources: dict[str, Source] = {}

    def source(self, name: str) -> Source:
        if name not in self.sources:
            s = Source(name=name, kind="manual", params={})
            self.session.add(s)
            self.session.flush()
            self.sources[name] = s
        return self.sources[name]

    def figure(self, source: str, place: str, day: date, count_: int, *, kind: str = "total",
               low: int | None = None, high: int | None = None, unit: str = "people",
               factor: int = 1, duplicate_of: int | None = None, update: bool = True) -> Report:
        src = self.source(source)
        n = next(_n)
        report = Report(source_id=src.id, text=f"report {n}", content_hash=f"{n:064d}",
                        extractor_version="test", duplicate_of_id=duplicate_of)
        self.session.add(report)
        self.session.flush()
        self.session.add(Figure(
            report_id=report.id, source_id=src.id, count=count_, low=low, high=high,
            qualifier="exact", unit=unit, people=count_ * factor, kind=kind,
            destination_id=place, observed_on=day, span_start=0, span_end=1, quote="q",
            extractor_version="test"))
        self.session.flush()
        if update:
            # as the pipeline does: the series, then the summaries of what changed
            changed = update_series(self.session, self.gazetteer, [(place, day)], WINDOW)
            summarize(self.session, changed, demo=False)
        return report

    def at(self, place: str, day: date) -> SeriesPoint | None:
        points = series_points(self.session, place, day, day)
        return points[0] if points else None


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def test_latest_figure_of_a_source_replaces_its_earlier_ones(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    world.figure("A", "LB-AK", D0 + timedelta(days=2), 2000)  # stocks fall: people went home
    assert world.at("LB-AK", D0 + timedelta(days=1)).estimate == 3000  # type: ignore[union-attr]
    assert world.at("LB-AK", D0 + timedelta(days=2)).estimate == 2000  # type: ignore[union-attr]


def test_across_sources_the_highest_lower_bound_with_the_spread(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    world.figure("B", "LB-AK", D0, 5000, low=4000, high=6000)
    point = world.at("LB-AK", D0)
    assert point is not None
    assert (point.estimate, point.low, point.high) == (4000, 3000, 6000)
    assert {s["source"] for s in point.sources} == {"A", "B"}


def test_figures_go_stale_after_the_window(world: World) -> None:
    # once the bug of issue 11 (the series ended, or fell, when its figures grew old): the day
    # after the window now holds the estimate, marked stale (see test_staleness.py)
    world.figure("A", "LB-AK", D0, 3000)
    assert not world.at("LB-AK", D0 + timedelta(days=WINDOW - 1)).stale  # type: ignore[union-attr]
    assert world.at("LB-AK", D0 + timedelta(days=WINDOW)).stale  # type: ignore[union-attr]
    assert world.at("LB-AK", D0 + timedelta(days=WINDOW + 1)) is None  # a missing day holds


def test_a_parent_takes_the_larger_of_its_own_and_its_childrens_sum(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    world.figure("B", "LB-BH", D0, 10000)
    assert world.at("LB", D0).estimate == 13000  # type: ignore[union-attr]
    world.figure("C", "LB", D0, 15000)
    assert world.at("LB", D0).estimate == 15000  # type: ignore[union-attr]
    world.figure("C", "LB", D0 + timedelta(days=1), 9000)
    assert world.at("LB", D0 + timedelta(days=1)).estimate == 13000  # type: ignore[union-attr]


def test_duplicates_never_count(world: World) -> None:
    original = world.figure("A", "LB-AK", D0, 3000)
    world.figure("B", "LB-AK", D0, 9000, duplicate_of=original.id)
    assert world.at("LB-AK", D0).estimate == 3000  # type: ignore[union-attr]


def test_households_count_as_people(world: World) -> None:
    world.figure("A", "LB-AK", D0, 400, unit="families", factor=5, low=400)
    assert world.at("LB-AK", D0).estimate == 2000  # type: ignore[union-attr]


def test_new_arrivals_add_to_the_sources_stock(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    world.figure("A", "LB-AK", D0 + timedelta(days=1), 500, kind="new")
    point = world.at("LB-AK", D0 + timedelta(days=1))
    assert point is not None and (point.estimate, point.new_arrivals) == (3500, 500)
    assert world.at("LB-AK", D0).new_arrivals == 0  # type: ignore[union-attr]


def test_a_late_figure_lands_on_its_date_and_updates_later_days(world: World) -> None:
    world.figure("A", "LB-AK", D0 + timedelta(days=5), 3000)
    world.figure("B", "LB-AK", D0, 4000)  # an older report fetched today
    assert world.at("LB-AK", D0).estimate == 4000  # type: ignore[union-attr]
    assert world.at("LB-AK", D0 + timedelta(days=6)).estimate == 4000  # type: ignore[union-attr]


def test_one_figure_touches_only_its_window(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    world.figure("A", "SY-LA", D0 + timedelta(days=100), 100)
    before = world.session.scalar(select(func.max(SeriesPoint.updated_at)).where(
        SeriesPoint.destination_id == "LB-AK"))
    world.figure("B", "SY-LA", D0 + timedelta(days=101), 200)
    after = world.session.scalar(select(func.max(SeriesPoint.updated_at)).where(
        SeriesPoint.destination_id == "LB-AK"))
    assert before == after
    days = world.session.scalars(select(SeriesPoint.day).where(
        SeriesPoint.destination_id == "SY-LA")).all()
    assert min(days) == D0 + timedelta(days=100)
    assert max(days) == D0 + timedelta(days=101 + WINDOW)  # the first stale day, which holds


BATCH = [("A", "site:wadi-khaled", 0, 1200, "total"), ("A", "site:wadi-khaled", 3, 300, "new"),
         ("B", "site:arida-crossing", 1, 800, "total"), ("B", "LB-AK", 2, 2500, "total"),
         ("C", "LB-AK", 9, 400, "new"), ("A", "LB-BH", 5, 7000, "total"),
         ("C", "LB", 4, 9000, "total"), ("B", "SY-LA", 30, 600, "total"),
         ("A", "site:wadi-khaled", 20, 900, "total")]


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    points = session.scalars(select(SeriesPoint).order_by(SeriesPoint.destination_id,
                                                          SeriesPoint.day)).all()
    return [(p.destination_id, p.parent_id, p.day, p.estimate, p.low, p.high, p.new_arrivals,
             sorted(s["figure_id"] for s in p.sources)) for p in points]


def test_a_batch_gives_the_points_one_figure_at_a_time_gives(world: World) -> None:
    touched = []
    for source, place, offset, n, kind in BATCH:
        world.figure(source, place, D0 + timedelta(days=offset), n, kind=kind, update=False)
        touched.append((place, D0 + timedelta(days=offset)))
    changed = update_series(world.session, world.gazetteer, touched, WINDOW)
    batch = _snapshot(world.session)
    assert set(changed) == {p[0] for p in batch}

    world.session.execute(delete(SeriesPoint))
    for place, day in touched:
        update_series(world.session, world.gazetteer, [(place, day)], WINDOW)
    assert _snapshot(world.session) == batch


def test_a_batch_reads_a_few_times_not_once_per_place(world: World) -> None:
    touched = []
    for source, place, offset, n, kind in BATCH:
        world.figure(source, place, D0 + timedelta(days=offset), n, kind=kind, update=False)
        touched.append((place, D0 + timedelta(days=offset)))
    selects: list[str] = []

    def count(*args: object) -> None:
        statement = args[2]
        if isinstance(statement, str) and statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    engine = world.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        changed = update_series(world.session, world.gazetteer, touched, WINDOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # readings, stored points, then the children's points of the regions and of the countries
    assert len(changed) == 7 and len(selects) == 4
