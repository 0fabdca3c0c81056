"""Where alerts are decided: `assess` runs the rules over the series days a change touched and
applies what fires to the alerts; `publish` writes their notifications to the webhook outbox;
staff read, acknowledge and resolve alerts; quiet ones resolve themselves.

The parts, each in its module: the rule kinds (`rules/`), which rules fire where (`firing`),
what a trigger does to an alert (`lifecycle`), the evidence it carries (`evidence`), how it is
told (`outbox`) and who is not told (`silences`). Services only flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.alerts import lifecycle
from app.alerts.enums import OPEN_STATUSES, AlertEvent, AlertStatus
from app.alerts.evidence import FigureRow, evidence, evidence_figures
from app.alerts.firing import fire
from app.alerts.lifecycle import Outcome
from app.alerts.models import Alert, AlertRule
from app.alerts.outbox import Outbox, notify
from app.alerts.rules import Trigger
from app.alerts.silences import active_silences, silenced
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.gazetteer.index import Gazetteer


@dataclass(frozen=True, slots=True)
class Notice:
    """An alert change to tell the webhooks about."""

    alert: Alert
    rule: AlertRule
    event_type: AlertEvent


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What evaluating the rules did: the alerts opened, escalated or refreshed, and the
    notices to publish, in the order of their triggers."""

    alerts: list[Alert]
    notices: list[Notice]
    at: datetime


def assess(session: Session, gazetteer: Gazetteer, changed: Mapping[str, set[date]],
           now: datetime | None = None) -> Evaluation:
    """Runs the enabled rules over the changed (destination, days) and applies what fires to
    the alerts; the notices are left to `publish`. The caller commits.

    A few queries per call, however many places changed: the rules, the series points, the
    highest estimates before them, the alerts, the evidence figures."""
    now = now or utcnow()
    if not changed:
        return Evaluation([], [], now)
    rules = list(session.scalars(
        select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)))
    if not rules:
        return Evaluation([], [], now)
    fired = fire(session, gazetteer, rules, changed)
    if not fired:
        return Evaluation([], [], now)
    return _apply(session, gazetteer, fired, now)


def publish(session: Session, gazetteer: Gazetteer, evaluation: Evaluation) -> int:
    """Writes the evaluation's notices to the webhook outbox, but those a silence covers (the
    active silences read in one query); returns the deliveries written."""
    outbox = Outbox(session, gazetteer, evaluation.at)
    return sum(outbox.notify(n.alert, n.rule, n.event_type) for n in evaluation.notices)


def evaluate(session: Session, gazetteer: Gazetteer, changed: Mapping[str, set[date]],
             now: datetime | None = None) -> list[Alert]:
    """`assess`, then `publish`: returns the alerts that opened, escalated or were refreshed."""
    evaluation = assess(session, gazetteer, changed, now)
    publish(session, gazetteer, evaluation)
    return evaluation.alerts


def _apply(session: Session, gazetteer: Gazetteer, fired: list[Trigger],
           now: datetime) -> Evaluation:
    keys = [lifecycle.fingerprint(t.rule.id, t.place_id) for t in fired]
    # one query locks them all, in fingerprint order: two workers never deadlock on them
    alerts = {a.fingerprint: a for a in session.scalars(
        select(Alert).where(Alert.fingerprint.in_(keys)).order_by(Alert.fingerprint)
        .with_for_update())}
    # evidence only where it is written; a new alert may turn out to exist (a race), so it
    # gets the figures too
    figures = evidence_figures(session, [
        t for t, key in zip(fired, keys, strict=True)
        if key not in alerts or lifecycle.decide(alerts[key], t) in lifecycle.WRITES_EVIDENCE])
    inserted = _insert(session, gazetteer, [(t, key) for t, key in zip(fired, keys, strict=True)
                                           if key not in alerts], figures, alerts, now)
    outcomes = {key: lifecycle.decide(alerts[key], t) for t, key in zip(fired, keys, strict=True)
                if key not in inserted}
    # the alerts only touched first, then the others each with every column they may change:
    # two flushes of one statement each, where mixed changes would be one statement per alert
    for (trigger, key) in zip(fired, keys, strict=True):
        if outcomes.get(key) == Outcome.TOUCH:
            lifecycle.apply(alerts[key], Outcome.TOUCH, trigger, None, now)
    session.flush()
    touched: list[Alert] = []
    notices: list[Notice] = []
    for trigger, key in zip(fired, keys, strict=True):
        if key in inserted:
            touched.append(inserted[key])
            notices.append(Notice(inserted[key], trigger.rule, AlertEvent.FIRING))
            continue
        alert, outcome = alerts[key], outcomes[key]
        if outcome == Outcome.REPLAY:
            continue
        touched.append(alert)
        if outcome not in lifecycle.WRITES_EVIDENCE:
            continue
        event = lifecycle.apply(alert, outcome, trigger,
                                evidence(trigger, figures, gazetteer), now)
        if event is not None:
            notices.append(Notice(alert, trigger.rule, event))
        for column in lifecycle.REWRITTEN:
            flag_modified(alert, column)
    # before the outbox's queries, which would flush the alerts one by one
    session.flush()
    return Evaluation(touched, notices, now)


