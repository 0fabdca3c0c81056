"""Faults end as recorded attempts and retries on the webhooks' schedule: a 5xx, a 429 with
Retry-After, a refused connection, a receiver down and then up (each message arrives once),
410 Gone (the subscription is disabled)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.notify import delivery
from app.notify.models import Notification
from app.settings import Settings
from tests.notify.helpers import add, attempts, notifications, raise_alerts, send, subscription
from tests.servers import free_port
from tests.webhooks.receiver import Receiver, receiver


def test_a_5xx_is_retried_and_delivered_once(client: TestClient, admin: dict[str, str],
                                             factory: sessionmaker[Session],
                                             settings: Settings) -> None:
    answers = iter([503, 200])
    with receiver(respond=lambda _h, _b: (next(answers), {})) as r:
        sub = add(client, admin, "slack", r.url)
        assert send(factory, settings) == 1
        failed = subscription(factory, sub["id"])
        assert failed.test_status == "failed"
        assert failed.test_error == "the receiver answered 503"
        [first] = attempts(factory)
        assert (first.number, first.status_code, first.success) == (1, 503, False)
        [pending] = notifications(factory)
        assert pending.status == "pending" and pending.retries == 1
        # not due yet: the schedule's first wait is 5 s
        assert send(factory, settings) == 0
        assert send(factory, settings, now=utcnow() + timedelta(seconds=6)) == 1
        assert send(factory, settings, now=utcnow() + timedelta(days=1)) == 0
        assert len(r.accepted()) == 1
    assert subscription(factory, sub["id"]).test_status == "passed"
    assert [(a.number, a.success) for a in attempts(factory)] == [(1, False), (2, True)]


def test_a_429_waits_as_long_as_retry_after_asks(client: TestClient, admin: dict[str, str],
                                                 factory: sessionmaker[Session],
                                                 settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (429, {"Retry-After": "120"})) as r:
        add(client, admin, "discord", r.url)
        assert send(factory, settings) == 1
        [attempt] = attempts(factory)
        assert attempt.status_code == 429 and attempt.retry_after_seconds == 120
        [pending] = notifications(factory)
        assert pending.next_attempt_at is not None
        assert pending.next_attempt_at >= attempt.finished_at + timedelta(seconds=119)
        assert send(factory, settings, now=utcnow() + timedelta(seconds=60)) == 0
        r.respond = lambda _h, _b: (204, {})
        assert send(factory, settings, now=utcnow() + timedelta(seconds=125)) == 1
        assert len(r.accepted()) == 1


def test_a_receiver_down_then_up_gets_each_message_once(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    down = Receiver(port=free_port(), respond=lambda _h, _b: (200, {}))
    sub = add(client, admin, "mattermost", down.url)
    raise_alerts(factory, settings)
    assert send(factory, settings) == 2  # the test and the incident of two alerts, refused
    refused = attempts(factory)
    assert len(refused) == 2 and not any(a.success for a in refused)
    assert all(a.status_code is None and a.error for a in refused)
    failed = subscription(factory, sub["id"])
    assert failed.test_status == "failed" and failed.test_error
    assert {n.status for n in notifications(factory)} == {"pending"}
    down.start()
    try:
        later = utcnow() + timedelta(seconds=6)
        assert send(factory, settings, now=later) == 2
        assert send(factory, settings, now=later + timedelta(days=1)) == 0
        bodies = [json.loads(x.body)["text"] for x in down.accepted()]
    finally:
        down.stop()
    assert len(bodies) == 2 and len(set(bodies)) == 2
    assert {n.status for n in notifications(factory)} == {"succeeded"}
    assert subscription(factory, sub["id"]).test_status == "passed"
    assert subscription(factory, sub["id"]).failing_since is None


def test_410_gone_disables_the_subscription(client: TestClient, admin: dict[str, str],
                                            factory: sessionmaker[Session],
                                            settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (410, {})) as r:
        sub = add(client, admin, "teams", r.url)
        assert send(factory, settings) == 1
        raise_alerts(factory, settings)  # a disabled subscription hears of nothing
        assert send(factory, settings, now=utcnow() + timedelta(days=1)) == 0
        assert len(r.received) == 1
    gone = subscription(factory, sub["id"])
    assert not gone.enabled and gone.disabled_reason == "the receiver answered 410 Gone"
    assert [n.status for n in notifications(factory)] == ["failed"]
    response = client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=admin,
                            json={"enabled": True})
    assert response.status_code == 200 and response.json()["disabled_reason"] is None


def test_the_schedule_ends_and_the_attempts_are_listed(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (500, {})) as r:
        sub = add(client, admin, "google_chat", r.url)
        clock = utcnow()
        sends = 0
        for _ in range(12):
            sends += send(factory, settings, now=clock)
            clock += timedelta(hours=11)
        assert len(r.received) == sends == 8  # at once, then the 7 waits of the schedule
    [done] = notifications(factory)
    assert done.status == "failed" and done.attempts == 8
    listed = client.get(f"/api/v1/subscriptions/{sub['id']}/notifications", headers=admin)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["event_type"] == "subscription.test" and item["is_test"]
    assert [a["status_code"] for a in item["attempt_log"]] == [500] * 8


def test_a_claim_that_fails_keeps_the_attempts_just_made(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # the outcomes of a batch are recorded in the transaction that claims the next one
    real_claim = delivery.claim
    calls: list[int] = []

    def claim_once(*args: Any, **kwargs: Any) -> list[Notification]:
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("UPDATE notification", None, Exception("connection lost"))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(delivery, "claim", claim_once)
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        sub = add(client, admin, "slack", r.url)
        assert send(factory, settings) == 1
        [attempt] = attempts(factory)
        assert attempt.success
        assert [n.status for n in notifications(factory)] == ["succeeded"]
        assert subscription(factory, sub["id"]).test_status == "passed"
        assert send(factory, settings, now=utcnow() + timedelta(days=1)) == 0
        assert len(r.accepted()) == 1
    # with nothing to keep, a failing claim fails the run
    calls.clear()
    calls.append(1)
    with pytest.raises(OperationalError):
        send(factory, settings)
