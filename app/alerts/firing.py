"""Which rules fire where: the series points of the changed days, read in a few queries, run
through each applicable rule (`app.alerts.rules`), one trigger per (rule, place), a parent's
dropped when it only echoes its child's.

Rules look at data time: the points of the days a new figure changed, compared with the days
before them, never a scan of all history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.alerts.models import AlertRule
from app.alerts.rules import Trigger, rule_of
from app.gazetteer.index import Gazetteer
from app.series.models import SeriesPoint


def _prior_highs(points: Mapping[date, SeriesPoint], before: int) -> dict[date, int]:
    """The highest estimate before each day of `points`; `before`, the highest before them."""
    highs = {}
    for day in sorted(points):
        highs[day] = before
        before = max(before, points[day].estimate)
    return highs


def _strongest(triggers: Iterable[Trigger]) -> Trigger | None:
    """The highest trigger, and of equal ones the earliest: the day the rise happened, not the
    days after it that still see it within their window."""
    return max(triggers, key=lambda t: (t.measure, -t.day.toordinal()), default=None)


def _echoes(parent: Trigger, child: Trigger) -> bool:
    """True when a parent's trigger says nothing its descendant's same-rule trigger of the same
    day did not (each kind says when: `Rule.echoes`)."""
    return parent.day == child.day and rule_of(parent.rule.kind).echoes(parent, child)


@dataclass(frozen=True, slots=True)
class _Place:
    id: str
    days: set[date]
    rules: list[AlertRule]
    first: date  # the first day loaded: the earliest changed day less the longest window


def fire(
    session: Session,
    gazetteer: Gazetteer,
    rules: list[AlertRule],
    changed: Mapping[str, set[date]],
    demo: bool,
    *,
    echoes: bool = True,
) -> list[Trigger]:
    """What fires, in the order it is applied: deepest places first, so a parent can see what
    its children already said, then by place id and rule id. The series read are the demo's
    when `demo`, else the real ones (app.demo). With `echoes` false, a parent's trigger is kept
    even when a child's says the same (to check an existing alert again)."""
    lookback = max([rule_of(r.kind).lookback(r.params) for r in rules] + [1])
    places: list[_Place] = []
    for place_id, days in sorted(
        changed.items(), key=lambda item: (-len(gazetteer.ancestors(item[0])), item[0])
    ):
        applicable = [r for r in rules if r.destinations is None or place_id in r.destinations]
        if applicable and days:
            places.append(_Place(place_id, days, applicable, min(days) - timedelta(days=lookback)))
    if not places:
        return []
    windows: dict[tuple[date, date], list[str]] = {}
    starts: dict[date, list[str]] = {}
    for place in places:
        windows.setdefault((place.first, max(place.days)), []).append(place.id)
        starts.setdefault(place.first, []).append(place.id)
    points: dict[str, dict[date, SeriesPoint]] = {place.id: {} for place in places}
    for point in session.scalars(
        select(SeriesPoint)
        .where(
            SeriesPoint.demo == demo,
            or_(
                *(
                    and_(
                        SeriesPoint.destination_id.in_(ids),
                        SeriesPoint.day >= first,
                        SeriesPoint.day <= last,
                    )
                    for (first, last), ids in windows.items()
                )
            ),
        )
        .order_by(SeriesPoint.destination_id, SeriesPoint.day)
    ):
        points[point.destination_id][point.day] = point
    # the highest estimate before each place's loaded window: one grouped indexed aggregate
    before: dict[str, int | None] = dict(
        session.execute(
            select(SeriesPoint.destination_id, func.max(SeriesPoint.estimate))
            .where(
                SeriesPoint.demo == demo,
                or_(
                    *(
                        and_(SeriesPoint.destination_id.in_(ids), SeriesPoint.day < first)
                        for first, ids in starts.items()
                    )
                ),
            )
            .group_by(SeriesPoint.destination_id)
        ).all()
    )

    fired: list[Trigger] = []
    for place in places:
        series = points[place.id]
        highs = _prior_highs(series, before.get(place.id) or 0)
        where = gazetteer.get(place.id)
        name = where.name if where else place.id
        for rule in place.rules:
            kind = rule_of(rule.kind)
            best = _strongest(
                t
                for d in sorted(place.days)
                if d in series
                if (t := kind.check(rule, name, d, series, highs)) is not None
            )
            if (
                best is not None
                and echoes
                and where is not None
                and any(
                    t.rule.id == rule.id and _echoes(best, t)
                    for t in fired
                    if (child := gazetteer.get(t.place_id)) is not None
                    and gazetteer.within(child, where)
                )
            ):
                continue
            if best is not None:
                fired.append(best)
    return fired
