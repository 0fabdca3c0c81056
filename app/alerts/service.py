"""Alert rules evaluated when a series changes, and the lifecycle of the alerts they raise.

Rules look at data time: the series points of the days a new figure changed, compared with the
days before them, never a scan of all history. Each (rule, destination) has one alert row, its
fingerprint: a trigger opens it, or reopens it after it resolved when the figures went further
than before; while open, it escalates (a new notification) only when its value rises by the
rule's step beyond the last notified value (a threshold rule: when it crosses a higher level).
So replaying the same reports, or a second outlet repeating a figure, notifies no one twice.
`assess` decides what changes; `publish` writes its notifications to the webhook outbox in the
caller's transaction, unless a silence covers the alert. Alerts with no trigger for
DISPMON_ALERT_QUIET_HOURS resolve themselves.

No alert changes what it says without a row in its history (`alert_events`) and a webhook:
opened or reopened (`alert.firing`), escalated, updated (a new value, text or evidence below the
escalation step), resolved; acknowledging is kept in the history only. After staff review a
figure, `revise` checks the alerts of the places whose series changed again: one whose rule no
longer fires there is retracted (`alert.retracted`), one whose value or evidence changed is
updated (`alert.updated`) or escalated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.alerts.models import Alert, AlertEvent, AlertRule, Silence
from app.alerts.schemas import AlertOut, validate_params
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.gazetteer.index import Gazetteer
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.sources.models import Source
from app.webhooks.service import MAX_PAYLOAD_BYTES, enqueue

log = logging.getLogger(__name__)

MAX_EVIDENCE_FIGURES = 8
MAX_QUOTE_CHARS = 400

DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": "New destination", "kind": "new_destination", "severity": "warning",
     "params": {"floor": 500}, "step": None, "enabled": True},
    {"name": "Jump", "kind": "jump", "severity": "critical",
     "params": {"min_increase": 1000, "min_ratio": 0.5, "window_days": 3}, "step": 1000,
     "enabled": True},
    {"name": "Arrival rate", "kind": "arrival_rate", "severity": "warning",
     "params": {"min_arrivals": 1000}, "step": 1000, "enabled": True},
    {"name": "Threshold crossed", "kind": "threshold", "severity": "critical",
     "params": {"levels": [10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000]}, "step": None,
     "enabled": True},
    # off by default: in a growing crisis every rise is a new high; staff turn it on per place
    {"name": "New high", "kind": "new_high", "severity": "info",
     "params": {"min_increase": 1000}, "step": None, "enabled": False},
]
"""The rules a new install starts with (seeded by migration 0003)."""


# -- rules ----------------------------------------------------------------------------------

def _check_destinations(gazetteer: Gazetteer, destinations: list[str] | None) -> None:
    for place_id in destinations or []:
        if gazetteer.get(place_id) is None:
            raise InvalidInput(f"no place with id {place_id!r}")


def create_rule(session: Session, gazetteer: Gazetteer, *, name: str, kind: str, severity: str,
                params: dict[str, Any], destinations: list[str] | None, step: int | None,
                enabled: bool) -> AlertRule:
    _check_destinations(gazetteer, destinations)
    if session.scalar(select(AlertRule.id).where(AlertRule.name == name)) is not None:
        raise Conflict(f"a rule named {name!r} exists")
    rule = AlertRule(name=name, kind=kind, severity=severity, params=validate_params(kind, params),
                     destinations=destinations, step=step, enabled=enabled)
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"no alert rule with id {rule_id}")
    return rule


def list_rules(session: Session) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)))


def update_rule(session: Session, gazetteer: Gazetteer, rule_id: int,
                changes: Mapping[str, Any]) -> AlertRule:
    rule = get_rule(session, rule_id)
    if "destinations" in changes:
        _check_destinations(gazetteer, changes["destinations"])
    if "name" in changes and changes["name"] != rule.name and session.scalar(
            select(AlertRule.id).where(AlertRule.name == changes["name"])) is not None:
        raise Conflict(f"a rule named {changes['name']!r} exists")
    for field, value in changes.items():
        if field == "params":
            value = validate_params(rule.kind, {**rule.params, **(value or {})})
        setattr(rule, field, value)
    session.flush()
    return rule


# -- evaluation -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Trigger:
    rule: AlertRule
    place_id: str
    day: date
    # what escalation compares: people (estimate or arrivals) or the threshold level crossed
    measure: int
    summary: str
    current: SeriesPoint
    previous: SeriesPoint | None


def _fmt(n: int) -> str:
    return f"{n:,}"


def _prior_highs(points: Mapping[date, SeriesPoint], before: int) -> dict[date, int]:
    """The highest estimate before each day of `points`; `before`, the highest before them."""
    highs = {}
    for day in sorted(points):
        highs[day] = before
        before = max(before, points[day].estimate)
    return highs


def _check(rule: AlertRule, name: str, day: date, points: dict[date, SeriesPoint],
           highs: Mapping[date, int]) -> Trigger | None:
    """The rule's trigger on `day`, if the series fires it there."""
    point = points[day]
    p = rule.params
    if rule.kind == "new_destination":
        if point.estimate >= p["floor"] and highs[day] < p["floor"]:
            return Trigger(rule, point.destination_id, day, point.estimate,
                           f"New destination: {_fmt(point.estimate)} people reported displaced "
                           f"to {name}", point, None)
    elif rule.kind == "jump":
        earlier = [points[d] for d in (day - timedelta(days=k)
                                       for k in range(1, p["window_days"] + 1)) if d in points]
        if earlier:
            base = min(earlier, key=lambda e: (e.estimate, e.day))
            rise = point.estimate - base.estimate
            if (base.estimate > 0 and rise >= p["min_increase"]
                    and rise / base.estimate >= p["min_ratio"]):
                return Trigger(rule, point.destination_id, day, point.estimate,
                               f"Jump at {name}: {_fmt(base.estimate)} to {_fmt(point.estimate)} "
                               f"people (+{rise / base.estimate:.0%}) between {base.day} and "
                               f"{day}", point, base)
    elif rule.kind == "arrival_rate":
        if point.new_arrivals >= p["min_arrivals"]:
            return Trigger(rule, point.destination_id, day, point.new_arrivals,
                           f"{_fmt(point.new_arrivals)} new arrivals at {name} on {day}",
                           point, points.get(day - timedelta(days=1)))
    elif rule.kind == "threshold":
        previous = points.get(day - timedelta(days=1))
        prev = previous.estimate if previous else 0
        crossed = [level for level in p["levels"] if prev < level <= point.estimate]
        if crossed:
            return Trigger(rule, point.destination_id, day, crossed[-1],
                           f"{name} passed {_fmt(crossed[-1])} people displaced "
                           f"({_fmt(point.estimate)} on {day})", point, previous)
    elif rule.kind == "new_high":
        high = highs[day]
        if high > 0 and point.estimate >= high + max(p["min_increase"], 1):
            previous = max((q for d, q in points.items() if d < day),
                           key=lambda q: q.estimate, default=None)
            return Trigger(rule, point.destination_id, day, point.estimate,
                           f"New high at {name}: {_fmt(point.estimate)} people "
                           f"(previous high {_fmt(high)})", point, previous)
    return None


