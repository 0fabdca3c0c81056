"""Delivery to a real receiver on 127.0.0.1: signatures, retries, 410, disabling, claims."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError

from app.db import utcnow
from app.http import retry_after_seconds
from app.settings import Settings
from app.webhooks import service
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.service import (
    MAX_PAYLOAD_BYTES,
    RETRY_SCHEDULE,
    deliver_due,
    next_delay,
)
from tests.webhooks.helpers import outbox, post_demo, subscribe
from tests.webhooks.receiver import Receiver, receiver


def attempts(factory: sessionmaker[Session], delivery_id: int) -> list[WebhookAttempt]:
    with factory() as session:
        return list(session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.number)))


def pending(factory: sessionmaker[Session]) -> list[WebhookDelivery]:
    with factory() as session:
        return [d for d, _ in outbox(session) if d.status == "pending"]


def statuses(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as session:
        return {d.message_id: d.status for d, _ in outbox(session)}


def test_alerts_arrive_signed_as_standard_webhooks(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as r:
        created = subscribe(client, admin, r.url)
        r.secret = created["secret"]
        assert created["secret"].startswith("whsec_")
        post_demo(client, writer)
        sent = deliver_due(factory, settings, "w1")
        assert sent == len(r.received) > 0
        assert all(x.verified for x in r.received)
        for x in r.received:
            body = Webhook(created["secret"]).verify(x.body, x.headers)
            assert set(body) == {"type", "timestamp", "data"}
            assert body["type"] in {"alert.firing", "alert.escalated", "alert.updated"}
            assert {"evidence", "destination", "rule", "status"} <= set(body["data"])
            assert len(x.body) < MAX_PAYLOAD_BYTES
            assert x.headers["webhook-signature"].startswith("v1,")
            assert x.headers["content-type"] == "application/json"
        # a receiver with another secret, or a tampered body, refuses it
        x = r.received[0]
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "B" * 44).verify(x.body, x.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(created["secret"]).verify(x.body.replace(b"firing", b"resolved"), x.headers)
        assert set(statuses(factory).values()) == {"succeeded"}
        assert sorted(r.accepted_ids()) == sorted(statuses(factory))


def test_filters_by_destination_and_minimum_severity(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as lebanon, receiver() as critical, receiver() as everything:
        subscribe(client, admin, lebanon.url, destinations=["LB"])
        subscribe(client, admin, critical.url, min_severity="critical")
        subscribe(client, admin, everything.url)
        post_demo(client, writer)
        deliver_due(factory, settings, "w1")
        places = {x.payload["data"]["destination"]["id"] for x in lebanon.received}
        assert places and places <= {"LB", "LB-AK", "LB-BH"}  # a country covers its regions
        assert "LB-BH" in places
        assert {x.payload["data"]["severity"] for x in critical.received} == {"critical"}
        assert len(everything.received) > max(len(lebanon.received), len(critical.received))


def test_a_receiver_down_then_up_gets_every_alert_with_the_same_webhook_id(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver(start=False) as r:  # nothing listens on its port yet
        r.secret = subscribe(client, admin, r.url)["secret"]
        post_demo(client, writer)
        ids = set(statuses(factory))
        assert ids
        t0 = utcnow()
        deliver_due(factory, settings, "w1", now=t0)  # first attempts: refused
        waiting = pending(factory)
        assert {d.message_id for d in waiting} == ids
        for d in waiting:
            assert d.attempts == 1 and d.retries == 1 and d.next_attempt_at is not None
            wait = (d.next_attempt_at - t0).total_seconds()
            assert 4.5 <= wait <= 5.5  # the second try comes 5 s later, with jitter
        assert deliver_due(factory, settings, "w1", now=t0 + timedelta(seconds=1)) == 0
        deliver_due(factory, settings, "w1", now=t0 + timedelta(seconds=6))  # still down
        assert {d.attempts for d in pending(factory)} == {2}
        r.start()
        deliver_due(factory, settings, "w1", now=t0 + timedelta(minutes=6))
        assert set(statuses(factory).values()) == {"succeeded"}
        assert sorted(r.accepted_ids()) == sorted(ids)  # every alert, each with its own id
        assert all(x.verified for x in r.received)
        log = attempts(factory, waiting[0].id)
        assert [a.success for a in log] == [False, False, True]
        assert log[0].error and "connect" in log[0].error.lower()


def test_retry_after_is_honoured_and_2xx_only_is_success(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    answers = iter([(302, {"Location": "http://127.0.0.1:9/elsewhere"}),
                    (429, {"Retry-After": "3600"}), (200, {})])

    def respond(_h: dict[str, str], _b: bytes) -> tuple[int, dict[str, str]]:
        return next(answers)

    with receiver(respond=respond) as r:
        hook = subscribe(client, admin, r.url)
        queued = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        assert queued.status_code == 202
        t0 = utcnow()
        deliver_due(factory, settings, "w1", now=t0)  # 302: a redirect is not a success
        deliver_due(factory, settings, "w1", now=t0 + timedelta(seconds=6))  # 429: in 1 h
        (d,) = pending(factory)
        assert d.next_attempt_at is not None  # not at 5 min, as the schedule says: in an hour
        assert (d.next_attempt_at - (t0 + timedelta(seconds=6))).total_seconds() >= 3600
        assert deliver_due(factory, settings, "w1", now=t0 + timedelta(minutes=30)) == 0
        deliver_due(factory, settings, "w1", now=d.next_attempt_at)
        assert [a.status_code for a in attempts(factory, d.id)] == [302, 429, 200]
        assert [x.status for x in r.received] == [302, 429, 200]
        assert len({x.webhook_id for x in r.received}) == 1
        assert r.received[0].payload["type"] == "webhook.test"


def test_a_410_disables_the_endpoint(client: TestClient, admin: dict[str, str],
                                     writer: dict[str, str], factory: sessionmaker[Session],
                                     settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (410, {})) as r:
        hook = subscribe(client, admin, r.url)
        post_demo(client, writer)
        assert len(statuses(factory)) > 1
        deliver_due(factory, settings, "w1", limit=1)  # one send per batch
        assert len(r.received) == 1  # after the 410, nothing else is sent there
        state = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).json()
        assert state["enabled"] is False and "410" in state["disabled_reason"]
        assert set(statuses(factory).values()) == {"failed"}
        assert client.post(f"/api/v1/webhooks/{hook['id']}/test",
                           headers=admin).status_code == 409


def test_an_endpoint_failing_for_five_days_is_disabled(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (500, {})) as r:
        hook = subscribe(client, admin, r.url)
        client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        t0 = utcnow()
        deliver_due(factory, settings, "w1", now=t0)
        client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        deliver_due(factory, settings, "w1", now=t0 + timedelta(days=4))
        assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).json()["enabled"]
        deliver_due(factory, settings, "w1", now=t0 + timedelta(days=5, minutes=1))
        state = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).json()
        assert state["enabled"] is False and "failing since" in state["disabled_reason"]
        assert set(statuses(factory).values()) == {"failed"}
        # enabling it again clears the failure
        again = client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                             json={"enabled": True}).json()
        assert again["enabled"] and again["failing_since"] is None
        assert len(r.received) == 5  # 1, then 2 on day 4, then both due in one batch


def test_the_retry_schedule_ends_after_eight_attempts(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (503, {})) as r:
        hook = subscribe(client, admin, r.url)
        client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        clock = utcnow()
        waits = []
        for _ in range(10):
            deliver_due(factory, settings, "w1", now=clock)
            left = pending(factory)
            if not left:
                break
            assert left[0].next_attempt_at is not None
            waits.append(left[0].next_attempt_at - clock)
            clock = left[0].next_attempt_at
        assert len(r.received) == 8 and set(statuses(factory).values()) == {"failed"}
        for wait, planned in zip(waits, RETRY_SCHEDULE, strict=True):
            assert planned * 0.9 <= wait <= planned * 1.1
        # 5 days of failures would disable it, but 8 attempts are only ~33 h
        assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).json()["enabled"]


def test_retry_helpers() -> None:
    now = utcnow()
    assert retry_after_seconds("30", now) == 30
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds("soon", now) is None
    http_date = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    value = retry_after_seconds(http_date, now)
    assert value is not None and 88 <= value <= 91
    assert next_delay(len(RETRY_SCHEDULE), None) is None
    delay = next_delay(0, 3600)
    assert delay is not None and delay == timedelta(hours=1)
    capped = next_delay(0, 10**9)
    assert capped is not None and capped == timedelta(hours=24)


def test_two_workers_never_send_the_same_delivery(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as r:
        subscribe(client, admin, r.url)
        subscribe(client, admin, r.url + "?second")
        post_demo(client, writer)
        total = len(statuses(factory))
        assert total > 10
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                deliver_due(factory, settings, name, limit=3)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        ids = [x.webhook_id for x in r.received]
        assert len(ids) == len(set(ids)) == total
        with factory() as session:
            workers = set(session.scalars(select(WebhookAttempt.worker)))
            assert session.scalar(select(WebhookAttempt.id).where(
                WebhookAttempt.number > 1)) is None
        assert len(workers) >= 2  # the work was shared, not serialised into one worker


def test_redeliver_keeps_the_webhook_id(client: TestClient, admin: dict[str, str],
                                        factory: sessionmaker[Session],
                                        settings: Settings) -> None:
    with receiver() as r:
        hook = subscribe(client, admin, r.url)
        client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        deliver_due(factory, settings, "w1")
        page = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()
        (delivery,) = page["items"]
        assert delivery["status"] == "succeeded" and delivery["event_type"] == "webhook.test"
        assert [a["status_code"] for a in delivery["attempt_log"]] == [204]
        assert delivery["payload"]["type"] == "webhook.test"
        again = client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver", headers=admin)
        assert again.status_code == 202 and again.json()["status"] == "pending"
        assert client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver",
                           headers=admin).status_code == 409  # pending already
        deliver_due(factory, settings, "w1")
        assert [x.webhook_id for x in r.received] == [delivery["webhook_id"]] * 2
        assert r.received[0].body == r.received[1].body  # the same message, re-signed
        page = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()
        assert [a["number"] for a in page["items"][0]["attempt_log"]] == [1, 2]
        assert client.post("/api/v1/deliveries/999999/redeliver",
                           headers=admin).status_code == 404


def test_webhooks_api(client: TestClient, admin: dict[str, str], writer: dict[str, str]) -> None:
    body: dict[str, Any] = {"url": "http://127.0.0.1:9/hook", "description": "ops",
                            "destinations": ["LB"], "min_severity": "warning"}
    assert client.post("/api/v1/webhooks", headers=writer, json=body).status_code == 403
    created = client.post("/api/v1/webhooks", headers=admin, json=body).json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    mine = client.post("/api/v1/webhooks", headers=admin,
                       json={**body, "secret": "whsec_" + "C" * 44}).json()
    assert mine["secret"] == "whsec_" + "C" * 44
    for bad in ("nope", "whsec_***", "whsec_" + "A" * 8):
        assert client.post("/api/v1/webhooks", headers=admin,
                           json={**body, "secret": bad}).status_code == 422
    assert client.post("/api/v1/webhooks", headers=admin,
                       json={"url": "ftp://example.org/x"}).status_code == 422
    shown = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin).json()
    assert "secret" not in shown  # shown once, at creation
    listed = client.get("/api/v1/webhooks", headers=admin).json()["items"]
    assert [w["id"] for w in listed] == [mine["id"], created["id"]]
    patched = client.patch(f"/api/v1/webhooks/{created['id']}", headers=admin,
                           json={"min_severity": "critical", "destinations": None}).json()
    assert patched["min_severity"] == "critical" and patched["destinations"] is None
    assert client.patch(f"/api/v1/webhooks/{created['id']}", headers=admin,
                        json={"url": None}).status_code == 422
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/webhooks/{created['id']}", headers=admin).status_code == 404


def test_a_blocked_address_is_a_failed_attempt_not_a_crash(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    hook = subscribe(client, admin, "http://10.0.0.1:9/hook")  # private, not allowlisted
    client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
    deliver_due(factory, settings, "w1")
    (d,) = pending(factory)
    log = attempts(factory, d.id)
    assert len(log) == 1 and not log[0].success and log[0].status_code is None
    assert log[0].error


@pytest.fixture
def disabled_endpoint(factory: sessionmaker[Session]) -> int:
    with factory.begin() as session:
        e = WebhookEndpoint(url="http://127.0.0.1:9/x", secret_encrypted="never used",
                            enabled=False, disabled_reason="test")
        session.add(e)
        session.flush()
        return e.id


def test_disabled_endpoints_get_nothing(client: TestClient, writer: dict[str, str],
                                        factory: sessionmaker[Session],
                                        disabled_endpoint: int) -> None:
    post_demo(client, writer)
    assert statuses(factory) == {}
    assert isinstance(Receiver().url, str)


def test_a_claim_that_fails_keeps_the_attempts_just_made(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # the outcomes of a batch are recorded in the transaction that claims the next one
    real_claim = service.claim_deliveries
    calls: list[int] = []

    def claim_once(*args: Any, **kwargs: Any) -> list[int]:
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("UPDATE webhook_delivery", None, Exception("connection lost"))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(service, "claim_deliveries", claim_once)
    with receiver() as r:
        hook = subscribe(client, admin, r.url)
        client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
        assert deliver_due(factory, settings, "w1") == 1
        assert set(statuses(factory).values()) == {"succeeded"}
        (d,) = [d for d, _ in outbox_of(factory)]
        assert [a.success for a in attempts(factory, d.id)] == [True]
        assert deliver_due(factory, settings, "w1", now=utcnow() + timedelta(days=1)) == 0
        assert len(r.accepted_ids()) == 1
    calls[:] = [1]  # with nothing to keep, a failing claim fails the run
    with pytest.raises(OperationalError):
        deliver_due(factory, settings, "w1")


def outbox_of(factory: sessionmaker[Session]) -> list[tuple[WebhookDelivery, Any]]:
    with factory() as session:
        return outbox(session)
