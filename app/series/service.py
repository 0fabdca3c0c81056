"""Series per destination and day, recomputed only where a new figure can change them.

The rules (DESIGN.md, step 4):
- per source, its latest total replaces its earlier ones, plus the new arrivals it reported since;
  what a source said stands until it says something else: an estimate never falls because its
  figures grew old, only because a source reported a lower number;
- across sources, the estimate is the highest lower bound among what they said, and low and high
  are the smallest lower bound and the largest upper bound;
- a figure is fresh for `freshness_days` from the day it refers to: a point whose newest figure
  is older is `stale`, and `fresh_until` says the last day it was fresh;
- a parent place gets the larger of its own figures and the sum of its children's series, each
  child at its latest point (a quiet child holds its estimate, it does not drop out of the sum);
- figures of duplicate reports never count, nor figures waiting for a review or rejected; a
  corrected figure counts as corrected; families and households are already in people.

A figure observed on day d changes days d .. d + freshness of its destination and of that
destination's ancestors (the last of them the first stale day: where the series says it holds),
and the later points stored there. A missing day holds the point before it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import groupby
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, null, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.orm.attributes import flag_modified

from app.gazetteer.index import Gazetteer
from app.limits import INT_MAX
from app.reports.models import Figure, Report, ReviewState
from app.series.models import PointLike, PointSource, SeriesPoint
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
    sources: list[PointSource] = field(default_factory=list)
    fresh_until: date | None = None

    @property
    def empty(self) -> bool:
        return not self.sources and self.estimate == 0 and self.new_arrivals == 0


def _bounds(count: int, low: int | None, high: int | None, people: int) -> tuple[int, int]:
    """A figure's lower and upper bounds, in people."""
    factor = people / count if count else 1.0
    low = low if low is not None else count
    high = high if high is not None else max(count, low)
    return round(low * factor), round(high * factor)


def _within(place: InstrumentedAttribute[Any], day: InstrumentedAttribute[date],
            spans: Mapping[str, tuple[date | None, date | None]]) -> ColumnElement[bool]:
    """Rows of each place between its own first and last day (None: no bound): an exact filter,
    so one report about a day long past does not pull the history of every other place."""
    return or_(*(and_(place == pid, *([day >= first] if first else []),
                      *([day <= last] if last else []))
                 for pid, (first, last) in sorted(spans.items())))


def _readings(session: Session, windows: Mapping[str, tuple[date, date]],
              standing: Mapping[str, set[int]], demo: bool) -> dict[str | None, list[_Reading]]:
    """The figures of every place over its window, and the earlier ones still standing on its
    first day (`standing`, by figure id), one query, by (day, figure) per place; only the
    demo's figures for the demo's series, only real ones for the real series.

    Only figures that count (`COUNTED_STATES`: not waiting for a review, not rejected), each
    with its values as they count: a corrected figure by its correction (its place and day
    too), the others as read. Each side has its own index (place, day)."""

    def where(place: InstrumentedAttribute[Any], day: InstrumentedAttribute[Any]
              ) -> ColumnElement[bool]:
        return or_(_within(place, day, windows),
                   *(and_(place == pid, Figure.id.in_(sorted(ids)))
                     for pid, ids in sorted(standing.items()) if ids))

    corrected = Figure.review_state == ReviewState.CORRECTED.value
    as_read = Figure.review_state.in_([ReviewState.AUTO.value, ReviewState.CONFIRMED.value])
    # plain columns, not ORM objects: a busy destination has hundreds of figures in a window
    rows = session.execute(
        select(Figure.destination_id, Figure.id, Figure.source_id, Source.name, Figure.observed_on,
               Figure.kind, Figure.people, Figure.count, Figure.low, Figure.high)
        .join(Report, Report.id == Figure.report_id)
        .join(Source, Source.id == Figure.source_id)
        .where(as_read, where(Figure.destination_id, Figure.observed_on),
               Report.duplicate_of_id.is_(None), Source.demo == demo)
        .union_all(
            select(Figure.corrected_destination_id, Figure.id, Figure.source_id, Source.name,
                   Figure.corrected_observed_on, Figure.corrected_kind, Figure.corrected_people,
                   Figure.corrected_count, null(), null())
            .join(Report, Report.id == Figure.report_id)
            .join(Source, Source.id == Figure.source_id)
            .where(corrected, where(Figure.corrected_destination_id, Figure.corrected_observed_on),
                   Report.duplicate_of_id.is_(None), Source.demo == demo))
    ).all()
    readings: dict[str | None, list[_Reading]] = defaultdict(list)
    for place_id, fid, source_id, source_name, day, kind, people, n, low, high in rows:
        readings[place_id].append(
            _Reading(fid, source_id, source_name, day, kind, people, *_bounds(n, low, high, people))
        )
    for place_readings in readings.values():
        place_readings.sort(key=lambda r: (r.day, r.figure_id))
    return readings