def _strongest(triggers: Iterable[Trigger]) -> Trigger | None:
    """The highest trigger, and of equal ones the earliest: the day the rise happened, not the
    days after it that still see it within their window."""
    return max(triggers, key=lambda t: (t.measure, -t.day.toordinal()), default=None)


def _echoes(parent: Trigger, child: Trigger) -> bool:
    """True when a parent's trigger says nothing its descendant's same-rule trigger of the same
    day did not: Syria "jumping" because the Khmeimim base did is one event, not two alerts."""
    if parent.day != child.day:
        return False
    p = parent.rule.params
    if parent.rule.kind == "threshold":
        return parent.measure == child.measure
    if parent.rule.kind == "new_destination":
        return True
    if parent.rule.kind == "jump":
        def rise(t: Trigger) -> int:
            return t.current.estimate - (t.previous.estimate if t.previous else 0)
        return rise(parent) - rise(child) < int(p["min_increase"])
    step = int(p.get("min_arrivals") or p.get("min_increase") or 1)
    return parent.measure - child.measure < step


@dataclass(frozen=True, slots=True)
class Notice:
    """An alert change to tell the webhooks about (`alert.firing`, `alert.escalated`)."""

    alert: Alert
    rule: AlertRule
    event_type: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What evaluating the rules did: the alerts opened, escalated or refreshed, and the
    notices to publish, in the order of their triggers."""

    alerts: list[Alert]
    notices: list[Notice]
    at: datetime


def assess(session: Session, gazetteer: Gazetteer, changed: Mapping[str, set[date]],
           now: datetime | None = None, skip: Collection[str] = (), *,
           demo: bool = False) -> Evaluation:
    """Runs the enabled rules over the changed (destination, days) and applies what fires to
    the alerts, but those fingerprinted in `skip` (already checked by `revise`); the notices
    are left to `publish`. The caller commits. `demo`: the changes are of the demo's series,
    and so are the alerts they raise (app.demo).

    A few queries per call, however many places changed: the rules, the series points, the
    highest estimates before them, the alerts, the evidence figures."""
    now = now or utcnow()
    if not changed:
        return Evaluation([], [], now)
    rules = list(session.scalars(
        select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)))
    if not rules:
        return Evaluation([], [], now)
    fired = [t for t in _fire(session, gazetteer, rules, changed, demo)
             if _fingerprint(t.rule.id, t.place_id, demo) not in skip]
    if not fired:
        return Evaluation([], [], now)
    return _apply(session, gazetteer, fired, now, demo)


def would_raise(session: Session, gazetteer: Gazetteer, changed: Mapping[str, set[date]],
                severity: str, *, demo: bool = False) -> list[Trigger]:
    """The triggers of the enabled rules of `severity` over the changed days that would open,
    reopen or escalate an alert, changing nothing (no lock, no write): what DISPMON_REVIEW=
    alerting holds figures back for."""
    rules = list(session.scalars(
        select(AlertRule).where(AlertRule.enabled.is_(True), AlertRule.severity == severity)
        .order_by(AlertRule.id)))
    if not rules or not changed:
        return []
    fired = _fire(session, gazetteer, rules, changed, demo)
    if not fired:
        return []
    alerts = {a.fingerprint: a for a in session.scalars(select(Alert).where(
        Alert.fingerprint.in_([_fingerprint(t.rule.id, t.place_id, demo) for t in fired])))}
    return [t for t in fired
            if (alert := alerts.get(_fingerprint(t.rule.id, t.place_id, demo))) is None
            or _outcome(alert, t) in ("reopen", "escalate")]


@dataclass(frozen=True, slots=True)
class Revision:
    """What checking alerts again after a review did, and the alerts it checked (which
    `assess` then leaves alone)."""

    evaluation: Evaluation
    checked: set[str]


def revise(session: Session, gazetteer: Gazetteer, changed: Mapping[str, set[date]], *,
           by: str, reason: str | None, now: datetime | None = None,
           demo: bool = False) -> Revision:
    """Checks again the alerts of the places whose series a review changed (open, or resolved
    but never retracted), each on the changed days and its own day, with the series as they
    now are: one whose rule no longer fires is retracted (`alert.retracted`: the figures it
    stood on were rejected or corrected away); an open one that says something else is
    escalated past its step, or else updated (`alert.updated`). Each change is kept in the
    alert's history with who and why. The caller publishes the notices and commits."""
    now = now or utcnow()
    if not changed:
        return Revision(Evaluation([], [], now), set())
    alerts = list(session.scalars(
        select(Alert).where(Alert.destination_id.in_(sorted(changed)), Alert.demo == demo,
                            Alert.status.in_(("firing", "acknowledged", "resolved")))
        .order_by(Alert.fingerprint).with_for_update()))
    if not alerts:
        return Revision(Evaluation([], [], now), set())
    rules = {r.id: r for r in session.scalars(
        select(AlertRule).where(AlertRule.id.in_({a.rule_id for a in alerts})))}
    days: dict[str, set[date]] = {pid: set(d) for pid, d in changed.items()}
    for alert in alerts:
        days[alert.destination_id].add(alert.data_day)
    fired = {(t.rule.id, t.place_id): t
             for t in _fire(session, gazetteer, list(rules.values()), days, demo, echoes=False)}
    figures = _evidence_figures(session, fired.values())
    notices: list[Notice] = []
    history: list[tuple[Alert, str, dict[str, Any] | None]] = []
    for alert in alerts:
        rule = rules[alert.rule_id]
        trigger = fired.get((alert.rule_id, alert.destination_id))
        before, said = _snapshot(alert), _says(alert)
        if trigger is None:
            alert.status = "retracted"
            alert.resolved_at = now
            alert.resolution = (f"retracted ({by}): {reason}" if reason
                                else f"retracted ({by})")[:200]
            notices.append(Notice(alert, rule, "alert.retracted"))
            history.append((alert, "retracted", before))
            continue
        if alert.status == "resolved":
            continue  # it still stands as it was when it resolved
        escalates = (trigger.measure > alert.notified_value if rule.kind == "threshold"
                     else rule.step is not None
                     and trigger.measure >= alert.notified_value + rule.step)
        alert.value, alert.summary, alert.data_day = trigger.measure, trigger.summary, trigger.day
        alert.evidence = _evidence(trigger, figures, gazetteer)
        if escalates:
            alert.status = "firing"
            alert.acknowledged_at = alert.acknowledged_by = None
            alert.notified_value = trigger.measure
            notices.append(Notice(alert, rule, "alert.escalated"))
            history.append((alert, "escalated", before))
        elif _says(alert) != said:
            notices.append(Notice(alert, rule, "alert.updated"))
            history.append((alert, "updated", before))
    session.flush()
    record(session, history, now, by=by, reason=reason)
    return Revision(Evaluation([n.alert for n in notices], notices, now),
                    {a.fingerprint for a in alerts})


