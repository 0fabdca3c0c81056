"""How alerts are told: the API's view of an alert (`alert_out`), and its webhook notifications
written to the outbox in the caller's transaction, unless a silence covers the alert."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.alerts.enums import AlertEvent
from app.alerts.models import Alert, AlertRule, Silence
from app.alerts.schemas import AlertOut
from app.alerts.silences import active_silences, silenced
from app.gazetteer.index import Gazetteer
from app.webhooks.models import WebhookEndpoint
from app.webhooks.service import MAX_PAYLOAD_BYTES, enabled_endpoints, enqueue


def alert_out(alert: Alert, rule: AlertRule, silenced: bool = False) -> AlertOut:
    return AlertOut(
        id=alert.id,
        fingerprint=alert.fingerprint,
        rule={"id": rule.id, "name": rule.name, "kind": rule.kind},
        destination={
            "id": alert.destination_id,
            "name": alert.destination_name,
            "country": alert.country,
        },
        severity=alert.severity,
        status=alert.status,
        summary=alert.summary,
        value=alert.value,
        notified_value=alert.notified_value,
        data_day=alert.data_day,
        episode=alert.episode,
        opened_at=alert.opened_at,
        last_triggered_at=alert.last_triggered_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at,
        resolution=alert.resolution,
        silenced=silenced,
        demo=alert.demo,
        evidence=dict(alert.evidence),
    )


def _fit(data: dict[str, Any]) -> dict[str, Any]:
    """Drops evidence figures, the previous side's first, until the payload fits in 20 KB."""
    figures = list(data["evidence"].get("figures", []))
    while figures and len(json.dumps(data).encode()) > MAX_PAYLOAD_BYTES - 1000:
        figures.pop()
        data["evidence"]["figures"] = figures
    return data


def _enqueue(
    session: Session, gazetteer: Gazetteer, alert: Alert, rule: AlertRule, event: AlertEvent,
    endpoints: list[WebhookEndpoint] | None = None,
) -> int:
    data = _fit(alert_out(alert, rule).model_dump(mode="json"))
    places = [alert.destination_id] + [p.id for p in gazetteer.ancestors(alert.destination_id)]
    return enqueue(
        session,
        event,
        data,
        places=places,
        severity=alert.severity,
        alert_id=alert.id,
        demo=alert.demo,
        endpoints=endpoints,
    )


def notify(
    session: Session, gazetteer: Gazetteer, alert: Alert, event: AlertEvent, now: datetime
) -> int:
    """Tells one alert's change, unless a silence covers it; returns the deliveries written."""
    session.flush()
    if silenced(active_silences(session, now), alert):
        return 0
    return _enqueue(session, gazetteer, alert, session.get_one(AlertRule, alert.rule_id), event)


class Outbox:
    """Notifies for one evaluation: the active silences and the enabled webhook endpoints are
    read once, on first use (a batch of reports can raise a hundred notices)."""

    def __init__(self, session: Session, gazetteer: Gazetteer, now: datetime) -> None:
        self.session, self.gazetteer, self.now = session, gazetteer, now
        self._silences: list[Silence] | None = None
        self._endpoints: dict[bool, list[WebhookEndpoint]] = {}

    def notify(self, alert: Alert, rule: AlertRule, event: AlertEvent) -> int:
        if self._silences is None:
            self._silences = active_silences(self.session, self.now)
        if silenced(self._silences, alert):
            return 0
        if alert.demo not in self._endpoints:
            self._endpoints[alert.demo] = enabled_endpoints(self.session, demo=alert.demo)
        return _enqueue(self.session, self.gazetteer, alert, rule, event,
                        self._endpoints[alert.demo])
