"""The daily digest: at each subscription's local hour, what moved in the 24 hours before within
its filters; nothing when nothing moved (unless asked); never the same day twice; daily
subscriptions get no message per alert."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.notify.digest import due_at, send_digests
from app.notify.models import Notification, Subscription
from app.settings import Settings
from tests.notify.helpers import add, raise_alerts, send
from tests.webhooks.receiver import receiver


def test_the_hour_is_the_subscriptions_local_hour() -> None:
    beirut = Subscription(timezone="Asia/Beirut", digest_hour=8)  # UTC+2 in December
    assert due_at(beirut, datetime(2026, 12, 3, 7, 30, tzinfo=UTC)) == datetime(
        2026, 12, 3, 6, 0, tzinfo=UTC)
    assert due_at(beirut, datetime(2026, 12, 3, 5, 59, tzinfo=UTC)) == datetime(
        2026, 12, 2, 6, 0, tzinfo=UTC)


def _queued(factory: sessionmaker[Session]) -> Counter[int]:
    with factory() as session:
        return Counter(session.scalars(select(Notification.subscription_id)
                                       .where(Notification.is_test.is_(False))))


def test_a_digest_says_what_moved_and_only_when_something_did(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        daily = add(client, admin, "mattermost", r.url, rhythm="daily", digest_hour=8,
                    timezone="Asia/Beirut")
        assert daily["rhythm"] == "daily" and daily["timezone"] == "Asia/Beirut"
        elsewhere = add(client, admin, "mattermost", r.url, rhythm="daily", countries=["SY"])
        every_day = add(client, admin, "mattermost", r.url, rhythm="daily", countries=["SY"],
                        digest_when_quiet=True)
        at_once = add(client, admin, "mattermost", "http://127.0.0.1:9/x")
        assert send(factory, settings) == 4  # the address checks
        raise_alerts(factory, settings)
        assert _queued(factory) == Counter({at_once["id"]: 1})  # one incident; daily ones wait

        tomorrow = utcnow() + timedelta(days=1)
        assert send_digests(factory, settings, "w1", now=tomorrow) == 2
        assert send_digests(factory, settings, "w2", now=tomorrow) == 0  # never twice a day
        queued = _queued(factory)
        assert (queued[daily["id"]], queued[elsewhere["id"]], queued[every_day["id"]]) == (1, 0, 1)
        send(factory, settings)
        texts = [json.loads(x.body)["text"] for x in r.accepted()
                 if b"Daily digest" in x.body]
    assert len(texts) == 2
    [moved] = [t for t in texts if "nothing moved" not in t]
    [quiet] = [t for t in texts if "nothing moved" in t]
    assert moved.startswith("#### Daily digest – 2 alerts opened, 0 resolved, 1 new destinations")
    assert "(Asia/Beirut)" in moved
    for line in ("**New destinations**", "- Baalbek-Hermel, Lebanon: 12,000 people",
                 "**Biggest rises**", "**Alerts opened**"):
        assert line in moved.splitlines(), line
    assert "Field team, credibility C (fairly reliable), 2025-03-13" in moved
    assert "countries SY" in quiet


def test_the_first_digest_waits_for_a_whole_day(client: TestClient, admin: dict[str, str],
                                                factory: sessionmaker[Session],
                                                settings: Settings) -> None:
    add(client, admin, "slack", "https://hooks.example.org/x", rhythm="daily",
        digest_when_quiet=True, digest_hour=(utcnow() - timedelta(hours=1)).hour)
    assert send_digests(factory, settings, "w1") == 0  # its hour passed before it was added
    assert send_digests(factory, settings, "w1", now=utcnow() + timedelta(days=1)) == 1


def test_a_time_zone_is_checked(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/subscriptions", headers=admin, json={
        "name": "x", "channel": "slack", "address": "https://hooks.example.org/x",
        "rhythm": "daily", "timezone": "Mars/Olympus"})
    assert response.status_code == 422 and "time zone" in response.text