def publish(session: Session, gazetteer: Gazetteer, evaluation: Evaluation) -> int:
    """Writes the evaluation's notices to the webhook outbox, but those a silence covers (the
    active silences read in one query); returns the deliveries written."""
    outbox = _Outbox(session, gazetteer, evaluation.at)
    return sum(outbox.notify(n.alert, n.rule, n.event_type) for n in evaluation.notices)


def evaluate(session: Session, gazetteer: Gazetteer, changed: Mapping[str, set[date]],
             now: datetime | None = None) -> list[Alert]:
    """`assess`, then `publish`: returns the alerts that opened, escalated or were refreshed."""
    evaluation = assess(session, gazetteer, changed, now)
    publish(session, gazetteer, evaluation)
    return evaluation.alerts


@dataclass(frozen=True, slots=True)
class _Place:
    id: str
    days: set[date]
    rules: list[AlertRule]
    first: date  # the first day loaded: the earliest changed day less the longest window


def _fire(session: Session, gazetteer: Gazetteer, rules: list[AlertRule],
          changed: Mapping[str, set[date]], demo: bool, *,
          echoes: bool = True) -> list[Trigger]:
    """What fires, in the order it is applied: deepest places first, so a parent can see what
    its children already said, then by place id and rule id. With `echoes` false, a parent's
    trigger is kept even when a child's says the same (to check an existing alert again)."""
    lookback = max([r.params.get("window_days", 1) for r in rules] + [1])
    places: list[_Place] = []
    for place_id, days in sorted(changed.items(),
                                 key=lambda item: (-len(gazetteer.ancestors(item[0])), item[0])):
        applicable = [r for r in rules if r.destinations is None or place_id in r.destinations]
        if applicable and days:
            places.append(_Place(place_id, days, applicable,
                                 min(days) - timedelta(days=lookback)))
    if not places:
        return []
    windows: dict[tuple[date, date], list[str]] = {}
    starts: dict[date, list[str]] = {}
    for place in places:
        windows.setdefault((place.first, max(place.days)), []).append(place.id)
        starts.setdefault(place.first, []).append(place.id)
    points: dict[str, dict[date, SeriesPoint]] = {place.id: {} for place in places}
    for point in session.scalars(
            select(SeriesPoint).where(SeriesPoint.demo == demo, or_(*(
                and_(SeriesPoint.destination_id.in_(ids), SeriesPoint.day >= first,
                     SeriesPoint.day <= last)
                for (first, last), ids in windows.items())))
            .order_by(SeriesPoint.destination_id, SeriesPoint.day)):
        points[point.destination_id][point.day] = point
    # the highest estimate before each place's loaded window: one grouped indexed aggregate
    before: dict[str, int | None] = dict(session.execute(
        select(SeriesPoint.destination_id, func.max(SeriesPoint.estimate))
        .where(SeriesPoint.demo == demo,
               or_(*(and_(SeriesPoint.destination_id.in_(ids), SeriesPoint.day < first)
                     for first, ids in starts.items())))
        .group_by(SeriesPoint.destination_id)).all())

    fired: list[Trigger] = []
    for place in places:
        series = points[place.id]
        highs = _prior_highs(series, before.get(place.id) or 0)
        where = gazetteer.get(place.id)
        name = where.name if where else place.id
        for rule in place.rules:
            best = _strongest(t for d in sorted(place.days) if d in series
                              if (t := _check(rule, name, d, series, highs)) is not None)
            if best is not None and echoes and where is not None and any(
                    t.rule.id == rule.id and _echoes(best, t)
                    for t in fired if (child := gazetteer.get(t.place_id)) is not None
                    and gazetteer.within(child, where)):
                continue
            if best is not None:
                fired.append(best)
    return fired


