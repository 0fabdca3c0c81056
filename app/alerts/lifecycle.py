"""The lifecycle of an alert: what a trigger does to it (an `Outcome`), each state change, and
the webhook event each change is told as. No queries here: `app.alerts.apply` loads, locks and
stores the alerts.

Each (rule, destination) has one alert row, its fingerprint: a trigger opens it, or reopens it
after it resolved when the figures went further than before; while open, it escalates (a new
notification) only when its value rises by the rule's step beyond the last notified value (a
threshold rule: when it crosses a higher level). So replaying the same reports, or a second
outlet repeating a figure, notifies no one twice. Staff acknowledge and resolve by hand; alerts
with no trigger for DISPMON_ALERT_QUIET_HOURS resolve themselves.

States are `AlertStatus` (app.alerts.enums); a new outcome is a value of `Outcome`, its event in
`EVENTS`, and its change in `transition`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from app.alerts.enums import AlertEvent, AlertStatus
from app.alerts.evidence import Evidence
from app.alerts.models import Alert
from app.alerts.rules import Trigger, rule_of
from app.gazetteer.index import Gazetteer


class Outcome(StrEnum):
    """What a trigger does to the alert of its fingerprint."""

    OPEN = "open"  # no alert yet: a new one fires
    REPLAY = "replay"  # the same figures again after it resolved: nothing
    REOPEN = "reopen"  # resolved, and the figures went further: a new episode fires
    ESCALATE = "escalate"  # open, and risen by the rule's step: it fires again
    REFRESH = "refresh"  # open, a new value or day: updated, no notification
    TOUCH = "touch"  # open, nothing new: only last_triggered_at


EVENTS: dict[Outcome, AlertEvent | None] = {
    Outcome.OPEN: AlertEvent.FIRING,
    Outcome.REPLAY: None,
    Outcome.REOPEN: AlertEvent.FIRING,
    Outcome.ESCALATE: AlertEvent.ESCALATED,
    Outcome.REFRESH: None,
    Outcome.TOUCH: None,
}
"""The webhook event each outcome is told as (None: told no one)."""

WRITES_EVIDENCE = frozenset({Outcome.OPEN, Outcome.REOPEN, Outcome.ESCALATE, Outcome.REFRESH})
"""The outcomes that rewrite the alert from its trigger (value, summary, evidence...)."""

REWRITTEN = (
    "status",
    "episode",
    "opened_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolution",
    "value",
    "notified_value",
    "summary",
    "data_day",
    "evidence",
    "severity",
    "last_triggered_at",
)
"""The columns a trigger may change on an existing alert."""


def fingerprint(rule_id: int, place_id: str) -> str:
    return f"rule:{rule_id}:{place_id}"


def decide(alert: Alert, trigger: Trigger) -> Outcome:
    """What a trigger does to its existing alert."""
    if alert.status == AlertStatus.RESOLVED:
        if trigger.day <= alert.data_day and trigger.measure <= alert.notified_value:
            return Outcome.REPLAY  # the same figures again: not a new event
        return Outcome.REOPEN
    if rule_of(trigger.rule.kind).escalates(trigger.rule, alert.notified_value, trigger.measure):
        return Outcome.ESCALATE
    if trigger.measure >= alert.value or trigger.day > alert.data_day:
        return Outcome.REFRESH
    return Outcome.TOUCH


def open_alert(
    key: str, trigger: Trigger, evidence: Evidence, gazetteer: Gazetteer, now: datetime
) -> Alert:
    """The new alert of a trigger whose fingerprint has none (`Outcome.OPEN`)."""
    place = gazetteer.get(trigger.place_id)
    return Alert(
        fingerprint=key,
        rule_id=trigger.rule.id,
        destination_id=trigger.place_id,
        destination_name=place.name if place else trigger.place_id,
        country=place.country if place else None,
        severity=trigger.rule.severity,
        status=AlertStatus.FIRING,
        summary=trigger.summary,
        value=trigger.measure,
        notified_value=trigger.measure,
        data_day=trigger.day,
        evidence=evidence,
        episode=1,
        opened_at=now,
        last_triggered_at=now,
    )


def transition(
    alert: Alert, outcome: Outcome, trigger: Trigger, evidence: Evidence | None, now: datetime
) -> AlertEvent | None:
    """Changes an existing alert as `outcome` says (`evidence`: for those in WRITES_EVIDENCE);
    returns the event to tell, if any."""
    if outcome in (Outcome.REPLAY, Outcome.OPEN):
        return EVENTS[outcome]
    if outcome == Outcome.TOUCH:
        alert.last_triggered_at = now
        return EVENTS[outcome]
    if outcome == Outcome.REOPEN:
        alert.status, alert.episode, alert.opened_at = AlertStatus.FIRING, alert.episode + 1, now
        alert.acknowledged_at = alert.acknowledged_by = None
        alert.resolved_at = alert.resolution = None
    elif outcome == Outcome.ESCALATE:
        alert.status = AlertStatus.FIRING
        alert.acknowledged_at = alert.acknowledged_by = None
    assert evidence is not None, f"{outcome} rewrites the evidence"
    alert.value = trigger.measure
    alert.summary = trigger.summary
    alert.data_day = max(alert.data_day, trigger.day)
    alert.evidence = evidence
    alert.severity = trigger.rule.severity
    alert.last_triggered_at = now
    if outcome != Outcome.REFRESH:
        alert.notified_value = trigger.measure
    return EVENTS[outcome]


def acknowledge(alert: Alert, by: str, now: datetime) -> bool:
    """Someone is on it: a firing alert is acknowledged, told no one; returns whether it
    changed (an acknowledged alert stays as it was). The caller refuses a resolved one."""
    if alert.status != AlertStatus.FIRING:
        return False
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = by
    return True


def resolve(alert: Alert, resolution: str, now: datetime) -> AlertEvent:
    """Resolves an open alert, by hand or because it went quiet; returns the event to tell."""
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.resolution = resolution
    return AlertEvent.RESOLVED
