"""Destination summaries, rewritten in the transaction that changes a series, read one row per
destination by the overview, the destinations list and the ETags of every series read.

What a summary holds is what the overview used to compute per request from 60 days of every
series: the latest point, the last day the estimate moved (its "as of") with the point there, the
moves of fresh values over 3 and 7 days before it, and the points of the last 60 days for the
sparkline. `refresh` recomputes the rows of the destinations a series update changed, from their
stored points; `rebuild` does it for every destination (`dispmon summary rebuild`, and the
migration that adds the table).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.series.models import PointSource, PointValues, SeriesPoint
from app.summary.models import DestinationSummary, SparkPoint

RECENT_DAYS = 60
_CHUNK = 200  # places per query


@dataclass(frozen=True, slots=True)
class Summary:
    """The values of a summary row (the version and timestamps aside)."""

    latest_day: date | None
    latest_estimate: int = 0
    latest_low: int = 0
    latest_high: int = 0
    fresh_until: date | None = None
    last_report: date | None = None
    as_of: date | None = None
    estimate: int = 0
    low: int = 0
    high: int = 0
    change_3d: int | None = None
    change_7d: int | None = None
    points: tuple[SparkPoint, ...] = ()


_FIELDS = ("latest_day", "latest_estimate", "latest_low", "latest_high", "fresh_until",
           "last_report", "as_of", "estimate", "low", "high", "change_3d", "change_7d")


def last_report(sources: Iterable[PointSource]) -> date | None:
    """The day of the newest figure behind a point."""
    days = [str(s["day"]) for s in sources if s.get("day")]
    return date.fromisoformat(max(days)) if days else None


def moved(points: Sequence[PointValues]) -> date:
    """The last day the estimate changed or people arrived: the destination's "as of"."""
    last = points[0].day
    for before, point in pairwise(points):
        if point.estimate != before.estimate or point.new_arrivals:
            last = point.day
    return last


def _value_on(points: Sequence[PointValues], day: date) -> int | None:
    """The last fresh estimate on or before `day`: a held (stale) value is no reading."""
    known = [p.estimate for p in points if p.day <= day and not p.stale]
    return known[-1] if known else None


def change(points: Sequence[PointValues], current: PointValues, days: int) -> int | None:
    """How much the fresh estimate moved over the `days` before `current`; none for a held
    point, which no new report backs."""
    if current.stale:
        return None
    before = _value_on(points, current.day - timedelta(days=days))
    return current.estimate - before if before is not None else None


def summarize(points: Sequence[PointValues]) -> Summary:
    """The summary of a series from its points by day (only the last 60 days are read)."""
    if not points:
        return Summary(latest_day=None)
    latest = points[-1]
    recent = [p for p in points if p.day >= latest.day - timedelta(days=RECENT_DAYS)]
    as_of = moved(recent)
    current = next(p for p in recent if p.day == as_of)
    shown = [p for p in recent if p.day <= as_of]
    return Summary(
        latest_day=latest.day, latest_estimate=latest.estimate, latest_low=latest.low,
        latest_high=latest.high, fresh_until=latest.fresh_until,
        last_report=last_report(latest.sources), as_of=as_of, estimate=current.estimate,
        low=current.low, high=current.high, change_3d=change(recent, current, 3),
        change_7d=change(recent, current, 7),
        points=tuple(SparkPoint(
            day=p.day.isoformat(), estimate=p.estimate, low=p.low, high=p.high,
            new_arrivals=p.new_arrivals,
            fresh_until=p.fresh_until.isoformat() if p.fresh_until else None)
            for p in shown),
    )


def summary_of(row: DestinationSummary) -> Summary:
    """What a stored row says, to compare with a recomputation."""
    values: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
    return Summary(**values, points=tuple(row.points or ()))


@dataclass(frozen=True, slots=True)
class _Point:
    """A point's columns a summary reads; the figures behind it only on the last point (the
    day of the last report), as they are the heavy part."""

    day: date
    estimate: int
    low: int
    high: int
    new_arrivals: int
    fresh_until: date | None
    stale: bool
    sources: list[PointSource]


def recent_points(session: Session, place_ids: Sequence[str], *, demo: bool
                  ) -> dict[str, list[Any]]:
    """The points of each place's last 60 days, by day (the figures behind the last one only):
    three queries per chunk of places, each on the (destination_id, day, demo) index."""
    out: dict[str, list[Any]] = defaultdict(list)
    ids = sorted(set(place_ids))
    for at in range(0, len(ids), _CHUNK):
        chunk = ids[at:at + _CHUNK]
        latest: dict[str, date] = dict(session.execute(
            select(SeriesPoint.destination_id, func.max(SeriesPoint.day))
            .where(SeriesPoint.demo == demo, SeriesPoint.destination_id.in_(chunk))
            .group_by(SeriesPoint.destination_id)).all())
        if not latest:
            continue
        behind: dict[str, list[PointSource]] = dict(session.execute(
            select(SeriesPoint.destination_id, SeriesPoint.sources)
            .where(SeriesPoint.demo == demo, or_(*(
                and_(SeriesPoint.destination_id == pid, SeriesPoint.day == day)
                for pid, day in sorted(latest.items()))))).all())
        rows = session.execute(
            select(SeriesPoint.destination_id, SeriesPoint.day, SeriesPoint.estimate,
                   SeriesPoint.low, SeriesPoint.high, SeriesPoint.new_arrivals,
                   SeriesPoint.fresh_until, SeriesPoint.stale)
            .where(SeriesPoint.demo == demo, or_(*(
                and_(SeriesPoint.destination_id == pid,
                     SeriesPoint.day >= day - timedelta(days=RECENT_DAYS))
                for pid, day in sorted(latest.items()))))
            .order_by(SeriesPoint.destination_id, SeriesPoint.day)).all()
        for place_id, day, estimate, low, high, new_arrivals, fresh_until, stale in rows:
            out[place_id].append(_Point(
                day, estimate, low, high, new_arrivals, fresh_until, stale,
                behind.get(place_id, []) if day == latest[place_id] else []))
    return out


