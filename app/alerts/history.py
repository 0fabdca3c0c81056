"""An alert's history (`alert_events`): no alert changes what it says without a row here, with
what it said before, who changed it (a key's name, `review by NAME`, or none for the rules and
the clock) and why. Rows are only ever added."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.alerts.enums import AlertChange, AlertEvent
from app.alerts.models import Alert
from app.alerts.models import AlertEvent as AlertEventRow

Change = tuple[Alert, AlertChange | AlertEvent, dict[str, Any] | None]
"""An alert, its change (or the webhook event it is told as), what it said before (None: it
opened)."""


def snapshot(alert: Alert) -> dict[str, Any]:
    """What an alert said before a change, as its history keeps it."""
    return {
        "status": alert.status,
        "value": alert.value,
        "summary": alert.summary,
        "data_day": alert.data_day.isoformat(),
    }


def record(
    session: Session,
    changes: Iterable[Change],
    now: datetime,
    by: str | None = None,
    reason: str | None = None,
) -> None:
    """Adds one history row per change, in one statement (an executemany: no ids to read
    back). The alerts are flushed (they have ids)."""
    events = [
        {
            "alert_id": alert.id,
            "type": AlertChange(change.removeprefix("alert.")).value,
            "by": by,
            "reason": reason,
            "status": alert.status,
            "value": alert.value,
            "summary": alert.summary,
            "previous": previous,
            "at": now,
        }
        for alert, change, previous in changes
    ]
    if events:
        session.execute(insert(AlertEventRow), events)
