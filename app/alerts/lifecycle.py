"""The lifecycle of an alert: what a trigger does to it (an `Outcome`), each state change, and
the webhook event each change is told as. No queries here: `app.alerts.apply` loads, locks and
stores the alerts.

Each (rule, destination) has one alert row, its fingerprint: a trigger opens it, or reopens it
after it resolved when the figures went further than before; while open, it escalates (a new
notification) only when its value rises by the rule's step beyond the last notified value (a
threshold rule: when it crosses a higher level). So replaying the same reports, or a second
outlet repeating a figure, notifies no one twice; a new value, text or day below the step is
told as `alert.updated`. Staff acknowledge and resolve by hand; alerts with no trigger for
DISPMON_ALERT_QUIET_HOURS resolve themselves. After staff review a figure, `app.alerts.review`
checks the alerts there again: one whose rule no longer fires is retracted (it was never true;
a new trigger reopens it), one that now says something else is escalated or updated.

States are `AlertStatus` (app.alerts.enums); a new outcome is a value of `Outcome`, its event in
`EVENTS`, and its change in `transition` (a trigger's) or `restate` (a review's). Every change
is also a row of the alert's history (`app.alerts.history`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from app.alerts.enums import AlertEvent, AlertStatus
from app.alerts.evidence import Evidence
from app.alerts.models import Alert
from app.alerts.rules import Trigger, rule_of
from app.gazetteer.index import Gazetteer


class Outcome(StrEnum):
    """What a trigger does to the alert of its fingerprint."""

    OPEN = "open"  # no alert yet: a new one fires
    REPLAY = "replay"  # the same figures again after it resolved: nothing
    REOPEN = "reopen"  # resolved with further figures, or retracted: a new episode fires
    ESCALATE = "escalate"  # open, and risen by the rule's step: it fires again
    REFRESH = "refresh"  # open, a new value, text or day below the step: updated
    TOUCH = "touch"  # open, nothing new: only last_triggered_at
    # after a review of the figures behind it (app.alerts.review):
    RETRACT = "retract"  # its rule no longer fires there: it was never true
    REVISE = "revise"  # open, and it says something else below the step: updated


EVENTS: dict[Outcome, AlertEvent | None] = {
    Outcome.OPEN: AlertEvent.FIRING,
    Outcome.REPLAY: None,
    Outcome.REOPEN: AlertEvent.FIRING,
    Outcome.ESCALATE: AlertEvent.ESCALATED,
    Outcome.REFRESH: AlertEvent.UPDATED,
    Outcome.TOUCH: None,
    Outcome.RETRACT: AlertEvent.RETRACTED,
    Outcome.REVISE: AlertEvent.UPDATED,
}
"""The webhook event each outcome is told as (None: told no one); an update that leaves what
the alert says as it was is told no one."""

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


def fingerprint(rule_id: int, place_id: str, demo: bool) -> str:
    """One alert per (rule, place), and apart for the demo's series (app.demo)."""
    return f"rule:{rule_id}:{place_id}" + (":demo" if demo else "")


def says(alert: Alert) -> tuple[Any, ...]:
    """What an alert tells its readers: a change to any of it is an event."""
    return (alert.status, alert.value, alert.summary, alert.data_day, alert.evidence)


def decide(alert: Alert, trigger: Trigger) -> Outcome:
    """What a trigger does to its existing alert."""
    if alert.status == AlertStatus.RETRACTED:
        return Outcome.REOPEN  # its figures were rejected: any trigger now is news
    if alert.status == AlertStatus.RESOLVED:
        if trigger.day <= alert.data_day and trigger.measure <= alert.notified_value:
            return Outcome.REPLAY  # the same figures again: not a new event
        return Outcome.REOPEN
    if rule_of(trigger.rule.kind).escalates(trigger.rule, alert.notified_value, trigger.measure):
        return Outcome.ESCALATE
    if (
        trigger.measure == alert.value
        and trigger.summary == alert.summary
        and trigger.day <= alert.data_day
    ):
        return Outcome.TOUCH  # says what the alert says (another outlet repeating a figure)
    if trigger.measure >= alert.value or trigger.day > alert.data_day:
        return Outcome.REFRESH
    return Outcome.TOUCH


def decide_revision(alert: Alert, trigger: Trigger | None) -> Outcome:
    """What checking an alert again after a review does, `trigger` being its rule's trigger
    there on the series as they now are (None: it no longer fires)."""
    if trigger is None:
        return Outcome.RETRACT
    if alert.status == AlertStatus.RESOLVED:
        return Outcome.REPLAY  # it still stands as it was when it resolved
    if rule_of(trigger.rule.kind).escalates(trigger.rule, alert.notified_value, trigger.measure):
        return Outcome.ESCALATE
    return Outcome.REVISE


def open_alert(
    key: str,
    trigger: Trigger,
    evidence: Evidence,
    gazetteer: Gazetteer,
    now: datetime,
    demo: bool,
) -> Alert:
    """The new alert of a trigger whose fingerprint has none (`Outcome.OPEN`)."""
    place = gazetteer.get(trigger.place_id)
    return Alert(
        fingerprint=key,
        rule_id=trigger.rule.id,
        destination_id=trigger.place_id,
        demo=demo,
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
    """Changes an existing alert as a trigger's `outcome` says (`evidence`: for those in
    WRITES_EVIDENCE); returns the event to tell, if any."""
    if outcome in (Outcome.REPLAY, Outcome.OPEN, Outcome.RETRACT, Outcome.REVISE):
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
    said = says(alert)
    alert.value = trigger.measure
    alert.summary = trigger.summary
    alert.data_day = max(alert.data_day, trigger.day)
    alert.evidence = evidence
    alert.severity = trigger.rule.severity
    alert.last_triggered_at = now
    if outcome != Outcome.REFRESH:
        alert.notified_value = trigger.measure
    elif says(alert) == said:
        return None
    return EVENTS[outcome]


def restate(
    alert: Alert, outcome: Outcome, trigger: Trigger, evidence: Evidence
) -> AlertEvent | None:
    """Changes an alert checked again after a review as `decide_revision` said (ESCALATE or
    REVISE) to what its trigger now says, of the day it now stands on; returns the event to
    tell, if any (an alert that says what it said is told no one)."""
    said = says(alert)
    alert.value, alert.summary, alert.data_day = trigger.measure, trigger.summary, trigger.day
    alert.evidence = evidence
    if outcome == Outcome.ESCALATE:
        alert.status = AlertStatus.FIRING
        alert.acknowledged_at = alert.acknowledged_by = None
        alert.notified_value = trigger.measure
        return EVENTS[outcome]
    assert outcome == Outcome.REVISE, f"{outcome} is no revision of an open alert"
    return EVENTS[outcome] if says(alert) != said else None


def retract(alert: Alert, by: str, reason: str | None, now: datetime) -> AlertEvent:
    """Retracts an alert whose rule no longer fires on the reviewed figures; returns the event
    to tell."""
    alert.status = AlertStatus.RETRACTED
    alert.resolved_at = now
    alert.resolution = (
        f"retracted ({by}): {reason}"
        if reason
        else f"retracted ({by})"
    )[:200]
    return AlertEvent.RETRACTED


def acknowledge(alert: Alert, by: str, now: datetime) -> bool:
    """Someone is on it: a firing alert is acknowledged, told no one; returns whether it
    changed (an acknowledged alert stays as it was). The caller refuses a closed one
    (resolved or retracted)."""
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
