"""Where alerts are decided: `assess` runs the rules over the series days a change touched and
applies what fires to the alerts; `publish` writes their notifications to the webhook outbox;
staff read, acknowledge and resolve alerts; quiet ones resolve themselves. After staff review
a figure, `revise` checks the alerts there again and `would_raise` tells what new figures would
raise (both of `app.alerts.review`, re-exported here for the pipeline). The demo's series raise
alerts of their own (`demo`, app.demo), listed and told apart.

The parts, each in its module: the rule kinds (`rules/`), which rules fire where (`firing`),
what a trigger does to an alert (`lifecycle`) and how that is stored (`apply`), the evidence it
carries (`evidence`), how it is told (`outbox`), who is not told (`silences`), what a review
changes (`review`) and the history of every change (`history`). Services only flush; the caller
commits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import history, lifecycle
from app.alerts.apply import Evaluation, apply_triggers
from app.alerts.enums import OPEN_STATUSES, AlertChange, AlertStatus
from app.alerts.firing import fire
from app.alerts.models import Alert, AlertRule
from app.alerts.models import AlertEvent as AlertEventRow
from app.alerts.outbox import Outbox, notify
from app.alerts.review import Revision, revise, would_raise
from app.alerts.silences import active_silences, silenced
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.gazetteer.index import Gazetteer
from app.incidents.service import DEFAULT_WINDOW

__all__ = [
    "Evaluation",
    "Revision",
    "acknowledge",
    "assess",
    "evaluate",
    "get_alert",
    "list_alerts",
    "publish",
    "resolve",
    "resolve_quiet",
    "revise",
    "would_raise",
]

CLOSED_STATUSES = (AlertStatus.RESOLVED, AlertStatus.RETRACTED)
"""The states of an alert no one can acknowledge or resolve any more."""


def assess(
    session: Session,
    gazetteer: Gazetteer,
    changed: Mapping[str, set[date]],
    now: datetime | None = None,
    skip: Collection[str] = (),
    *,
    demo: bool = False,
    incident_window: timedelta = DEFAULT_WINDOW,
) -> Evaluation:
    """Runs the enabled rules over the changed (destination, days) and applies what fires to
    the alerts, but those fingerprinted in `skip` (already checked by `revise`); the notices
    are left to `publish`. The caller commits. `demo`: the changes are of the demo's series,
    and so are the alerts they raise (app.demo). Alerts that open within `incident_window` of
    an incident of their place or its parents join it (app.incidents).

    A few queries per call, however many places changed: the rules, the series points, the
    highest estimates before them, the alerts, the evidence figures."""
    now = now or utcnow()
    if not changed:
        return Evaluation([], [], now)
    rules = list(
        session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id))
    )
    if not rules:
        return Evaluation([], [], now)
    fired = [
        t
        for t in fire(session, gazetteer, rules, changed, demo)
        if lifecycle.fingerprint(t.rule.id, t.place_id, demo) not in skip
    ]
    if not fired:
        return Evaluation([], [], now)
    return apply_triggers(session, gazetteer, fired, now, demo, incident_window)


def publish(session: Session, gazetteer: Gazetteer, evaluation: Evaluation) -> int:
    """Writes the evaluation's notices to the webhook outbox, but those a silence covers (the
    active silences read in one query); returns the deliveries written."""
    outbox = Outbox(session, gazetteer, evaluation.at)
    return sum(outbox.notify(n.alert, n.rule, n.event_type) for n in evaluation.notices)


def evaluate(
    session: Session,
    gazetteer: Gazetteer,
    changed: Mapping[str, set[date]],
    now: datetime | None = None,
) -> list[Alert]:
    """`assess`, then `publish`: returns the alerts that opened, escalated or were refreshed."""
    evaluation = assess(session, gazetteer, changed, now)
    publish(session, gazetteer, evaluation)
    return evaluation.alerts


# -- by hand and by the clock ---------------------------------------------------------------


def get_alert(session: Session, alert_id: int) -> tuple[Alert, AlertRule, bool]:
    """The alert, its rule, and whether a silence covers it now."""
    row = session.execute(
        select(Alert, AlertRule)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .where(Alert.id == alert_id)
    ).first()
    if row is None:
        raise NotFound(f"no alert with id {alert_id}")
    alert, rule = row
    return alert, rule, silenced(active_silences(session, utcnow()), alert)


def list_alerts(
    session: Session,
    *,
    status: str | None,
    destination: str | None,
    before_id: int | None,
    limit: int,
    demo: bool = False,
) -> list[tuple[Alert, AlertRule, bool]]:
    """Newest first, the demo's alerts or the real ones; `status` "open" is firing or
    acknowledged."""
    query = (
        select(Alert, AlertRule)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .where(Alert.demo == demo)
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    if status == "open":
        query = query.where(Alert.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(Alert.status == status)
    if destination:
        query = query.where(Alert.destination_id == destination)
    if before_id is not None:
        query = query.where(Alert.id < before_id)
    silences = active_silences(session, utcnow())
    return [
        (alert, rule, silenced(silences, alert)) for alert, rule in session.execute(query).all()
    ]


def alert_history(session: Session, alert_id: int) -> list[AlertEventRow]:
    """Every change of the alert, oldest first (app.alerts.history writes them)."""
    if session.scalar(select(Alert.id).where(Alert.id == alert_id)) is None:
        raise NotFound(f"no alert with id {alert_id}")
    return list(session.scalars(select(AlertEventRow).where(AlertEventRow.alert_id == alert_id)
                                .order_by(AlertEventRow.id)))


def _locked(session: Session, alert_id: int) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    return alert


def acknowledge(session: Session, alert_id: int, by: str) -> Alert:
    """Someone is on it: kept in the alert's history, told no one."""
    alert = _locked(session, alert_id)
    if alert.status in CLOSED_STATUSES:
        raise Conflict(f"alert {alert_id} is {alert.status}")
    before, now = history.snapshot(alert), utcnow()
    if lifecycle.acknowledge(alert, by, now):
        session.flush()
        history.record(session, [(alert, AlertChange.ACKNOWLEDGED, before)], now, by=by)
    return alert


