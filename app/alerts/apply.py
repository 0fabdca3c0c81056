"""Applies the triggers of one evaluation to the alert rows: locks the existing ones, inserts the
new ones (safe against a concurrent evaluation), and changes each as `lifecycle` decides, with the
notices to publish and a history row per change (`app.alerts.history`). Queries are per
evaluation, not per alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.alerts import history, lifecycle
from app.alerts.enums import AlertEvent
from app.alerts.evidence import FigureRow, evidence, evidence_figures
from app.alerts.lifecycle import Outcome
from app.alerts.models import Alert, AlertRule
from app.alerts.rules import Trigger
from app.gazetteer.index import Gazetteer
from app.incidents import service as incidents


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


def apply_triggers(
    session: Session,
    gazetteer: Gazetteer,
    fired: list[Trigger],
    now: datetime,
    demo: bool,
    incident_window: timedelta = incidents.DEFAULT_WINDOW,
) -> Evaluation:
    """Applies what fired (in order) to the alerts of its fingerprints (the demo's alerts when
    `demo`): new ones inserted, the others changed as `lifecycle.decide` says, each change kept
    in the alert's history, an alert that (re)opens put in its incident (`incident_window`);
    returns the alerts touched and the notices."""
    keys = [lifecycle.fingerprint(t.rule.id, t.place_id, demo) for t in fired]
    # one query locks them all, in fingerprint order: two workers never deadlock on them
    alerts = {
        a.fingerprint: a
        for a in session.scalars(
            select(Alert)
            .where(Alert.fingerprint.in_(keys))
            .order_by(Alert.fingerprint)
            .with_for_update()
        )
    }
    # evidence only where it is written; a new alert may turn out to exist (a race), so it
    # gets the figures too
    figures = evidence_figures(
        session,
        [
            t
            for t, key in zip(fired, keys, strict=True)
            if key not in alerts or lifecycle.decide(alerts[key], t) in lifecycle.WRITES_EVIDENCE
        ],
    )
    inserted = _insert(
        session,
        gazetteer,
        [(t, key) for t, key in zip(fired, keys, strict=True) if key not in alerts],
        figures,
        alerts,
        now,
        demo,
    )
    outcomes = {
        key: lifecycle.decide(alerts[key], t)
        for t, key in zip(fired, keys, strict=True)
        if key not in inserted
    }
    # the alerts only touched first, then the others each with every column they may change:
    # two flushes of one statement each, where mixed changes would be one statement per alert
    for trigger, key in zip(fired, keys, strict=True):
        if outcomes.get(key) == Outcome.TOUCH:
            lifecycle.transition(alerts[key], Outcome.TOUCH, trigger, None, now)
    session.flush()
    touched: list[Alert] = []
    notices: list[Notice] = []
    before: dict[str, dict[str, Any]] = {}  # what each changed alert said before
    for trigger, key in zip(fired, keys, strict=True):
        if key in inserted:
            touched.append(inserted[key])
            if (opened := lifecycle.EVENTS[Outcome.OPEN]) is not None:
                notices.append(Notice(inserted[key], trigger.rule, opened))
            continue
        alert, outcome = alerts[key], outcomes[key]
        if outcome == Outcome.REPLAY:
            continue
        touched.append(alert)
        if outcome not in lifecycle.WRITES_EVIDENCE:
            continue
        before[key] = history.snapshot(alert)
        event = lifecycle.transition(
            alert, outcome, trigger, evidence(trigger, figures, gazetteer), now
        )
        if event is not None:
            notices.append(Notice(alert, trigger.rule, event))
        for column in lifecycle.REWRITTEN:
            flag_modified(alert, column)
    # an alert that (re)opens joins its incident (its later changes stay with it), in the
    # flush below
    incidents.link(
        session, gazetteer, [n.alert for n in notices if n.event_type == AlertEvent.FIRING], now,
        incident_window,
    )
    # before the outbox's queries, which would flush the alerts one by one
    session.flush()
    history.record(
        session,
        [(n.alert, n.event_type, before.get(n.alert.fingerprint)) for n in notices],
        now,
    )
    return Evaluation(touched, notices, now)


def _insert(
    session: Session,
    gazetteer: Gazetteer,
    new: list[tuple[Trigger, str]],
    figures: Mapping[int, FigureRow],
    alerts: dict[str, Alert],
    now: datetime,
    demo: bool,
) -> dict[str, Alert]:
    """Inserts the alerts of triggers with none yet, all under one savepoint; returns them by
    fingerprint. When a concurrent evaluation inserted one of them first, each is tried under
    its own savepoint, and those that exist are locked into `alerts`, to be updated instead."""
    if not new:
        return {}

    def build() -> dict[str, Alert]:
        return {
            key: lifecycle.open_alert(
                key, trigger, evidence(trigger, figures, gazetteer), gazetteer, now, demo
            )
            for trigger, key in new
        }

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
            alerts[key] = session.scalars(
                select(Alert).where(Alert.fingerprint == key).with_for_update()
            ).one()
        else:
            inserted[key] = alert
    return inserted
