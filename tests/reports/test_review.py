"""Staff review figures through the API; series, alerts and webhooks follow, and every change is
kept with who, when, before, after and why. On SQLite and PostgreSQL, with webhooks read by real
receivers on 127.0.0.1."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert, AlertEvent
from app.gazetteer.service import current_gazetteer
from app.main import create_app
from app.pipeline import apply_review, ingest
from app.reports.models import Figure, FigureReview, ReviewAction
from app.reports.review import Correction
from app.reports.service import NewReport, manual_source
from app.series.models import SeriesPoint
from app.settings import Settings
from app.webhooks.service import deliver_due
from tests.webhooks.helpers import hook_settings, subscribe
from tests.webhooks.receiver import Receiver, receiver

D = date(2025, 3, 10)  # a Monday


@pytest.fixture
def settings(db_url: str) -> Settings:
    return hook_settings(db_url)


def post(client: TestClient, writer: dict[str, str], text: str, day: date) -> list[dict[str, Any]]:
    response = client.post("/api/v1/reports", headers=writer, json={
        "text": text, "published_at": day.isoformat(), "source": "Field team"})
    assert response.status_code == 201, response.text
    figures: list[dict[str, Any]] = response.json()["figures"]
    assert len(figures) == 1, figures
    return figures


def review(client: TestClient, writer: dict[str, str], figure_id: int,
           **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/figures/{figure_id}/review", headers=writer, json=body)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def points(factory: sessionmaker[Session], place: str) -> dict[date, int]:
    with factory() as session:
        return {p.day: p.estimate for p in session.scalars(
            select(SeriesPoint).where(SeriesPoint.destination_id == place))}


def alerts(factory: sessionmaker[Session]) -> dict[tuple[str, str], Alert]:
    with factory() as session:
        return {(a.destination_id, a.fingerprint): a for a in session.scalars(select(Alert))}


def statuses(factory: sessionmaker[Session], place: str) -> list[str]:
    return sorted(a.status for (p, _), a in alerts(factory).items() if p == place)


def types(r: Receiver) -> Counter[str]:
    return Counter(x.payload["type"] for x in r.accepted())


def test_a_rejected_toll_removes_its_series_and_retracts_its_alert_once_per_webhook(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as one, receiver() as two:
        subscribe(client, admin, one.url)
        subscribe(client, admin, two.url)
        # a death toll misread as people who arrived: a new destination, one alert
        [figure] = post(client, writer, "Some 600 people have arrived in Akkar, officials said.",
                        D)
        assert points(factory, "LB-AK") and points(factory, "LB")
        assert statuses(factory, "LB-AK") == ["firing"]
        deliver_due(factory, settings, "w1")
        assert types(one) == types(two) == Counter({"alert.firing": 1})

        out = review(client, writer, figure["id"], action="reject",
                     reason="a death toll: 600 killed, not displaced")
        assert out["changed"] and out["figure"]["review"] == "rejected"
        assert out["series_changed"]["LB-AK"] and out["alerts"]
        assert points(factory, "LB-AK") == {} and points(factory, "LB") == {}
        assert statuses(factory, "LB-AK") == ["retracted"]
        deliver_due(factory, settings, "w1")
        assert types(one) == types(two) == Counter({"alert.firing": 1, "alert.retracted": 1})
        [retracted] = [x.payload for x in one.accepted() if x.payload["type"] == "alert.retracted"]
        assert retracted["data"]["status"] == "retracted"
        assert retracted["data"]["resolution"] == (
            "retracted (review by test write): a death toll: 600 killed, not displaced")

        # the same review again: nothing changes, no history row, no webhook
        again = review(client, writer, figure["id"], action="reject", reason="still a toll")
        assert not again["changed"] and again["review"] is None and again["deliveries"] == 0
        deliver_due(factory, settings, "w1")
        assert types(one) == types(two) == Counter({"alert.firing": 1, "alert.retracted": 1})
    history = client.get(f"/api/v1/figures/{figure['id']}/history", headers=writer).json()
    assert [h["action"] for h in history] == ["reject"]
    [entry] = history
    assert entry["by"] == "test write" and entry["at"]
    assert entry["reason"] == "a death toll: 600 killed, not displaced"
    assert entry["before"]["state"] == "auto" and entry["after"]["state"] == "rejected"
    assert entry["before"]["values"]["count"] == 600
    with factory() as session:
        alert = session.scalars(select(Alert).where(Alert.destination_id == "LB-AK")).one()
        events = session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                 .order_by(AlertEvent.id)).all()
        assert [e.type for e in events] == ["firing", "retracted"]
        assert events[1].by == "review by test write"
        assert events[1].reason == "a death toll: 600 killed, not displaced"
        assert events[1].previous is not None and events[1].previous["status"] == "firing"
        alert_id = alert.id
    shown = client.get(f"/api/v1/alerts/{alert_id}/history", headers=writer).json()
    assert [(e["type"], e["by"], e["status"]) for e in shown] == [
        ("firing", None, "firing"), ("retracted", "review by test write", "retracted")]
    assert client.get("/api/v1/alerts", headers=writer,
                      params={"status": "retracted"}).json()["items"][0]["id"] == alert_id
    with factory() as session:
        # the extracted original is never overwritten
        row = session.get_one(Figure, figure["id"])
        assert (row.count, row.people, row.kind, row.destination_id) == (600, 600, "total",
                                                                         "LB-AK")


def test_a_correction_from_new_to_total_brings_the_series_to_the_reported_stock(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as hook:
        subscribe(client, admin, hook.url)
        post(client, writer, "At least 5,000 displaced people are sheltering in Akkar, "
                             "officials said.", date(2025, 3, 8))
        stock = {a.fingerprint for (p, _), a in alerts(factory).items() if p == "LB-AK"}
        assert len(stock) == 1  # a new destination
        [arrivals] = post(client, writer, "Another 7,000 people arrived in Akkar on Monday, "
                                          "officials said.", D)
        assert arrivals["kind"] == "new"
        assert points(factory, "LB-AK")[D] == 12_000
        raised = {a.fingerprint for (p, _), a in alerts(factory).items() if p == "LB-AK"} - stock
        assert len(raised) >= 2  # new arrivals and the jump to 12,000 at least

        out = review(client, writer, arrivals["id"], action="correct", kind="total",
                     reason="7,000 is the number sheltering now, not new arrivals")
        assert out["figure"]["review"] == "corrected" and out["figure"]["kind"] == "total"
        assert out["figure"]["as_read"]["kind"] == "new"
        series = points(factory, "LB-AK")
        assert series[D] == 7_000 and series[date(2025, 3, 9)] == 5_000
        with factory() as session:
            point = session.scalars(select(SeriesPoint).where(
                SeriesPoint.destination_id == "LB-AK", SeriesPoint.day == D)).one()
            assert point.new_arrivals == 0
        after = {a.fingerprint: a for (p, _), a in alerts(factory).items() if p == "LB-AK"}
        # no rule fires on 5,000 -> 7,000 as a stock: each alert the arrivals raised is
        # retracted; the new destination of the 5,000 stands
        assert {after[k].status for k in raised} == {"retracted"}
        assert {after[k].status for k in stock} == {"firing"}
        deliver_due(factory, settings, "w1")
        got = types(hook)
        assert got["alert.retracted"] == len(raised)
        # the reading of the figures shows the correction, and what was read beside it
        listed = client.get("/api/v1/figures", headers=writer,
                            params={"destination": "LB-AK"}).json()["items"]
        shown = next(f for f in listed if f["id"] == arrivals["id"])
        assert (shown["kind"], shown["as_read"]["kind"], shown["review"]) == (
            "total", "new", "corrected")


def test_a_correction_of_the_count_updates_the_alert_and_says_so(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as hook:
        subscribe(client, admin, hook.url)
        [figure] = post(client, writer, "About 12,000 people have fled to Baalbek-Hermel, "
                                        "officials said.", D)
        deliver_due(factory, settings, "w1")
        fired = types(hook)["alert.firing"]
        assert fired >= 2  # a new destination, and 10,000 passed
        review(client, writer, figure["id"], action="correct", count=11_000,
               reason="the ministry's figure is 11,000")
        assert points(factory, "LB-BH")[D] == 11_000
        deliver_due(factory, settings, "w1")
        got = types(hook)
        assert got["alert.firing"] == fired and got["alert.retracted"] == 0
        assert got["alert.updated"] == fired  # each alert now says 11,000, and tells it
        updated = [x.payload["data"] for x in hook.accepted()
                   if x.payload["type"] == "alert.updated"]
        assert all("11,000" in d["summary"] for d in updated)
        assert all(f["people"] == 11_000 for d in updated for f in d["evidence"]["figures"])


def test_a_pending_figure_moves_nothing_until_confirmed(
        db_url: str, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session]) -> None:
    settings = hook_settings(db_url, review="all")
    with TestClient(create_app(settings)) as client, receiver() as hook:
        subscribe(client, admin, hook.url)
        [figure] = post(client, writer, "About 12,000 people have fled to Baalbek-Hermel, "
                                        "officials said.", D)
        assert figure["review"] == "pending"
        assert points(factory, "LB-BH") == {} and alerts(factory) == {}
        queue = client.get("/api/v1/review", headers=writer).json()
        assert [f["id"] for f in queue["items"]] == [figure["id"]]
        assert "12,000" in queue["items"][0]["quote"]
        deliver_due(factory, settings, "w1")
        assert hook.accepted() == []

        out = review(client, writer, figure["id"], action="confirm")
        assert out["figure"]["review"] == "confirmed"
        assert points(factory, "LB-BH")[D] == 12_000
        assert statuses(factory, "LB-BH") == ["firing", "firing"]
        assert client.get("/api/v1/review", headers=writer).json()["items"] == []
        deliver_due(factory, settings, "w1")
        assert types(hook)["alert.firing"] >= 2
        history = client.get(f"/api/v1/figures/{figure['id']}/history", headers=writer).json()
    assert [(h["action"], h["by"]) for h in history] == [("policy", "policy"),
                                                         ("confirm", "test write")]
    assert history[0]["after"]["state"] == "pending"
    assert history[1]["before"]["state"] == "pending"
    assert history[1]["after"]["state"] == "confirmed"


def test_low_confidence_and_alerting_policies_hold_what_they_say(
        db_url: str, factory: sessionmaker[Session]) -> None:
    def send(settings: Settings, source: str, text: str) -> None:
        with factory.begin() as session:
            ingest(session, settings, manual_source(session, source),
                   NewReport(text, published_at=datetime(2025, 3, 10, tzinfo=UTC)))

    def states(place: str) -> dict[int, str]:
        with factory() as session:
            return {f.count: f.review_state for f in session.scalars(
                select(Figure).where(Figure.destination_id == place))}

    def confidence(place: str) -> set[float | None]:
        with factory() as session:
            return set(session.scalars(select(Figure.confidence).where(
                Figure.destination_id == place)))

    send(hook_settings(db_url, review="low_confidence", review_threshold=0.9), "A",
         "About 12,000 people have fled to Baalbek-Hermel, officials said.")
    assert states("LB-BH") == {12_000: "pending"}
    assert confidence("LB-BH") == {0.75}  # stored as the extractor gave it
    assert points(factory, "LB-BH") == {}
    send(hook_settings(db_url, review="low_confidence", review_threshold=0.5), "B",
         "Some 13,000 people have arrived in Baalbek-Hermel, officials said.")
    assert states("LB-BH") == {12_000: "pending", 13_000: "auto"}
    assert points(factory, "LB-BH")[D] == 13_000

    # 600 in Tartus raises no critical alert and counts (a warning: a new destination); 15,000
    # would pass 10,000 and waits, and Syria with it
    alerting = hook_settings(db_url, review="alerting")
    send(alerting, "C", "Some 600 people have arrived in Tartus, officials said.")
    send(alerting, "D", "About 15,000 people have fled to Tartus, officials said.")
    assert states("SY-TA") == {600: "auto", 15_000: "pending"}
    assert points(factory, "SY-TA")[D] == 600 and points(factory, "SY")[D] == 600
    with factory() as session:
        held = session.scalars(select(FigureReview).where(FigureReview.action == "policy")
                               .order_by(FigureReview.id)).all()
        assert held[-1].reason and "passed 10,000" in held[-1].reason
        assert {(a.destination_id, a.severity) for a in session.scalars(
            select(Alert).where(Alert.destination_id.in_(("SY-TA", "SY"))))} == {
            ("SY-TA", "warning")}


def test_bad_reviews_are_clear_problems_and_change_nothing(
        client: TestClient, writer: dict[str, str], reader: dict[str, str],
        factory: sessionmaker[Session]) -> None:
    [figure] = post(client, writer, "Some 600 people have arrived in Akkar, officials said.", D)
    url = f"/api/v1/figures/{figure['id']}/review"
    for body, status in (
        ({"action": "reject"}, 422),  # no reason
        ({"action": "correct", "reason": "x"}, 422),  # nothing to correct
        ({"action": "confirm", "count": 5}, 422),  # a confirmation corrects nothing
        ({"action": "correct", "reason": "x", "unit": "goats"}, 422),
        ({"action": "correct", "reason": "x", "count": -1}, 422),
        ({"action": "correct", "reason": "x", "destination": "XX-NOWHERE"}, 422),
        ({"action": "erase", "reason": "x"}, 422),
    ):
        response = client.post(url, headers=writer, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
    assert client.post(url, headers=reader, json={"action": "confirm"}).status_code == 403
    missing = client.post("/api/v1/figures/999999/review", headers=writer,
                          json={"action": "confirm"})
    assert missing.status_code == 404
    assert client.get("/api/v1/figures/999999/history", headers=writer).status_code == 404
    assert client.get(f"/api/v1/figures/{figure['id']}/history", headers=writer).json() == []
    assert points(factory, "LB-AK")[D] == 600
    with factory() as session:
        assert session.get_one(Figure, figure["id"]).review_state == "auto"


def test_two_reviews_of_one_figure_at_once_are_serialised(
        client: TestClient, writer: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    [figure] = post(client, writer, "Some 600 people have arrived in Akkar, officials said.", D)
    locked, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        # a review holds the figure's lock (its transaction open) while another one is asked
        try:
            with factory.begin() as session:
                apply_review(session, settings, current_gazetteer(session), figure["id"],
                             ReviewAction.CORRECT, by="first", reason="it was 900",
                             correction=Correction(count=900))
                locked.set()
                assert not done.wait(1.0), "the second review did not wait for the first"
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            locked.set()

    def second() -> None:
        try:
            locked.wait(30)
            review(client, writer, figure["id"], action="reject", reason="a toll")
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    history = client.get(f"/api/v1/figures/{figure['id']}/history", headers=writer).json()
    assert [(h["action"], h["by"]) for h in history] == [("correct", "first"),
                                                         ("reject", "test write")]
    # the second saw the first's result: one chain, one final state, series to match
    assert history[1]["before"] == history[0]["after"]
    assert history[0]["after"]["values"]["count"] == 900
    with factory() as session:
        assert session.get_one(Figure, figure["id"]).review_state == "rejected"
    assert points(factory, "LB-AK") == {}


def test_racing_reviews_end_in_one_consistent_state(
        client: TestClient, writer: dict[str, str], factory: sessionmaker[Session]) -> None:
    [figure] = post(client, writer, "Some 600 people have arrived in Akkar, officials said.", D)
    start = threading.Barrier(2)
    answers: list[int] = []

    def send(body: dict[str, Any]) -> None:
        start.wait(10)
        answers.append(client.post(f"/api/v1/figures/{figure['id']}/review", headers=writer,
                                   json=body).status_code)

    bodies = [{"action": "correct", "count": 800, "reason": "800"},
              {"action": "reject", "reason": "a toll"}]
    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [200, 200]
    history = client.get(f"/api/v1/figures/{figure['id']}/history", headers=writer).json()
    assert len(history) == 2 and history[1]["before"] == history[0]["after"]
    final = history[-1]["after"]["state"]
    with factory() as session:
        assert session.get_one(Figure, figure["id"]).review_state == final
    assert points(factory, "LB-AK") == ({} if final == "rejected" else
                                        dict.fromkeys(points(factory, "LB-AK"), 800))
    if final == "corrected":
        assert points(factory, "LB-AK")[D] == 800


def test_a_figure_confirmed_after_a_rejection_reopens_its_alert(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver() as hook:
        subscribe(client, admin, hook.url)
        [figure] = post(client, writer, "Some 600 people have arrived in Akkar, officials said.",
                        D)
        review(client, writer, figure["id"], action="reject", reason="looked like a toll")
        assert statuses(factory, "LB-AK") == ["retracted"]
        out = review(client, writer, figure["id"], action="confirm",
                     reason="the ministry confirms 600 arrivals")
        assert out["changed"] and points(factory, "LB-AK")[D] == 600
        [alert] = [a for (p, _), a in alerts(factory).items() if p == "LB-AK"]
        assert (alert.status, alert.episode) == ("firing", 2)
        deliver_due(factory, settings, "w1")
        # sent in parallel: the order of arrival is not the order of the events
        assert types(hook) == Counter({"alert.firing": 2, "alert.retracted": 1})
        history = client.get(f"/api/v1/alerts/{alert.id}/history", headers=writer).json()
        assert [e["type"] for e in history] == ["firing", "retracted", "firing"]


def test_the_review_queue_pages_oldest_first(
        db_url: str, writer: dict[str, str]) -> None:
    with TestClient(create_app(hook_settings(db_url, review="all"))) as client:
        ids = [post(client, writer, f"Some {n:,} people have arrived in {place}, officials "
                                    "said.", D)[0]["id"]
               for n, place in ((600, "Akkar"), (700, "Tartus"), (800, "Erbil"))]
        first = client.get("/api/v1/review", headers=writer, params={"limit": 2}).json()
        assert [f["id"] for f in first["items"]] == ids[:2] and first["next_cursor"]
        rest = client.get("/api/v1/review", headers=writer,
                          params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [f["id"] for f in rest["items"]] == ids[2:] and rest["next_cursor"] is None
        review(client, writer, ids[0], action="reject", reason="not displaced")
        left = client.get("/api/v1/review", headers=writer).json()["items"]
        assert [f["id"] for f in left] == ids[1:]