def _fingerprint(rule_id: int, place_id: str, demo: bool) -> str:
    return f"rule:{rule_id}:{place_id}" + (":demo" if demo else "")


def _outcome(alert: Alert, trigger: Trigger) -> str:
    """What a trigger does to its existing alert: replay (nothing), reopen, escalate, refresh
    (a new value, text or day below the step: `alert.updated`) or touch (only
    last_triggered_at)."""
    if alert.status == "retracted":
        return "reopen"  # its figures were rejected: any trigger now is news
    if alert.status == "resolved":
        if trigger.day <= alert.data_day and trigger.measure <= alert.notified_value:
            return "replay"  # the same figures again: not a new event
        return "reopen"
    rule = trigger.rule
    if (trigger.measure > alert.notified_value if rule.kind == "threshold"
            else rule.step is not None and trigger.measure >= alert.notified_value + rule.step):
        return "escalate"
    if trigger.measure == alert.value and trigger.summary == alert.summary and (
            trigger.day <= alert.data_day):
        return "touch"  # says what the alert says (another outlet repeating a figure)
    if trigger.measure >= alert.value or trigger.day > alert.data_day:
        return "refresh"  # says something new below the step: alert.updated
    return "touch"


def _apply(session: Session, gazetteer: Gazetteer, fired: list[Trigger],
           now: datetime, demo: bool) -> Evaluation:
    keys = [_fingerprint(t.rule.id, t.place_id, demo) for t in fired]
    # one query locks them all, in fingerprint order: two workers never deadlock on them
    alerts = {a.fingerprint: a for a in session.scalars(
        select(Alert).where(Alert.fingerprint.in_(keys)).order_by(Alert.fingerprint)
        .with_for_update())}
    # evidence only where it is written; a new alert may turn out to exist (a race), so it
    # gets the figures too
    figures = _evidence_figures(session, [
        t for t, key in zip(fired, keys, strict=True)
        if key not in alerts or _outcome(alerts[key], t) not in ("replay", "touch")])
    inserted = _insert(session, gazetteer, [(t, key) for t, key in zip(fired, keys, strict=True)
                                           if key not in alerts], figures, alerts, now, demo)
    outcomes = {key: _outcome(alerts[key], t) for t, key in zip(fired, keys, strict=True)
                if key not in inserted}
    # the alerts only touched first, then the others each with every column they may change:
    # two flushes of one statement each, where mixed changes would be one statement per alert
    for key, outcome in outcomes.items():
        if outcome == "touch":
            alerts[key].last_triggered_at = now
    session.flush()
    touched: list[Alert] = []
    notices: list[Notice] = []
    before: dict[str, dict[str, Any]] = {}  # what each changed alert said before
    for trigger, key in zip(fired, keys, strict=True):
        if key in inserted:
            touched.append(inserted[key])
            notices.append(Notice(inserted[key], trigger.rule, "alert.firing"))
            continue
        alert, outcome = alerts[key], outcomes[key]
        if outcome == "replay":
            continue
        touched.append(alert)
        if outcome == "touch":
            continue
        said, before[key] = _says(alert), _snapshot(alert)
        if outcome == "reopen":
            alert.status, alert.episode, alert.opened_at = "firing", alert.episode + 1, now
            alert.acknowledged_at = alert.acknowledged_by = None
            alert.resolved_at = alert.resolution = None
            notices.append(Notice(alert, trigger.rule, "alert.firing"))
        elif outcome == "escalate":
            alert.status = "firing"
            alert.acknowledged_at = alert.acknowledged_by = None
            notices.append(Notice(alert, trigger.rule, "alert.escalated"))
        _refresh(alert, trigger, _evidence(trigger, figures, gazetteer), now,
                 notified=outcome != "refresh")
        if outcome == "refresh" and _says(alert) != said:
            notices.append(Notice(alert, trigger.rule, "alert.updated"))
        for column in _REFRESHED:
            flag_modified(alert, column)
    # before the outbox's queries, which would flush the alerts one by one
    session.flush()
    record(session, [(n.alert, n.event_type, before.get(n.alert.fingerprint)) for n in notices],
           now)
    return Evaluation(touched, notices, now)


