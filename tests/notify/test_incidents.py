"""One incident, one message: the alerts of a place and its parents that open within the grouping
window reach a subscription as one message, then as updates; a story after the window is a new
incident. Real local receivers, both databases."""

from __future__ import annotations

import json
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert
from app.db import utcnow
from app.incidents.models import Incident
from app.main import create_app
from app.notify.models import Notification
from app.settings import Settings
from tests.notify.conftest import Mailbox
from tests.notify.helpers import add, raise_alerts, send
from tests.webhooks.receiver import Receiver, receiver

# the demo's story in Lebanon: a new destination, then a jump and a threshold crossed for
# Baalbek-Hermel and for Lebanon, its parent
STORY = [
    ("At least 4,000 Syrians have crossed into the Baalbek-Hermel governorate, the governor's "
     "office said.", date(2025, 3, 11)),
    ("More than 10,000 people have fled to Lebanon since the violence began, the ministry "
     "said.", date(2025, 3, 12)),
    ("At least 10,000 people are now sheltering in Baalbek-Hermel, local officials said.",
     date(2025, 3, 13)),
]


def _story(factory: sessionmaker[Session], settings: Settings) -> None:
    for text, day in STORY:
        raise_alerts(factory, settings, text, day)


def _texts(r: Receiver) -> list[str]:
    return [json.loads(x.body)["text"] for x in r.accepted()
            if "Test message" not in x.body.decode()]


def _alerts(factory: sessionmaker[Session]) -> list[Alert]:
    with factory() as session:
        rows = list(session.scalars(select(Alert).order_by(Alert.id)))
        session.expunge_all()
        return rows


def test_a_place_and_its_parents_within_the_window_are_one_incident_then_updates(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, mailbox: Mailbox) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        add(client, admin, "mattermost", r.url)
        add(client, admin, "email", "officer@example.org")
        assert send(factory, settings) == 2  # the address checks
        _story(factory, settings)
        alerts = _alerts(factory)
        assert {a.destination_id for a in alerts} == {"LB-BH", "LB"}
        assert len(alerts) >= 4
        assert len({a.incident_id for a in alerts}) == 1 and alerts[0].incident_id is not None
        assert send(factory, settings) == 2  # one message per subscription
        [text] = _texts(r)
        assert "New incident (critical)" in text and "Baalbek-Hermel, Lebanon" in text
        assert f"{len(alerts)} alerts at 2 places" in text
        for alert in alerts:
            assert alert.summary in text
        [_, mail] = mailbox.wait(2)  # the address check, the incident
        assert mail["Subject"].startswith("New incident (critical) – Baalbek-Hermel, Lebanon")

        # a new rule joins: one update each, the new alert leading, the others folded in
        with factory.begin() as session:
            session.execute(update(Alert).values(status="resolved", resolved_at=utcnow(),
                                                 resolution="test")
                            .where(Alert.destination_id == "LB", Alert.rule_id == 4))
        raise_alerts(factory, settings, "Some 15,000 people have fled to Lebanon, the ministry "
                     "said.", date(2025, 3, 14))
        after = _alerts(factory)
        assert len({a.incident_id for a in after}) == 1
        assert send(factory, settings) == 2
        texts = _texts(r)
        assert len(texts) == 2
        assert "New incident" not in texts[1] and "Lebanon" in texts[1]
        with factory() as session:
            told = list(session.scalars(select(Notification).where(
                Notification.incident_id.is_not(None)).order_by(Notification.id)))
        assert [n.is_update for n in told] == [False, False, True, True]
        assert send(factory, settings) == 0  # nothing else waits


