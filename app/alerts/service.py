"""Where alerts are decided: `assess` runs the rules over the series days a change touched and
applies what fires to the alerts; `publish` writes their notifications to the webhook outbox;
staff read, acknowledge and resolve alerts; quiet ones resolve themselves.

The parts, each in its module: the rule kinds (`rules/`), which rules fire where (`firing`),
what a trigger does to an alert (`lifecycle`) and how that is stored (`apply`), the evidence it
carries (`evidence`), how it is told (`outbox`) and who is not told (`silences`). Services only
flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import lifecycle
from app.alerts.apply import Evaluation, apply_triggers
from app.alerts.enums import OPEN_STATUSES, AlertStatus
from app.alerts.firing import fire
from app.alerts.models import Alert, AlertRule
from app.alerts.outbox import Outbox, notify
from app.alerts.silences import active_silences, silenced
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.gazetteer.index import Gazetteer


def assess(
    session: Session,
    gazetteer: Gazetteer,
    changed: Mapping[str, set[date]],
    now: datetime | None = None,
) -> Evaluation:
    """Runs the enabled rules over the changed (destination, days) and applies what fires to
    the alerts; the notices are left to `publish`. The caller commits.

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
    fired = fire(session, gazetteer, rules, changed)
    if not fired:
        return Evaluation([], [], now)
    return apply_triggers(session, gazetteer, fired, now)


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
) -> list[tuple[Alert, AlertRule, bool]]:
    """Newest first; `status` "open" is firing or acknowledged."""
    query = (
        select(Alert, AlertRule)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
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


def _resolve(
    session: Session, gazetteer: Gazetteer, alert: Alert, resolution: str, now: datetime
) -> None:
    notify(session, gazetteer, alert, lifecycle.resolve(alert, resolution, now), now)


def resolve(session: Session, gazetteer: Gazetteer, alert_id: int, by: str) -> Alert:
    alert = _locked(session, alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(f"alert {alert_id} is already resolved")
    _resolve(session, gazetteer, alert, f"resolved by {by}", utcnow())
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
