"""Real processes: a worker SIGKILLed mid-delivery, and `dispmon serve` kicking delivery."""

from __future__ import annotations

import signal
import threading
import time
from datetime import date

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.crypto import secret_box
from app.settings import Settings
from app.webhooks.models import WebhookAttempt
from app.webhooks.service import create_endpoint
from tests.servers import dispmon_process, served, wait_for
from tests.webhooks.helpers import demo_reports, ingest_text, outbox
from tests.webhooks.receiver import receiver

pytestmark = pytest.mark.slow


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {"DISPMON_DATABASE_URL": settings.database_url,
            "DISPMON_OUTBOUND_ALLOWLIST": "127.0.0.1/32", "DISPMON_DEMO": "false",
            "DISPMON_LOG_LEVEL": "warning", **extra}


def _statuses(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as session:
        return {d.message_id: d.status for d, _ in outbox(session)}


def test_a_worker_killed_mid_delivery_delivers_once_per_webhook_id_after_restart(
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as r:
        with factory.begin() as session:
            _, r.secret = create_endpoint(session, secret_box(settings), url=r.url,
                                          description=None, destinations=None,
                                          min_severity="info", secret=None)
        # the outbox is written (the alerts' transaction committed), nothing is sent yet
        for report in demo_reports():
            ingest_text(factory, settings, report["text"], date.fromisoformat(report["published"]))
        ids = set(_statuses(factory))
        assert len(ids) > 3

        # a worker takes the deliveries and is killed while the receiver holds its request
        r.hold = threading.Event()
        r.respond = lambda _h, _b: (503, {})
        env = _env(settings, DISPMON_SCHEDULER_TICK_SECONDS="0.5",
                   DISPMON_WEBHOOK_TIMEOUT_SECONDS="5", DISPMON_WEBHOOK_LEASE_SECONDS="6")
        with dispmon_process(["worker"], env) as worker:
            assert r.arrived.wait(60), "the worker never sent anything"
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        with factory() as session:
            assert session.query(WebhookAttempt).count() == 0  # it died before recording
        assert set(_statuses(factory).values()) == {"pending"}

        r.respond = lambda _h, _b: (204, {})
        r.hold.set()
        wait_for(lambda: len(r.received) >= 1, timeout=10, what="the held request to end")
        held = [x.webhook_id for x in r.received]
        assert all(x.status == 503 for x in r.received)

        started = time.monotonic()
        with dispmon_process(["worker"], env):
            wait_for(lambda: set(_statuses(factory).values()) == {"succeeded"}, timeout=60,
                     what="every delivery to succeed after the restart")
        assert time.monotonic() - started < 60
        accepted = r.accepted_ids()
        assert sorted(accepted) == sorted(ids)  # each webhook-id accepted exactly once
        assert held and set(held) <= set(accepted)  # the resend kept the id it had
        assert all(x.verified for x in r.accepted())


def test_serve_delivers_at_once_after_the_commit(
        factory: sessionmaker[Session], settings: Settings) -> None:
    with factory.begin() as session:
        _, writer = create_key(session, "field", "write")
    with receiver() as r:
        with factory.begin() as session:
            create_endpoint(session, secret_box(settings), url=r.url, description=None,
                            destinations=None, min_severity="info", secret=None)
        # a tick far longer than the wait below: only the kick after the commit can deliver
        env = _env(settings, DISPMON_SCHEDULER="embedded", DISPMON_SCHEDULER_TICK_SECONDS="600")
        with served(env) as base:
            response = httpx.post(f"{base}/api/v1/reports", headers={
                "Authorization": f"Bearer {writer}"}, json={
                "text": "At least 12,000 people have fled to Baalbek-Hermel, officials said.",
                "published_at": "2025-03-13"}, timeout=30)
            assert response.status_code == 201, response.text
            posted = time.monotonic()
            wait_for(lambda: r.accepted(), timeout=10, what="the alert at the receiver")
            assert time.monotonic() - posted < 10
        kinds = {x.payload["type"] for x in r.accepted()}
        assert kinds == {"alert.firing"}
        places = {x.payload["data"]["destination"]["id"] for x in r.accepted()}
        assert "LB-BH" in places
