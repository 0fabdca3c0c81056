"""Alerts and the review of figures: `would_raise` tells which triggers of new figures would
open, reopen or escalate an alert (what DISPMON_REVIEW=alerting holds figures back for), and
`revise` checks the alerts again after staff confirmed, rejected or corrected a figure.

A revised alert whose rule no longer fires is retracted (`alert.retracted`: the figures it
stood on were rejected or corrected away); an open one that now says something else is
escalated past its step, or else updated (`alert.updated`). Each change is kept in the alert's
history with who and why (`app.alerts.history`). What each change is, is `app.alerts.lifecycle`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import history, lifecycle
from app.alerts.apply import Evaluation, Notice
from app.alerts.enums import AlertEvent, AlertStatus
from app.alerts.evidence import evidence, evidence_figures
from app.alerts.firing import fire
from app.alerts.lifecycle import Outcome
from app.alerts.models import Alert, AlertRule
from app.alerts.rules import Trigger
from app.db import utcnow
from app.gazetteer.index import Gazetteer

REVISED_STATUSES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED)
"""The alerts a review checks again: open, or resolved but never retracted."""


def would_raise(
    session: Session,
    gazetteer: Gazetteer,
    changed: Mapping[str, set[date]],
    severity: str,
    *,
    demo: bool = False,
) -> list[Trigger]:
    """The triggers of the enabled rules of `severity` over the changed days that would open,
    reopen or escalate an alert, changing nothing (no lock, no write): what DISPMON_REVIEW=
    alerting holds figures back for."""
    rules = list(
        session.scalars(
            select(AlertRule)
            .where(AlertRule.enabled.is_(True), AlertRule.severity == severity)
            .order_by(AlertRule.id)
        )
    )
    if not rules or not changed:
        return []
    fired = fire(session, gazetteer, rules, changed, demo)
    if not fired:
        return []
    keys = [lifecycle.fingerprint(t.rule.id, t.place_id, demo) for t in fired]
    alerts = {
        a.fingerprint: a for a in session.scalars(select(Alert).where(Alert.fingerprint.in_(keys)))
    }
    return [
        t
        for t, key in zip(fired, keys, strict=True)
        if (alert := alerts.get(key)) is None
        or lifecycle.decide(alert, t) in (Outcome.REOPEN, Outcome.ESCALATE)
    ]


@dataclass(frozen=True, slots=True)
class Revision:
    """What checking alerts again after a review did, and the alerts it checked (which
    `assess` then leaves alone, by their fingerprints)."""

    evaluation: Evaluation
    checked: set[str]


def revise(
    session: Session,
    gazetteer: Gazetteer,
    changed: Mapping[str, set[date]],
    *,
    by: str,
    reason: str | None,
    now: datetime | None = None,
    demo: bool = False,
) -> Revision:
    """Checks again the alerts of the places whose series a review changed (open, or resolved
    but never retracted; the demo's when `demo`), each on the changed days and its own day,
    with the series as they now are, as `lifecycle.decide_revision` says. Each change is kept in
    the alert's history with who and why. The caller publishes the notices and commits."""
    now = now or utcnow()
    if not changed:
        return Revision(Evaluation([], [], now), set())
    alerts = list(
        session.scalars(
            select(Alert)
            .where(
                Alert.destination_id.in_(sorted(changed)),
                Alert.demo == demo,
                Alert.status.in_(REVISED_STATUSES),
            )
            .order_by(Alert.fingerprint)
            .with_for_update()
        )
    )
    if not alerts:
        return Revision(Evaluation([], [], now), set())
    rules = {
        r.id: r
        for r in session.scalars(
            select(AlertRule).where(AlertRule.id.in_({a.rule_id for a in alerts}))
        )
    }
    days: dict[str, set[date]] = {pid: set(d) for pid, d in changed.items()}
    for alert in alerts:
        days[alert.destination_id].add(alert.data_day)
    fired = {
        (t.rule.id, t.place_id): t
        for t in fire(session, gazetteer, list(rules.values()), days, demo, echoes=False)
    }
    figures = evidence_figures(session, fired.values())
    notices: list[Notice] = []
    changes: list[history.Change] = []
    for alert in alerts:
        rule = rules[alert.rule_id]
        trigger = fired.get((alert.rule_id, alert.destination_id))
        outcome = lifecycle.decide_revision(alert, trigger)
        if outcome == Outcome.REPLAY:
            continue
        before = history.snapshot(alert)
        event: AlertEvent | None
        if trigger is None:
            event = lifecycle.retract(alert, by, reason, now)
        else:
            event = lifecycle.restate(
                alert, outcome, trigger, evidence(trigger, figures, gazetteer)
            )
        if event is not None:
            notices.append(Notice(alert, rule, event))
            changes.append((alert, event, before))
    session.flush()
    history.record(session, changes, now, by=by, reason=reason)
    return Revision(
        Evaluation([n.alert for n in notices], notices, now), {a.fingerprint for a in alerts}
    )