def test_a_story_after_the_window_is_a_new_incident(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        add(client, admin, "mattermost", r.url)
        _story(factory, settings)
        assert send(factory, settings) == 2  # the address check, the incident
        # two hours pass (the window is an hour); the alerts resolved meanwhile
        with factory.begin() as session:
            session.execute(update(Incident).values(opened_at=utcnow() - timedelta(hours=2)))
            session.execute(update(Alert).values(status="resolved", resolved_at=utcnow(),
                                                 resolution="quiet"))
        raise_alerts(factory, settings, "At least 40,000 people are now sheltering in "
                     "Baalbek-Hermel, local officials said.", date(2025, 3, 20))
        with factory() as session:
            incidents = list(session.scalars(select(Incident).order_by(Incident.id)))
            reopened = list(session.scalars(select(Alert).where(Alert.status == "firing")))
        assert len(incidents) == 2 and reopened
        assert {a.incident_id for a in reopened} == {incidents[1].id}
        assert send(factory, settings) == 1
        texts = _texts(r)
        assert len(texts) == 2 and texts[1].startswith(("#### New", "#### New incident"))


def test_an_incident_waits_for_the_alerts_that_join_it(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    waiting = settings.model_copy(update={"incident_wait_seconds": 30})
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        add(client, admin, "mattermost", r.url)
        assert send(factory, waiting) == 1  # an address check does not wait
        raise_alerts(factory, waiting, *STORY[0])
        assert send(factory, waiting) == 0  # within the wait
        raise_alerts(factory, waiting, *STORY[1])  # Lebanon joins meanwhile
        assert send(factory, waiting, now=utcnow() + timedelta(seconds=31)) == 1
        [text] = _texts(r)
        assert "Baalbek-Hermel" in text and "Lebanon" in text


def test_the_overview_shows_the_demo_story_as_incidents_with_rules_and_places_folded_in(
        settings: Settings, factory: sessionmaker[Session]) -> None:
    settings = settings.model_copy(update={"demo": True, "public_read": True})
    with TestClient(create_app(settings)) as client:  # loads the demo: its alerts fire
        html = client.get("/", params={"demo": True}).text
    with factory() as session:
        alerts = list(session.scalars(select(Alert).where(Alert.demo.is_(True))))
        incidents = list(session.scalars(select(Incident).where(Incident.demo.is_(True))))
    # the demo's alerts are an incident per region it is about, not a card each: the base in
    # Syria's Latakia, and Lebanon's two governorates (two first-level regions of a country
    # are never one incident), Lebanon's own alert folded into one of them
    assert len(alerts) >= 8
    assert {i.destination_id for i in incidents} == {"site:khmeimim-air-base", "LB-AK", "LB-BH"}
    place_of = {i.id: i.destination_id for i in incidents}
    assert {place_of[a.incident_id or 0] for a in alerts if a.destination_id == "LB"} <= {
        "LB-AK", "LB-BH"}
    assert all(place_of[a.incident_id or 0] == a.destination_id for a in alerts
               if a.destination_id != "LB")
    assert html.count("<details>") == len(incidents)
    section = html.split('id="alerts-h"')[1].split("</section>")[0]
    assert section.count("<summary>") == len(incidents)
    for alert in alerts:
        assert f'href="/alerts/{alert.id}"' in section  # folded inside its incident
    assert "at 2 places (Baalbek-Hermel, Lebanon)" in section


def test_an_incident_message_shows_only_the_alerts_the_filters_let_through(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        add(client, admin, "mattermost", r.url, rule_kinds=["new_destination", "jump"],
            destinations=["LB-BH"])
        _story(factory, settings)
        assert send(factory, settings) == 2  # the address check, the incident
        [text] = _texts(r)
    alerts = [a for a in _alerts(factory) if a.destination_id == "LB-BH" and a.rule_id in (1, 2)]
    assert len(alerts) == 2
    assert "2 alerts at 1 place" in text
    for alert in _alerts(factory):
        assert (alert.summary in text) == (alert.id in {a.id for a in alerts})


def test_a_change_does_not_join_a_message_a_worker_has_claimed(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    add(client, admin, "mattermost", "http://127.0.0.1:9/hook")
    raise_alerts(factory, settings, *STORY[0])
    raise_alerts(factory, settings, *STORY[1])  # joins the message still waiting
    with factory() as session:
        [waiting] = session.scalars(select(Notification).where(
            Notification.incident_id.is_not(None))).all()
        assert not waiting.is_update
    with factory.begin() as session:  # a worker takes it and is sending it
        session.execute(update(Notification).where(Notification.id == waiting.id).values(
            lease_until=utcnow() + timedelta(minutes=1), leased_by="w9"))
    raise_alerts(factory, settings, *STORY[2])
    with factory() as session:
        told = list(session.scalars(select(Notification).where(
            Notification.incident_id.is_not(None)).order_by(Notification.id)))
    assert [(n.id == waiting.id, n.is_update) for n in told] == [(True, False), (False, True)]
    assert told[0].event_id == waiting.event_id  # the claimed message is left as it was


def test_an_incident_that_widens_to_its_region_stays_one_message_then_updates(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        add(client, admin, "mattermost", r.url)
        add(client, admin, "mattermost", r.url, destinations=["LB-BH"])
        raise_alerts(factory, settings, "At least 4,000 people have arrived in Hermel, officials "
                     "said.", date(2025, 3, 11))
        assert send(factory, settings) == 4  # the address checks, the incident
        # a camp of the same governorate: the incident widens to Baalbek-Hermel
        raise_alerts(factory, settings, "Some 3,000 people are sheltering in Arsal, aid groups "
                     "said.", date(2025, 3, 12))
        with factory() as session:
            [incident] = session.scalars(select(Incident))
            assert incident.destination_name == "Baalbek-Hermel"
        assert send(factory, settings) == 2  # one update each
        texts = _texts(r)
        assert len(texts) == 4 and texts[2] == texts[3]
        assert "Hermel" in texts[0] and "Arsal" not in texts[0]
        update_text = texts[2]
        assert "New incident" not in update_text and "3 alerts at 3 places" in update_text
        for place in ("Hermel", "Arsal", "Baalbek-Hermel"):
            assert place in update_text.split("Places")[1]
        with factory() as session:
            told = list(session.scalars(select(Notification).where(
                Notification.incident_id.is_not(None)).order_by(Notification.id)))
        assert [(n.incident_id, n.is_update) for n in told] == [
            (incident.id, False), (incident.id, False), (incident.id, True), (incident.id, True)]
        assert send(factory, settings) == 0