def _says(alert: Alert) -> tuple[Any, ...]:
    """What an alert tells its readers: a change to any of it is an event."""
    return (alert.status, alert.value, alert.summary, alert.data_day, alert.evidence)


def _snapshot(alert: Alert) -> dict[str, Any]:
    return {"status": alert.status, "value": alert.value, "summary": alert.summary,
            "data_day": alert.data_day.isoformat()}


def record(session: Session, changes: Iterable[tuple[Alert, str, dict[str, Any] | None]],
           now: datetime, by: str | None = None, reason: str | None = None) -> None:
    """Adds one history row per (alert, webhook event type or bare type, what it said before),
    in one statement (an executemany: no ids to read back)."""
    events = [{"alert_id": alert.id, "type": kind.removeprefix("alert."), "by": by,
               "reason": reason, "status": alert.status, "value": alert.value,
               "summary": alert.summary, "previous": previous, "at": now}
              for alert, kind, previous in changes]
    if events:
        session.execute(insert(AlertEvent), events)


_REFRESHED = ("status", "episode", "opened_at", "acknowledged_at", "acknowledged_by",
              "resolved_at", "resolution", "value", "notified_value", "summary", "data_day",
              "evidence", "severity", "last_triggered_at")
"""The columns a trigger may change on an existing alert."""