def _own_days(readings: list[_Reading], start: date, end: date, window: int) -> dict[date, _Day]:
    by_source: dict[int, list[_Reading]] = defaultdict(list)
    for reading in readings:
        by_source[reading.source_id].append(reading)
    # a reading stands behind many days: its entry is made once and shared, as nothing edits a
    # point's sources in place
    entries: dict[int, PointSource] = {
        r.figure_id: {"source_id": r.source_id, "source": r.source, "figure_id": r.figure_id,
                      "people": r.people, "day": r.day.isoformat()} for r in readings}
    # a source's readings standing on a day are one slice of its sorted readings (its latest
    # total and the arrivals after it): find it by bisection rather than scanning for every day
    prepared: list[tuple[list[_Reading], list[date], list[int], list[int], list[int]]] = []
    for source_readings in by_source.values():
        latest_total: list[int] = []  # per position, the last total at or before it (-1: none)
        lows, highs = [0], [0]  # sums of the arrivals' bounds before each position
        last = -1
        for i, r in enumerate(source_readings):
            if r.kind == "total":
                last = i
            latest_total.append(last)
            arrived = r.kind == "new"
            lows.append(lows[-1] + (r.low if arrived else 0))
            highs.append(highs[-1] + (r.high if arrived else 0))
        prepared.append((source_readings, [r.day for r in source_readings], latest_total,
                         lows, highs))
    days: dict[date, _Day] = {}
    day = start
    while day <= end:
        point = _Day()
        low_of: list[int] = []
        high_of: list[int] = []
        newest: date | None = None
        for source_readings, source_days, latest_total, lows, highs in prepared:
            stop = bisect_right(source_days, day)
            if stop == 0:
                continue
            at = latest_total[stop - 1]
            base = source_readings[at] if at >= 0 else None
            # the arrivals after the total's day (those of its own day are in it)
            first = bisect_right(source_days, base.day) if base else 0
            first = min(first, stop)
            low_of.append((base.low if base else 0) + lows[stop] - lows[first])
            high_of.append((base.high if base else 0) + highs[stop] - highs[first])
            if base:
                point.sources.append(entries[base.figure_id])
            point.sources.extend(entries[r.figure_id] for r in source_readings[first:stop]
                                 if r.kind == "new")
            newest = max(newest or source_days[stop - 1], source_days[stop - 1])
            today = bisect_left(source_days, day, 0, stop)
            point.new_arrivals = max(
                point.new_arrivals,
                sum(r.people for r in source_readings[today:stop] if r.kind == "new"),
            )
        if low_of:
            point.estimate, point.low, point.high = max(low_of), min(low_of), max(high_of)
        if newest is not None:
            point.fresh_until = newest + timedelta(days=window - 1)
        days[day] = point
        day += timedelta(days=1)
    return days


def _children_days(session: Session, spans: dict[str, tuple[date, date]],
                   demo: bool) -> dict[str, dict[date, _Day]]:
    """The sum of the children's points of each place over its span, each child at its latest
    point on or before the day, one query."""
    if not spans:
        return {}
    earlier = aliased(SeriesPoint)

    def last_before(first: date) -> Any:
        """A child's latest day before the span: it stands on the span's first days."""
        return (select(func.max(earlier.day))
                .where(earlier.destination_id == SeriesPoint.destination_id,
                       earlier.demo == SeriesPoint.demo, earlier.day < first)
                .correlate(SeriesPoint).scalar_subquery())

    rows = session.execute(
        select(SeriesPoint.parent_id, SeriesPoint.destination_id, SeriesPoint.day,
               SeriesPoint.estimate, SeriesPoint.low, SeriesPoint.high, SeriesPoint.new_arrivals,
               SeriesPoint.sources, SeriesPoint.fresh_until)
        .where(SeriesPoint.demo == demo,
               or_(*(and_(SeriesPoint.parent_id == pid,
                          or_(and_(SeriesPoint.day >= first, SeriesPoint.day <= last),
                              SeriesPoint.day == last_before(first)))
                     for pid, (first, last) in sorted(spans.items()))))
        # the order the children's sources are listed in on the parent's point
        .order_by(SeriesPoint.id)
    ).all()
    children: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for row in rows:
        children[row.parent_id].setdefault(row.destination_id, []).append(row)
    out: dict[str, dict[date, _Day]] = defaultdict(dict)
    for parent_id, by_child in children.items():
        first, last = spans[parent_id]
        series = [(sorted(points, key=lambda p: p.day), sorted(p.day for p in points))
                  for points in by_child.values()]
        day = first
        while day <= last:
            d = _Day()
            for points, child_days in series:
                at = bisect_right(child_days, day) - 1
                if at < 0:
                    continue
                p = points[at]
                d.estimate += p.estimate
                d.low += p.low
                d.high += p.high
                # arrivals are of their own day: a held point brings none
                d.new_arrivals += p.new_arrivals if p.day == day else 0
                d.sources.extend(p.sources)
                if p.fresh_until is not None:
                    d.fresh_until = max(d.fresh_until or p.fresh_until, p.fresh_until)
            if not d.empty:
                out[parent_id][day] = d
            day += timedelta(days=1)
    return out


