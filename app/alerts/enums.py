"""The words alerts are made of: rule kinds, severities, alert states,
webhook events and the changes an alert's history records.

Each is a StrEnum, the one list of its values: the models' CHECK constraints (`app.db.one_of`)
and the API's types are generated from it. Adding a state or an event is one line here (and,
for a state, a migration when the CHECK constraint changes).
"""

from __future__ import annotations

from enum import StrEnum


class RuleKind(StrEnum):
    """What a rule looks for; each kind is one module of `app.alerts.rules`."""

    NEW_DESTINATION = "new_destination"
    JUMP = "jump"
    ARRIVAL_RATE = "arrival_rate"
    THRESHOLD = "threshold"
    NEW_HIGH = "new_high"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    """Where an alert is in its life (`app.alerts.lifecycle`)."""

    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    RETRACTED = "retracted"
    """Staff rejected or corrected the figures behind it: it was never true (`app.alerts.review`);
    a new trigger reopens it."""


OPEN_STATUSES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)
"""The states of an alert someone should look at (the API's `status=open`)."""


class AlertEvent(StrEnum):
    """The webhook event types an alert's changes are told as."""

    FIRING = "alert.firing"
    ESCALATED = "alert.escalated"
    UPDATED = "alert.updated"
    """A change below the rule's step, or a revision by review that leaves it open."""
    RESOLVED = "alert.resolved"
    RETRACTED = "alert.retracted"


class AlertChange(StrEnum):
    """What a row of an alert's history (`alert_events`) records: each change but
    `acknowledged` is also told as a webhook event (`AlertEvent`, `alert.<change>`)."""

    FIRING = "firing"
    ESCALATED = "escalated"
    UPDATED = "updated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    RETRACTED = "retracted"
