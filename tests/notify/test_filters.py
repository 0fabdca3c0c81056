"""A subscription hears of the alerts its filters let through (a place covers everything under
it; countries; severity at least; rule kinds; demo or real data), and demo data reads as such."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.notify.models import Notification
from app.reports.service import manual_source
from app.settings import Settings
from tests.notify.helpers import add, raise_alerts, send
from tests.webhooks.receiver import receiver

FILTERS: dict[str, dict[str, Any]] = {
    "everything": {},
    "the country covers its regions": {"destinations": ["LB"]},
    "the region itself": {"destinations": ["LB-BH"]},
    "elsewhere": {"destinations": ["SY"]},
    "by country": {"countries": ["lb"]},
    "another country": {"countries": ["SY"]},
    "critical only": {"min_severity": "critical"},
    "thresholds only": {"rule_kinds": ["threshold"]},
    "real data only": {"demo": False},
    "demo data only": {"demo": True},
}


def _counts(factory: sessionmaker[Session]) -> Counter[int]:
    with factory() as session:
        return Counter(session.scalars(select(Notification.subscription_id)
                                       .where(Notification.is_test.is_(False))))


def test_filters(client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
                 settings: Settings) -> None:
    ids = {name: add(client, admin, "slack", "https://hooks.example.org/x", name=name,
                     **fields)["id"] for name, fields in FILTERS.items()}
    # Baalbek-Hermel (LB): a new destination, 10,000 crossed: two alerts, one incident, one
    # message to each subscription either alert reaches
    raise_alerts(factory, settings)
    counts = _counts(factory)
    assert {name: counts[i] for name, i in ids.items()} == {
        "everything": 1, "the country covers its regions": 1, "the region itself": 1,
        "elsewhere": 0, "by country": 1, "another country": 0, "critical only": 1,
        "thresholds only": 1, "real data only": 1, "demo data only": 0,
    }


def test_demo_data_goes_only_where_it_is_wanted_and_is_marked(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with factory.begin() as session:
        manual_source(session, "Demo desk").demo = True
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        demo = add(client, admin, "mattermost", r.url, demo=True)
        real = add(client, admin, "mattermost", "http://127.0.0.1:9/never", demo=False)
        raise_alerts(factory, settings, source="Demo desk")
        counts = _counts(factory)
        assert (counts[demo["id"]], counts[real["id"]]) == (1, 0)  # one incident
        send(factory, settings)
        texts = [json.loads(x.body)["text"] for x in r.accepted()
                 if "Test message" not in x.body.decode()]
    assert len(texts) == 1
    for text in texts:
        assert text.startswith("#### \\[DEMO\\] New incident")
        assert "DEMO DATA: this alert comes from the demonstration replay" in text