def _insert(session: Session, gazetteer: Gazetteer, new: list[tuple[Trigger, str]],
            figures: Mapping[int, _FigureRow], alerts: dict[str, Alert],
            now: datetime, demo: bool) -> dict[str, Alert]:
    """Inserts the alerts of triggers with none yet, all under one savepoint; returns them by
    fingerprint. When a concurrent evaluation inserted one of them first, each is tried under
    its own savepoint, and those that exist are locked into `alerts`, to be updated instead."""
    if not new:
        return {}

    def build() -> dict[str, Alert]:
        out = {}
        for trigger, key in new:
            place = gazetteer.get(trigger.place_id)
            out[key] = Alert(
                fingerprint=key, rule_id=trigger.rule.id, destination_id=trigger.place_id,
                demo=demo, destination_name=place.name if place else trigger.place_id,
                country=place.country if place else None, severity=trigger.rule.severity,
                status="firing", summary=trigger.summary, value=trigger.measure,
                notified_value=trigger.measure, data_day=trigger.day,
                evidence=_evidence(trigger, figures, gazetteer), episode=1, opened_at=now,
                last_triggered_at=now,
            )
        return out

    fresh = build()
    try:
        with session.begin_nested():
            session.add_all(fresh.values())
    except IntegrityError:
        pass
    else:
        return fresh
    inserted = {}
    for key, alert in build().items():
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            alerts[key] = session.scalars(select(Alert).where(Alert.fingerprint == key)
                                          .with_for_update()).one()
        else:
            inserted[key] = alert
    return inserted


def _refresh(alert: Alert, trigger: Trigger, evidence: dict[str, Any], now: datetime, *,
             notified: bool) -> None:
    alert.value = trigger.measure
    alert.summary = trigger.summary
    alert.data_day = max(alert.data_day, trigger.day)
    alert.evidence = evidence
    alert.severity = trigger.rule.severity
    alert.last_triggered_at = now
    if notified:
        alert.notified_value = trigger.measure


def _point_json(point: SeriesPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"day": point.day.isoformat(), "estimate": point.estimate, "low": point.low,
            "high": point.high, "new_arrivals": point.new_arrivals}


_FigureRow = tuple[Figure, str | None, str | None, datetime | None, str, str]
"""A figure with its report's URL, title and publication time, its source's name and
credibility."""


def _evidence_ids(trigger: Trigger) -> dict[int, str]:
    """The figures behind the trigger's current and previous points, the current side's and
    the newest first, at most MAX_EVIDENCE_FIGURES: figure id -> side."""
    sides = [("current", trigger.current)] + (
        [("previous", trigger.previous)] if trigger.previous is not None else [])
    wanted: dict[int, str] = {}
    for side, point in sides:
        for s in point.sources:
            wanted.setdefault(int(s["figure_id"]), side)
    ids = sorted(wanted, key=lambda i: (wanted[i] != "current", -i))[:MAX_EVIDENCE_FIGURES]
    return {i: wanted[i] for i in ids}


def _evidence_figures(session: Session, triggers: Iterable[Trigger]) -> dict[int, _FigureRow]:
    """The evidence figures of all the triggers, in one query."""
    ids = {i for t in triggers for i in _evidence_ids(t)}
    if not ids:
        return {}
    rows = session.execute(
        select(Figure, Report.url, Report.title, Report.published_at, Source.name,
               Source.credibility)
        .join(Report, Report.id == Figure.report_id)
        .join(Source, Source.id == Figure.source_id).where(Figure.id.in_(ids))
    )
    return {row[0].id: row for row in rows}


def _params_behind(trigger: Trigger) -> dict[str, Any]:
    """The rule's parameters that made this trigger: of a threshold rule's levels only the
    one crossed (a rule may list thousands, and every payload would carry them all)."""
    if trigger.rule.kind == "threshold":
        return {"level": trigger.measure}
    return dict(trigger.rule.params)


_SIDES = {"previous": "before", "current": "after"}