def _insert(session: Session, gazetteer: Gazetteer, new: list[tuple[Trigger, str]],
            figures: Mapping[int, FigureRow], alerts: dict[str, Alert],
            now: datetime) -> dict[str, Alert]:
    """Inserts the alerts of triggers with none yet, all under one savepoint; returns them by
    fingerprint. When a concurrent evaluation inserted one of them first, each is tried under
    its own savepoint, and those that exist are locked into `alerts`, to be updated instead."""
    if not new:
        return {}

    def build() -> dict[str, Alert]:
        return {key: lifecycle.open_alert(key, trigger, evidence(trigger, figures, gazetteer),
                                          gazetteer, now) for trigger, key in new}

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


# -- by hand and by the clock ---------------------------------------------------------------

def get_alert(session: Session, alert_id: int) -> tuple[Alert, AlertRule, bool]:
    """The alert, its rule, and whether a silence covers it now."""
    row = session.execute(select(Alert, AlertRule).join(AlertRule, AlertRule.id == Alert.rule_id)
                          .where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFound(f"no alert with id {alert_id}")
    alert, rule = row
    return alert, rule, silenced(active_silences(session, utcnow()), alert)


def list_alerts(session: Session, *, status: str | None, destination: str | None,
                before_id: int | None, limit: int) -> list[tuple[Alert, AlertRule, bool]]:
    """Newest first; `status` "open" is firing or acknowledged."""
    query = (select(Alert, AlertRule).join(AlertRule, AlertRule.id == Alert.rule_id)
             .order_by(Alert.id.desc()).limit(limit))
    if status == "open":
        query = query.where(Alert.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(Alert.status == status)
    if destination:
        query = query.where(Alert.destination_id == destination)
    if before_id is not None:
        query = query.where(Alert.id < before_id)
    silences = active_silences(session, utcnow())
    return [(alert, rule, silenced(silences, alert))
            for alert, rule in session.execute(query).all()]


def _locked(session: Session, alert_id: int) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"no alert with id {alert_id}")
    return alert


def acknowledge(session: Session, alert_id: int, by: str) -> Alert:
    alert = _locked(session, alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(f"alert {alert_id} is resolved")
    if lifecycle.acknowledge(alert, by, utcnow()):
        session.flush()
    return alert


def _resolve(session: Session, gazetteer: Gazetteer, alert: Alert, resolution: str,
             now: datetime) -> None:
    notify(session, gazetteer, alert, lifecycle.resolve(alert, resolution, now), now)


def resolve(session: Session, gazetteer: Gazetteer, alert_id: int, by: str) -> Alert:
    alert = _locked(session, alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(f"alert {alert_id} is already resolved")
    _resolve(session, gazetteer, alert, f"resolved by {by}", utcnow())
    session.flush()
    return alert


def resolve_quiet(session: Session, gazetteer: Gazetteer | Callable[[], Gazetteer],
                  quiet: timedelta, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Resolves open alerts with no trigger for `quiet`; the caller commits. `gazetteer` may be
    a function, called only when there is something to resolve."""
    now = now or utcnow()
    alerts = session.scalars(
        select(Alert).where(Alert.status.in_(OPEN_STATUSES),
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
