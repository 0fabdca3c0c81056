"""Shortcuts for the notification tests: subscribe through the API, raise alerts, send."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.notify.delivery import deliver_notifications
from app.notify.models import Notification, NotificationAttempt, Subscription
from app.settings import Settings
from tests.webhooks.helpers import ingest_text

REPORT = "At least 12,000 people have fled to Baalbek-Hermel, officials said."
REPORT_DAY = date(2025, 3, 13)
TELEGRAM_TOKEN = "123456789:AAE-test-token-of-the-bot-xyz"


def add(client: TestClient, admin: dict[str, str], channel: str, address: str,
        **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/subscriptions", headers=admin, json={
        "name": f"{channel} team", "channel": channel, "address": address, **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def raise_alerts(factory: sessionmaker[Session], settings: Settings, text: str = REPORT,
                 day: date = REPORT_DAY, source: str = "Field team") -> None:
    ingest_text(factory, settings, text, day, source)


def send(factory: sessionmaker[Session], settings: Settings, **kwargs: Any) -> int:
    return deliver_notifications(factory, settings, "w1", **kwargs)


def subscription(factory: sessionmaker[Session], subscription_id: int) -> Subscription:
    """Read in a transaction of its own (SQLite's one writer is not held meanwhile)."""
    with factory() as session:
        sub = session.get_one(Subscription, subscription_id)
        session.expunge(sub)
        return sub


def notifications(factory: sessionmaker[Session]) -> list[Notification]:
    with factory() as session:
        rows = list(session.scalars(select(Notification).order_by(Notification.id)))
        session.expunge_all()
        return rows


def attempts(factory: sessionmaker[Session]) -> list[NotificationAttempt]:
    with factory() as session:
        rows = list(session.scalars(select(NotificationAttempt)
                                    .order_by(NotificationAttempt.id)))
        session.expunge_all()
        return rows