def _evidence(trigger: Trigger, rows: Mapping[int, _FigureRow],
              gazetteer: Gazetteer) -> dict[str, Any]:
    """Previous and current values, the change, and the figures behind them with their quotes,
    each with its place (a parent's are its children's) and its side, before or after; `rows`
    holds the figures (see _evidence_figures). Only figures of the alert's destination or of
    places within it: a figure of anywhere else is no evidence for it."""
    wanted = _evidence_ids(trigger)
    where = gazetteer.get(trigger.place_id)
    figures = []
    for figure, url, title, published_at, source, credibility in (
            rows[i] for i in sorted(wanted) if i in rows):
        counted = figure.current()
        place_id = counted.destination_id or trigger.place_id
        place = gazetteer.get(place_id)
        if place_id != trigger.place_id and (
                place is None or where is None or not gazetteer.within(place, where)):
            continue
        quote = figure.quote if len(figure.quote) <= MAX_QUOTE_CHARS else (
            figure.quote[:MAX_QUOTE_CHARS - 1] + "…")
        figures.append({
            "figure_id": figure.id, "report_id": figure.report_id, "for": wanted[figure.id],
            "side": _SIDES[wanted[figure.id]],
            "place": {"id": place_id, "name": place.name if place else (
                counted.destination_name or place_id)},
            "people": counted.people, "kind": counted.kind,
            "date": counted.observed_on.isoformat(), "review": figure.review_state,
            "quote": quote, "source": source, "credibility": credibility, "url": url,
            "title": title,
            "published_at": published_at.isoformat() if published_at else None,
        })
    previous = trigger.previous.estimate if trigger.previous else None
    current = trigger.current.estimate
    change = current - previous if previous is not None else None
    return {
        "rule": {"id": trigger.rule.id, "name": trigger.rule.name, "kind": trigger.rule.kind,
                 "params": _params_behind(trigger)},
        "day": trigger.day.isoformat(), "measure": trigger.measure,
        "previous": _point_json(trigger.previous), "current": _point_json(trigger.current),
        "change": {"people": change,
                   "percent": round(100 * change / previous, 1)
                   if change is not None and previous else None},
        "figures": figures,
    }


# -- notifications and silences -------------------------------------------------------------

def active_silence(session: Session, alert: Alert, now: datetime) -> Silence | None:
    return session.scalars(
        select(Silence).where(
            Silence.until > now,
            or_(Silence.destination_id.is_(None), Silence.destination_id == alert.destination_id),
            or_(Silence.rule_id.is_(None), Silence.rule_id == alert.rule_id),
        ).limit(1)
    ).first()


def alert_out(alert: Alert, rule: AlertRule, silenced: bool = False) -> AlertOut:
    return AlertOut(
        id=alert.id, fingerprint=alert.fingerprint,
        rule={"id": rule.id, "name": rule.name, "kind": rule.kind},
        destination={"id": alert.destination_id, "name": alert.destination_name,
                     "country": alert.country},
        severity=alert.severity, status=alert.status, summary=alert.summary, value=alert.value,
        notified_value=alert.notified_value, data_day=alert.data_day, episode=alert.episode,
        opened_at=alert.opened_at, last_triggered_at=alert.last_triggered_at,
        acknowledged_at=alert.acknowledged_at, acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at, resolution=alert.resolution, silenced=silenced,
        demo=alert.demo, evidence=alert.evidence,
    )


def _fit(data: dict[str, Any]) -> dict[str, Any]:
    """Drops evidence figures, the previous side's first, until the payload fits in 20 KB."""
    figures = list(data["evidence"].get("figures", []))
    while figures and len(json.dumps(data).encode()) > MAX_PAYLOAD_BYTES - 1000:
        figures.pop()
        data["evidence"]["figures"] = figures
    return data


def _notify(session: Session, gazetteer: Gazetteer, alert: Alert, event_type: str,
            now: datetime) -> int:
    session.flush()
    if active_silence(session, alert, now) is not None:
        return 0
    return _enqueue(session, gazetteer, alert, session.get_one(AlertRule, alert.rule_id),
                    event_type)


def _enqueue(session: Session, gazetteer: Gazetteer, alert: Alert, rule: AlertRule,
             event_type: str) -> int:
    data = _fit(alert_out(alert, rule).model_dump(mode="json"))
    places = [alert.destination_id] + [p.id for p in gazetteer.ancestors(alert.destination_id)]
    return enqueue(session, event_type, data, places=places, severity=alert.severity,
                   alert_id=alert.id, demo=alert.demo)


class _Outbox:
    """Notifies for one evaluation: the active silences are read once, on first use."""

    def __init__(self, session: Session, gazetteer: Gazetteer, now: datetime) -> None:
        self.session, self.gazetteer, self.now = session, gazetteer, now
        self._silences: list[Silence] | None = None

    def notify(self, alert: Alert, rule: AlertRule, event_type: str) -> int:
        if self._silences is None:
            self._silences = list(self.session.scalars(
                select(Silence).where(Silence.until > self.now)))
        if any(s.destination_id in (None, alert.destination_id)
               and s.rule_id in (None, alert.rule_id) for s in self._silences):
            return 0
        return _enqueue(self.session, self.gazetteer, alert, rule, event_type)


# -- lifecycle by hand and by the clock -----------------------------------------------------