def _combine(own: _Day | None, children: _Day | None) -> _Day:
    if own is None or own.empty:
        return children or _Day()
    if children is None or children.empty:
        return own
    seen = {s["figure_id"] for s in own.sources}
    fresh = [d for d in (own.fresh_until, children.fresh_until) if d is not None]
    return _Day(
        estimate=max(own.estimate, children.estimate),
        low=min(own.low, children.low),
        high=max(own.high, children.high),
        new_arrivals=max(own.new_arrivals, children.new_arrivals),
        sources=own.sources + [s for s in children.sources if s["figure_id"] not in seen],
        fresh_until=max(fresh) if fresh else None,
    )


def _existing(session: Session, spans: dict[str, tuple[date, date]], demo: bool
              ) -> tuple[dict[str, dict[date, SeriesPoint]], dict[str, set[int]]]:
    """The stored points of every place from its first day on, one query; objects, as they get
    rewritten (a figure changes every later point: what a source said stands). With them, per
    place, the figures behind its last point before its first day: what stands there, so that
    no recomputation reads a place's whole history."""
    earlier = aliased(SeriesPoint)

    def last_before(first: date) -> Any:
        return (select(func.max(earlier.day))
                .where(earlier.destination_id == SeriesPoint.destination_id,
                       earlier.demo == SeriesPoint.demo, earlier.day < first)
                .correlate(SeriesPoint).scalar_subquery())

    out: dict[str, dict[date, SeriesPoint]] = defaultdict(dict)
    standing: dict[str, set[int]] = defaultdict(set)
    for point in session.scalars(
        select(SeriesPoint).where(SeriesPoint.demo == demo, or_(*(
            and_(SeriesPoint.destination_id == pid,
                 or_(SeriesPoint.day >= first, SeriesPoint.day == last_before(first)))
            for pid, (first, _) in sorted(spans.items()))))
    ):
        if point.day >= spans[point.destination_id][0]:
            out[point.destination_id][point.day] = point
        else:
            # a parent's lists its children's figures too: the readings keep the place's own
            standing[point.destination_id].update(int(s["figure_id"]) for s in point.sources)
    return out, standing


_VALUES = ("estimate", "low", "high", "new_arrivals", "sources", "source_count", "top_sources",
           "source_names", "fresh_until", "stale")
SOURCES_SHOWN = 3


def leading(sources: list[PointSource], most: int = SOURCES_SHOWN) -> list[PointSource]:
    """The figures of the source whose word sets the estimate: the one whose figures behind the
    point add up to the most people (its latest total and the arrivals since), newest `most`."""
    by_source: dict[int, list[PointSource]] = {}
    for s in sources:
        by_source.setdefault(int(s["source_id"]), []).append(s)
    if not by_source:
        return []
    best = max(by_source.values(), key=lambda group: sum(int(s["people"]) for s in group))
    return best[-most:]


def source_columns(sources: list[PointSource]) -> dict[str, Any]:
    """The columns a point keeps beside its figures, for answers that do not read them all."""
    return {"source_count": len(sources), "top_sources": leading(sources),
            "source_names": "; ".join(sorted({str(s["source"]) for s in sources}))}



def _saturated(day: _Day) -> _Day:
    """The day's sums held at what the columns store, rather than overflowing them."""
    if max(day.estimate, day.low, day.high, day.new_arrivals) <= INT_MAX:
        return day
    return replace(day, estimate=min(day.estimate, INT_MAX), low=min(day.low, INT_MAX),
                   high=min(day.high, INT_MAX), new_arrivals=min(day.new_arrivals, INT_MAX))