def refresh(session: Session, place_ids: Iterable[str], *, demo: bool,
            changed: bool = True) -> int:
    """Rewrites the summaries of `place_ids` from their stored points (the caller flushed the
    points and owns the transaction). Each row gets the next version, as their series `changed`
    (a point long before the last 60 days changes the answers the version tags, not the
    summary); with `changed` False (a rebuild) only rows whose values differ do. Returns the
    number of rows written."""
    ids = sorted(set(place_ids))
    if not ids:
        return 0
    points = recent_points(session, ids, demo=demo)
    stored = {row.destination_id: row for at in range(0, len(ids), _CHUNK)
              for row in session.scalars(select(DestinationSummary).where(
                  DestinationSummary.demo == demo,
                  DestinationSummary.destination_id.in_(ids[at:at + _CHUNK])))}
    written = 0
    for place_id in ids:
        value = summarize(points.get(place_id, []))
        row = stored.get(place_id)
        if row is None:
            if value.latest_day is None:
                continue
            row = DestinationSummary(destination_id=place_id, demo=demo, version=1)
            _assign(row, value)
            session.add(row)
            written += 1
        elif changed or summary_of(row) != value:
            _assign(row, value)
            row.version += 1
            written += 1
    session.flush()
    return written


def _assign(row: DestinationSummary, value: Summary) -> None:
    for name in _FIELDS:
        setattr(row, name, getattr(value, name))
    row.points = list(value.points)


def rebuild(session: Session) -> int:
    """Recomputes every summary of both realms from the stored series (the caller commits);
    returns the number of rows written."""
    written = 0
    for demo in (False, True):
        ids = set(session.scalars(select(SeriesPoint.destination_id).distinct()
                                  .where(SeriesPoint.demo == demo)))
        ids |= set(session.scalars(select(DestinationSummary.destination_id)
                                   .where(DestinationSummary.demo == demo)))
        written += refresh(session, sorted(ids), demo=demo, changed=False)
    return written


def forget_realm(session: Session, *, demo: bool) -> None:
    """Drops the summaries of a realm whose series were deleted wholesale (`dispmon demo
    reset`)."""
    for row in session.scalars(select(DestinationSummary)
                               .where(DestinationSummary.demo == demo)):
        session.delete(row)
    session.flush()


# -- reads -------------------------------------------------------------------------------------


def overview(session: Session, limit: int, *, demo: bool) -> list[DestinationSummary]:
    """The destinations with a point in the realm's last 60 days, by latest movement, newest
    first (then by estimate): `limit` rows through the (demo, as_of, estimate) index."""
    newest = session.scalar(select(func.max(DestinationSummary.latest_day))
                            .where(DestinationSummary.demo == demo))
    if newest is None:
        return []
    return list(session.scalars(
        select(DestinationSummary)
        .where(DestinationSummary.demo == demo, DestinationSummary.as_of.is_not(None),
               DestinationSummary.latest_day >= newest - timedelta(days=RECENT_DAYS))
        .order_by(DestinationSummary.as_of.desc(), DestinationSummary.estimate.desc(),
                  DestinationSummary.destination_id)
        .limit(limit)))


def with_series(session: Session, offset: int, limit: int, *, demo: bool) -> list[str]:
    """A page of the realm's destinations that have a series, by id."""
    return list(session.scalars(
        select(DestinationSummary.destination_id)
        .where(DestinationSummary.demo == demo, DestinationSummary.latest_day.is_not(None))
        .order_by(DestinationSummary.destination_id).offset(offset).limit(limit)))


def summaries(session: Session, place_ids: Sequence[str], *, demo: bool
              ) -> dict[str, DestinationSummary]:
    ids = sorted(set(place_ids))
    return {row.destination_id: row for at in range(0, len(ids), _CHUNK)
            for row in session.scalars(select(DestinationSummary).where(
                DestinationSummary.demo == demo,
                DestinationSummary.destination_id.in_(ids[at:at + _CHUNK])))}


@dataclass(frozen=True, slots=True)
class State:
    """What an ETag of a read is made from: the versions of the summaries it depends on."""

    rows: int
    versions: int
    updated_at: datetime | None

    @property
    def tag(self) -> str:
        stamp = self.updated_at.timestamp() if self.updated_at else 0
        return f"{self.rows}.{self.versions}.{stamp:.6f}"


def state(session: Session, place_ids: Sequence[str] | None, *, demo: bool) -> State:
    """The state of the summaries of `place_ids` (every destination of the realm when None),
    one aggregate query."""
    query = select(func.count(), func.coalesce(func.sum(DestinationSummary.version), 0),
                   func.max(DestinationSummary.updated_at)).where(
        DestinationSummary.demo == demo)
    if place_ids is not None:
        query = query.where(DestinationSummary.destination_id.in_(sorted(set(place_ids))))
    rows, versions, updated_at = session.execute(query).one()
    return State(int(rows), int(versions), updated_at)