def get_alert(session: Session, alert_id: int) -> tuple[Alert, AlertRule, bool]:
    row = session.execute(select(Alert, AlertRule).join(AlertRule, AlertRule.id == Alert.rule_id)
                          .where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFound(f"no alert with id {alert_id}")
    alert, rule = row
    return alert, rule, active_silence(session, alert, utcnow()) is not None


def list_alerts(session: Session, *, status: str | None, destination: str | None,
                before_id: int | None, limit: int,
                demo: bool = False) -> list[tuple[Alert, AlertRule, bool]]:
    query = (select(Alert, AlertRule).join(AlertRule, AlertRule.id == Alert.rule_id)
             .where(Alert.demo == demo).order_by(Alert.id.desc()).limit(limit))
    if status == "open":
        query = query.where(Alert.status.in_(("firing", "acknowledged")))
    elif status:
        query = query.where(Alert.status == status)
    if destination:
        query = query.where(Alert.destination_id == destination)
    if before_id is not None:
        query = query.where(Alert.id < before_id)
    now = utcnow()
    silences = list(session.scalars(select(Silence).where(Silence.until > now)))
    out = []
    for alert, rule in session.execute(query).all():
        silenced = any((s.destination_id in (None, alert.destination_id))
                       and (s.rule_id in (None, alert.rule_id)) for s in silences)
        out.append((alert, rule, silenced))
    return out


def alert_history(session: Session, alert_id: int) -> list[AlertEvent]:
    if session.scalar(select(Alert.id).where(Alert.id == alert_id)) is None:
        raise NotFound(f"no alert with id {alert_id}")
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                .order_by(AlertEvent.id)))


def acknowledge(session: Session, alert_id: int, by: str) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    if alert.status in ("resolved", "retracted"):
        raise Conflict(f"alert {alert_id} is {alert.status}")
    if alert.status == "firing":
        before = _snapshot(alert)
        alert.status = "acknowledged"
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = by
        session.flush()
        record(session, [(alert, "acknowledged", before)], alert.acknowledged_at, by=by)
    return alert


def _resolve(session: Session, gazetteer: Gazetteer, alert: Alert, resolution: str,
             now: datetime, by: str | None = None) -> None:
    before = _snapshot(alert)
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolution = resolution
    _notify(session, gazetteer, alert, "alert.resolved", now)
    record(session, [(alert, "resolved", before)], now, by=by, reason=resolution)


def resolve(session: Session, gazetteer: Gazetteer, alert_id: int, by: str) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    if alert.status in ("resolved", "retracted"):
        raise Conflict(f"alert {alert_id} is already {alert.status}")
    _resolve(session, gazetteer, alert, f"resolved by {by}", utcnow(), by=by)
    session.flush()
    return alert


def resolve_quiet(session: Session, gazetteer: Gazetteer | Callable[[], Gazetteer],
                  quiet: timedelta, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Resolves open alerts with no trigger for `quiet`; the caller commits. `gazetteer` may be
    a function, called only when there is something to resolve."""
    now = now or utcnow()
    alerts = session.scalars(
        select(Alert).where(Alert.status.in_(("firing", "acknowledged")),
                            Alert.last_triggered_at < now - quiet)
        .order_by(Alert.last_triggered_at).limit(limit).with_for_update(skip_locked=True)
    ).all()
    if not alerts:
        return []
    places = gazetteer() if callable(gazetteer) else gazetteer
    hours = quiet.total_seconds() / 3600
    for alert in alerts:
        _resolve(session, places, alert, f"quiet for {hours:g} h: no new trigger", now)
    session.flush()
    return [a.id for a in alerts]


def create_silence(session: Session, gazetteer: Gazetteer, *, destination: str | None,
                   rule_id: int | None, until: datetime, reason: str | None,
                   by: str | None) -> Silence:
    if destination is None and rule_id is None:
        raise InvalidInput("a silence names a destination, a rule, or both")
    if destination is not None and gazetteer.get(destination) is None:
        raise InvalidInput(f"no place with id {destination!r}")
    if rule_id is not None:
        get_rule(session, rule_id)
    if until <= utcnow():
        raise InvalidInput("until must be in the future")
    silence = Silence(destination_id=destination, rule_id=rule_id, until=until, reason=reason,
                      created_by=by)
    session.add(silence)
    session.flush()
    return silence


def list_silences(session: Session, active_only: bool) -> list[Silence]:
    query = select(Silence).order_by(Silence.id.desc())
    if active_only:
        query = query.where(Silence.until > utcnow())
    return list(session.scalars(query))


def delete_silence(session: Session, silence_id: int) -> None:
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"no silence with id {silence_id}")
    session.delete(silence)
    session.flush()
