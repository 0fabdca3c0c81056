"""Shared by the alerts and webhooks tests: settings that let deliveries reach 127.0.0.1, and
shortcuts to subscribe, ingest and read the outbox."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.pipeline import ingest
from app.reports.service import Ingested, NewReport, manual_source
from app.settings import Settings
from app.sources.models import Source
from app.webhooks.models import WebhookDelivery, WebhookEvent

DEMO = Path(__file__).resolve().parents[2] / "app" / "sources" / "demo" / "syrian_coast_2025.jsonl"


def hook_settings(db_url: str, **extra: Any) -> Settings:
    return Settings(database_url=db_url, scheduler="off", demo=False, public_read=False,
                    outbound_allowlist="127.0.0.1/32", webhook_timeout_seconds=2,
                    webhook_lease_seconds=3, **extra)


def demo_reports() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line]


def post_demo(client: TestClient, writer: dict[str, str]) -> list[int]:
    """Submits the demo story through the API, as field staff would; returns the statuses."""
    statuses = []
    for r in demo_reports():
        response = client.post("/api/v1/reports", headers=writer, json={
            "text": r["text"], "title": r["title"], "url": r["url"],
            "published_at": r["published"], "lang": r["lang"], "source": "Demo desk"})
        assert response.status_code in (200, 201), response.text
        statuses.append(response.status_code)
    return statuses


def subscribe(client: TestClient, admin: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/webhooks", headers=admin, json={"url": url, **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def ingest_text(factory: sessionmaker[Session], settings: Settings, text: str, day: date,
                source: str = "Field team") -> Ingested:
    with factory.begin() as session:
        # a source made demo by the test is used as it is (a demo source takes no manual report)
        named = session.scalar(select(Source).where(Source.name == source))
        return ingest(session, settings, named or manual_source(session, source), NewReport(
            text=text, published_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC)))


def outbox(session: Session) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    session.expire_all()
    return [(d, e) for d, e in session.execute(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .order_by(WebhookDelivery.id)).all()]