def _resolve(
    session: Session,
    gazetteer: Gazetteer,
    alert: Alert,
    resolution: str,
    now: datetime,
    by: str | None = None,
) -> None:
    before = history.snapshot(alert)
    event = lifecycle.resolve(alert, resolution, now)
    notify(session, gazetteer, alert, event, now)
    history.record(session, [(alert, event, before)], now, by=by, reason=resolution)


def resolve(session: Session, gazetteer: Gazetteer, alert_id: int, by: str) -> Alert:
    alert = _locked(session, alert_id)
    if alert.status in CLOSED_STATUSES:
        raise Conflict(f"alert {alert_id} is already {alert.status}")
    _resolve(session, gazetteer, alert, f"resolved by {by}", utcnow(), by=by)
    session.flush()
    return alert


def resolve_quiet(
    session: Session,
    gazetteer: Gazetteer | Callable[[], Gazetteer],
    quiet: timedelta,
    now: datetime | None = None,
    limit: int = 100,
) -> list[int]:
    """Resolves open alerts with no trigger for `quiet`; the caller commits. `gazetteer` may be
    a function, called only when there is something to resolve."""
    now = now or utcnow()
    alerts = session.scalars(
        select(Alert)
        .where(Alert.status.in_(OPEN_STATUSES), Alert.last_triggered_at < now - quiet)
        .order_by(Alert.last_triggered_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not alerts:
        return []
    places = gazetteer() if callable(gazetteer) else gazetteer
    hours = quiet.total_seconds() / 3600
    for alert in alerts:
        _resolve(session, places, alert, f"quiet for {hours:g} h: no new trigger", now)
    session.flush()
    return [a.id for a in alerts]
