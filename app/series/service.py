"""Series per destination and day, recomputed only where a new figure can change them.

The rules (DESIGN.md, step 4):
- per source, its latest total replaces its earlier ones, plus the new arrivals it reported since;
- a figure is fresh for `freshness_days` from the day it refers to;
- across sources, the estimate is the highest lower bound among fresh figures, and low and high
  are the smallest lower bound and the largest upper bound;
- a parent place gets the larger of its own figures and the sum of its children's series;
- figures of duplicate reports never count; families and households are already in people.

A figure observed on day d can only change days d .. d + freshness - 1 of its destination and of
that destination's ancestors, so one report's cost does not grow with history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gazetteer.index import Gazetteer
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.sources.models import Source


@dataclass(frozen=True, slots=True)
class _Reading:
    figure_id: int
    source_id: int
    source: str
    day: date
    kind: str
    people: int
    low: int
    high: int


@dataclass(slots=True)
class _Day:
    estimate: int = 0
    low: int = 0
    high: int = 0
    new_arrivals: int = 0
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.sources and self.estimate == 0 and self.new_arrivals == 0


def _bounds(count: int, low: int | None, high: int | None, people: int) -> tuple[int, int]:
    """A figure's lower and upper bounds, in people."""
    factor = people / count if count else 1.0
    low = low if low is not None else count
    high = high if high is not None else max(count, low)
    return round(low * factor), round(high * factor)


def _readings(session: Session, place_id: str, first: date, last: date) -> list[_Reading]:
    # plain columns, not ORM objects: a busy destination has hundreds of figures in a window
    rows = session.execute(
        select(Figure.id, Figure.source_id, Source.name, Figure.observed_on, Figure.kind,
               Figure.people, Figure.count, Figure.low, Figure.high)
        .join(Report, Report.id == Figure.report_id)
        .join(Source, Source.id == Figure.source_id)
        .where(
            Figure.destination_id == place_id,
            Figure.observed_on >= first,
            Figure.observed_on <= last,
            Report.duplicate_of_id.is_(None),
        )
    ).all()
    readings = [
        _Reading(fid, source_id, source_name, day, kind, people, *_bounds(n, low, high, people))
        for fid, source_id, source_name, day, kind, people, n, low, high in rows
    ]
    readings.sort(key=lambda r: (r.day, r.figure_id))
    return readings


def _own_days(readings: list[_Reading], start: date, end: date, window: int) -> dict[date, _Day]:
    by_source: dict[int, list[_Reading]] = defaultdict(list)
    for reading in readings:
        by_source[reading.source_id].append(reading)
    days: dict[date, _Day] = {}
    day = start
    while day <= end:
        oldest = day - timedelta(days=window - 1)
        point = _Day()
        lows: list[int] = []
        highs: list[int] = []
        for source_readings in by_source.values():
            fresh = [r for r in source_readings if oldest <= r.day <= day]
            if not fresh:
                continue
            totals = [r for r in fresh if r.kind == "total"]
            base = totals[-1] if totals else None
            since = [r for r in fresh if r.kind == "new" and (base is None or r.day > base.day)]
            low = (base.low if base else 0) + sum(r.low for r in since)
            high = (base.high if base else 0) + sum(r.high for r in since)
            lows.append(low)
            highs.append(high)
            behind = ([base] if base else []) + since
            point.sources.extend(
                {"source_id": r.source_id, "source": r.source, "figure_id": r.figure_id,
                 "people": r.people, "day": r.day.isoformat()}
                for r in behind
            )
            point.new_arrivals = max(
                point.new_arrivals, sum(r.people for r in fresh if r.kind == "new" and r.day == day)
            )
        if lows:
            point.estimate, point.low, point.high = max(lows), min(lows), max(highs)
        days[day] = point
        day += timedelta(days=1)
    return days


def _children_days(session: Session, place_id: str, start: date, end: date) -> dict[date, _Day]:
    points = session.scalars(
        select(SeriesPoint).where(
            SeriesPoint.parent_id == place_id, SeriesPoint.day >= start, SeriesPoint.day <= end
        )
    ).all()
    days: dict[date, _Day] = {}
    for p in points:
        d = days.setdefault(p.day, _Day())
        d.estimate += p.estimate
        d.low += p.low
        d.high += p.high
        d.new_arrivals += p.new_arrivals
        d.sources.extend(p.sources)
    return days


def _combine(own: _Day | None, children: _Day | None) -> _Day:
    if own is None or own.empty:
        return children or _Day()
    if children is None or children.empty:
        return own
    seen = {s["figure_id"] for s in own.sources}
    return _Day(
        estimate=max(own.estimate, children.estimate),
        low=min(own.low, children.low),
        high=max(own.high, children.high),
        new_arrivals=max(own.new_arrivals, children.new_arrivals),
        sources=own.sources + [s for s in children.sources if s["figure_id"] not in seen],
    )