def _rewrite(session: Session, gazetteer: Gazetteer, place_id: str, days: list[date],
             own: dict[date, _Day], children: dict[date, _Day],
             existing: dict[date, SeriesPoint], demo: bool) -> set[date]:
    """Rewrites the points of one place on `days`, in order (the caller flushes); returns the
    days whose point changed."""
    place = gazetteer.get(place_id)
    parent_id = place.parent_id if place else None
    changed: set[date] = set()
    for day in days:
        value = _saturated(_combine(own.get(day), children.get(day)))
        stale = value.fresh_until is not None and day > value.fresh_until
        point = existing.get(day)
        if value.empty:
            if point is not None:
                session.delete(point)
                changed.add(day)
        elif point is None:
            session.add(SeriesPoint(
                destination_id=place_id, parent_id=parent_id, day=day, demo=demo,
                estimate=value.estimate,
                low=value.low, high=value.high, new_arrivals=value.new_arrivals,
                sources=value.sources, **source_columns(value.sources),
                fresh_until=value.fresh_until, stale=stale,
            ))
            changed.add(day)
        elif (point.estimate, point.low, point.high, point.new_arrivals, point.sources,
              point.fresh_until, point.stale) != (
            value.estimate, value.low, value.high, value.new_arrivals, value.sources,
            value.fresh_until, stale
        ):
            point.estimate, point.low, point.high = value.estimate, value.low, value.high
            if point.sources != value.sources:
                point.sources = value.sources
                for column, kept in source_columns(value.sources).items():
                    setattr(point, column, kept)
            point.new_arrivals = value.new_arrivals
            point.fresh_until, point.stale = value.fresh_until, stale
            # every column in every UPDATE: the flush batches updates by the columns they set, so
            # this sends a level's updates as one batch rather than one per mix of changes
            for column in _VALUES:
                flag_modified(point, column)
            changed.add(day)
    return changed


def update_series(session: Session, gazetteer: Gazetteer, touched: Iterable[tuple[str, date]],
                  freshness_days: int, *, demo: bool = False) -> dict[str, set[date]]:
    """Recomputes the destinations and days that figures observed on (destination, day) touch,
    then their ancestors, children before parents. Returns the changed days per destination.
    `demo` picks the realm: the demo's series from the demo's figures, or the real series from
    real figures (app.demo: the two never mix).

    A few queries per call, not per place: the readings and the stored points of all the places
    at once, then per level of the gazetteer, deepest first, the children's points of the level's
    parents, read after the level below was flushed."""
    ranges: dict[str, tuple[date, date]] = {}
    # the days written: each figure's window and the points stored after it, never the days
    # between two windows, so that a batch writes the days one figure at a time writes
    wanted: dict[str, set[date]] = defaultdict(set)
    for place_id, day in touched:
        # the first stale day too: the point that says the estimate holds from there on
        end = day + timedelta(days=freshness_days)
        window = {day + timedelta(days=k) for k in range(freshness_days + 1)}
        chain = [place_id] + [p.id for p in gazetteer.ancestors(place_id)]
        for pid in chain:
            old = ranges.get(pid)
            ranges[pid] = (min(old[0], day), max(old[1], end)) if old else (day, end)
            wanted[pid] |= window
    if not ranges:
        return {}
    depth = {pid: len(gazetteer.ancestors(pid)) for pid in ranges}
    existing, standing = _existing(session, ranges, demo)
    # what a source said stands on every later day: the later points stored are rewritten too,
    # and a place's ancestors as far as it
    for pid in sorted(ranges, key=lambda p: -depth[p]):
        start, end = ranges[pid]
        later = set(existing.get(pid, {}))
        end = max([end, *later])
        ranges[pid] = (start, end)
        wanted[pid] |= later
        for ancestor in gazetteer.ancestors(pid):
            first, last = ranges[ancestor.id]
            ranges[ancestor.id] = (first, max(last, end))
            wanted[ancestor.id] |= later
    readings = _readings(session, ranges, standing, demo)
    changed: dict[str, set[date]] = {}
    # one order for every transaction, so that two workers updating the same places lock their
    # rows in the same order and never deadlock: levels deepest first, and within a level's flush
    # updates and deletes by primary key, inserts in the order added (by place id, then day)
    order = sorted(ranges, key=lambda p: (-depth[p], p))
    for _, level in groupby(order, key=lambda p: depth[p]):
        places = list(level)
        # most destinations (sites, towns) have no children: leave them out of the sums
        children = _children_days(session, {pid: ranges[pid] for pid in places
                                            if gazetteer.children(pid)}, demo)
        for pid in places:
            start, end = ranges[pid]
            own = _own_days(readings.get(pid, []), start, end, freshness_days)
            days = _rewrite(session, gazetteer, pid, sorted(wanted[pid]), own,
                            children.get(pid, {}), existing.get(pid, {}), demo)
            if days:
                changed[pid] = days
        # the next level's sums read these points
        session.flush()
    return changed