def _recompute(session: Session, gazetteer: Gazetteer, place_id: str, start: date, end: date,
               window: int) -> set[date]:
    """Rewrites the points of one place over [start, end]; returns the days whose point changed."""
    readings = _readings(session, place_id, start - timedelta(days=window - 1), end)
    own = _own_days(readings, start, end, window)
    # most destinations (sites, towns) have no children: skip the query that sums them
    children = (_children_days(session, place_id, start, end)
                if gazetteer.children(place_id) else {})
    existing = {
        p.day: p for p in session.scalars(
            select(SeriesPoint).where(
                SeriesPoint.destination_id == place_id,
                SeriesPoint.day >= start, SeriesPoint.day <= end,
            )
        )
    }
    place = gazetteer.get(place_id)
    parent_id = place.parent_id if place else None
    changed: set[date] = set()
    day = start
    while day <= end:
        value = _combine(own.get(day), children.get(day))
        point = existing.get(day)
        if value.empty:
            if point is not None:
                session.delete(point)
                changed.add(day)
        elif point is None:
            session.add(SeriesPoint(
                destination_id=place_id, parent_id=parent_id, day=day, estimate=value.estimate,
                low=value.low, high=value.high, new_arrivals=value.new_arrivals,
                sources=value.sources,
            ))
            changed.add(day)
        elif (point.estimate, point.low, point.high, point.new_arrivals, point.sources) != (
            value.estimate, value.low, value.high, value.new_arrivals, value.sources
        ):
            point.estimate, point.low, point.high = value.estimate, value.low, value.high
            point.new_arrivals, point.sources = value.new_arrivals, value.sources
            changed.add(day)
        day += timedelta(days=1)
    session.flush()
    return changed


def update_series(session: Session, gazetteer: Gazetteer, touched: Iterable[tuple[str, date]],
                  freshness_days: int) -> dict[str, set[date]]:
    """Recomputes the destinations and days that figures observed on (destination, day) touch,
    then their ancestors, children before parents. Returns the changed days per destination."""
    ranges: dict[str, tuple[date, date]] = {}
    for place_id, day in touched:
        end = day + timedelta(days=freshness_days - 1)
        chain = [place_id] + [p.id for p in gazetteer.ancestors(place_id)]
        for pid in chain:
            old = ranges.get(pid)
            ranges[pid] = (min(old[0], day), max(old[1], end)) if old else (day, end)
    depth = {pid: len(gazetteer.ancestors(pid)) for pid in ranges}
    changed: dict[str, set[date]] = {}
    # one order for every transaction (deepest first, then by id), so that two workers updating
    # the same places lock their rows in the same order and never deadlock
    for pid in sorted(ranges, key=lambda p: (-depth[p], p)):
        start, end = ranges[pid]
        days = _recompute(session, gazetteer, pid, start, end, freshness_days)
        if days:
            changed[pid] = days
    return changed


def series_points(session: Session, place_id: str, start: date | None,
                  end: date | None) -> list[SeriesPoint]:
    return series_of(session, [place_id], start, end).get(place_id, [])


def series_of(session: Session, place_ids: list[str] | None, start: date | None,
              end: date | None) -> dict[str, list[SeriesPoint]]:
    """Points per destination (all destinations when `place_ids` is None), by day, one query."""
    query = select(SeriesPoint)
    if place_ids is not None:
        query = query.where(SeriesPoint.destination_id.in_(place_ids))
    if start:
        query = query.where(SeriesPoint.day >= start)
    if end:
        query = query.where(SeriesPoint.day <= end)
    out: dict[str, list[SeriesPoint]] = {}
    for point in session.scalars(query.order_by(SeriesPoint.destination_id, SeriesPoint.day)):
        out.setdefault(point.destination_id, []).append(point)
    return out


@dataclass(frozen=True, slots=True)
class Period:
    """A point of a series at some interval: a day, or an ISO week starting on its Monday."""

    day: date
    estimate: int
    low: int
    high: int
    new_arrivals: int
    sources: list[dict[str, Any]]


def by_interval(points: list[SeriesPoint], interval: str) -> list[Period]:
    """Daily points as they are, or weekly: the week's last estimate (a stock is not summed)
    with the sources behind it, and the week's new arrivals added up."""
    if interval == "day":
        return [Period(p.day, p.estimate, p.low, p.high, p.new_arrivals, list(p.sources))
                for p in points]
    weeks: dict[date, list[SeriesPoint]] = {}
    for p in points:
        weeks.setdefault(p.day - timedelta(days=p.day.weekday()), []).append(p)
    periods = []
    for monday, days in sorted(weeks.items()):
        last = max(days, key=lambda p: p.day)
        periods.append(Period(monday, last.estimate, last.low, last.high,
                              sum(p.new_arrivals for p in days), list(last.sources)))
    return periods



def sources_are_demo(session: Session, source_ids: set[int]) -> bool:
    """True when any figure behind a series comes from a demo source (so it is labelled)."""
    if not source_ids:
        return False
    return bool(session.scalar(
        select(Source.id).where(Source.id.in_(source_ids), Source.demo.is_(True)).limit(1)
    ))