def series_points(session: Session, place_id: str, start: date | None,
                  end: date | None, *, demo: bool = False) -> list[SeriesPoint]:
    return series_of(session, [place_id], start, end, demo=demo).get(place_id, [])


def series_of(session: Session, place_ids: list[str] | None, start: date | None,
              end: date | None, *, demo: bool = False) -> dict[str, list[SeriesPoint]]:
    """Points per destination (all destinations when `place_ids` is None), by day, one query:
    the real series, or the demo's when `demo`."""
    query = select(SeriesPoint).where(SeriesPoint.demo == demo)
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


Shown = Literal["top", "all", "names"]
_SHOWN_COLUMN = {"top": SeriesPoint.top_sources, "all": SeriesPoint.sources,
                 "names": SeriesPoint.source_names}


def series_page(session: Session, place_id: str, start: date | None, end: date | None,
                limit: int, *, demo: bool = False, shown: Shown = "top") -> list[PointLike]:
    """At most `limit` points of one destination from `start` to `end` (either open), by day:
    one range scan of the (destination_id, day, demo) index, however long the history. Plain
    periods of the columns an answer shows, not ORM objects: a CSV reads thousands of them.
    Of the figures behind a point, their number and what `shown` names: the few that set the
    estimate (`top_sources`), every one (`sources`), or the source names (`source_names`); the
    rest stays empty, so that an answer never decodes a list it does not show."""
    query = select(SeriesPoint.day, SeriesPoint.estimate, SeriesPoint.low, SeriesPoint.high,
                   SeriesPoint.new_arrivals, SeriesPoint.fresh_until, SeriesPoint.stale,
                   SeriesPoint.source_count, _SHOWN_COLUMN[shown]
                   ).where(SeriesPoint.destination_id == place_id, SeriesPoint.demo == demo)
    if start:
        query = query.where(SeriesPoint.day >= start)
    if end:
        query = query.where(SeriesPoint.day <= end)
    out: list[PointLike] = []
    for day, estimate, low, high, new_arrivals, fresh_until, stale, count, column in (
            session.execute(query.order_by(SeriesPoint.day).limit(limit))):
        kept: Any = column
        out.append(Period(day, estimate, low, high, new_arrivals,
                          kept if shown == "all" else [], fresh_until, stale, count,
                          kept if shown == "top" else [], kept if shown == "names" else ""))
    return out


def places_with_points(session: Session, start: date | None, end: date | None, *,
                       demo: bool = False) -> list[str]:
    """The destinations with a point between `start` and `end` (either open), by id."""
    query = select(SeriesPoint.destination_id).distinct().where(SeriesPoint.demo == demo)
    if start:
        query = query.where(SeriesPoint.day >= start)
    if end:
        query = query.where(SeriesPoint.day <= end)
    return list(session.scalars(query.order_by(SeriesPoint.destination_id)))


@dataclass(frozen=True, slots=True)
class Period:
    """A point of a series at some interval: a day, or an ISO week starting on its Monday."""

    day: date
    estimate: int
    low: int
    high: int
    new_arrivals: int
    sources: list[PointSource]
    fresh_until: date | None = None
    stale: bool = False
    source_count: int = 0
    top_sources: list[PointSource] = field(default_factory=list)
    source_names: str = ""


def by_interval(points: Sequence[PointLike], interval: str) -> list[Period]:
    """Daily points as they are, or weekly: the week's last estimate (a stock is not summed)
    with the sources behind it, and the week's new arrivals added up."""
    if interval == "day":
        return [Period(p.day, p.estimate, p.low, p.high, p.new_arrivals, list(p.sources),
                       p.fresh_until, p.stale, p.source_count, list(p.top_sources),
                       p.source_names) for p in points]
    weeks: dict[date, list[PointLike]] = {}
    for p in points:
        weeks.setdefault(p.day - timedelta(days=p.day.weekday()), []).append(p)
    periods = []
    for monday, days in sorted(weeks.items()):
        last = max(days, key=lambda p: p.day)
        periods.append(Period(monday, last.estimate, last.low, last.high,
                              sum(p.new_arrivals for p in days), list(last.sources),
                              last.fresh_until, last.stale, last.source_count,
                              list(last.top_sources), last.source_names))
    return periods
