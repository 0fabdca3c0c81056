"""The alerts API, and the demo story told through the API as field staff would tell it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.reports.models import Figure
from app.series.models import SeriesPoint
from app.webhooks.models import WebhookDelivery, WebhookEvent
from tests.webhooks.helpers import post_demo, subscribe

DEATH_TOLLS = {120, 340, 60, 745, 1000}


def deliveries(factory: sessionmaker[Session]) -> int:
    # a short transaction: on SQLite an open one would hold the write lock the API needs
    with factory() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0


def alerts(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/alerts", headers=headers, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_the_demo_story_fires_alerts_with_quotes_and_death_tolls_stay_out(
        client: TestClient, writer: dict[str, str], reader: dict[str, str],
        session: Session) -> None:
    post_demo(client, writer)
    fired = alerts(client, reader)
    by_place: dict[str, list[dict[str, Any]]] = {}
    for a in fired:
        by_place.setdefault(a["destination"]["id"], []).append(a)

    lebanon = by_place.get("LB-BH", []) + by_place.get("LB", [])
    assert lebanon, f"no alert for Baalbek-Hermel or Lebanon: {sorted(by_place)}"
    bh_quotes = [f["quote"] for a in by_place.get("LB-BH", []) for f in a["evidence"]["figures"]]
    assert any("Baalbek-Hermel" in q for q in bh_quotes)
    assert any(a["rule"]["kind"] == "threshold" and a["value"] == 10_000 for a in lebanon)

    base = by_place.get("site:khmeimim-air-base", [])
    assert base, f"no alert for the Khmeimim base: {sorted(by_place)}"
    first = next(a for a in base if a["rule"]["kind"] == "new_destination")
    assert first["destination"]["country"] == "SY"
    evidence = first["evidence"]["figures"]
    assert evidence and all(f["quote"] and f["source"] == "Demo desk" and f["date"]
                            for f in evidence)
    assert any("Khmeimim" in f["quote"] for f in evidence)
    assert all(f["url"].startswith("https://demo.dispmon.invalid/") for f in evidence)

    # death tolls are never displacement: no figure and no series point carries one
    people = set(session.scalars(select(Figure.people)))
    assert not people & DEATH_TOLLS
    for point in session.scalars(select(SeriesPoint)):
        assert point.estimate not in DEATH_TOLLS - {1000}, point.destination_id
    assert session.scalar(select(func.count()).select_from(SeriesPoint)
                          .where(SeriesPoint.destination_id.in_(("SY-LA", "SY")),
                                 SeriesPoint.estimate == 120)) == 0


def test_replaying_the_same_reports_raises_no_second_alert(
        client: TestClient, writer: dict[str, str], reader: dict[str, str],
        admin: dict[str, str], factory: sessionmaker[Session]) -> None:
    subscribe(client, admin, "http://127.0.0.1:9/hook")
    assert set(post_demo(client, writer)) == {201}
    first = alerts(client, reader)
    sent = deliveries(factory)
    assert first and sent
    assert set(post_demo(client, writer)) == {200}  # the same texts and URLs: stored already
    again = alerts(client, reader)
    assert [(a["id"], a["value"], a["episode"]) for a in again] == [
        (a["id"], a["value"], a["episode"]) for a in first]
    assert deliveries(factory) == sent


def test_ack_and_resolve_through_the_api(client: TestClient, writer: dict[str, str],
                                         reader: dict[str, str]) -> None:
    post_demo(client, writer)
    alert = alerts(client, reader, status="firing")[0]
    url = f"/api/v1/alerts/{alert['id']}"
    assert client.post(f"{url}/ack", headers=reader).status_code == 403
    acked = client.post(f"{url}/ack", headers=writer).json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "test write"
    assert alert["id"] in [a["id"] for a in alerts(client, reader, status="acknowledged")]
    assert alert["id"] in [a["id"] for a in alerts(client, reader, status="open")]
    resolved = client.post(f"{url}/resolve", headers=writer).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert client.post(f"{url}/resolve", headers=writer).status_code == 409
    assert client.post(f"{url}/ack", headers=writer).status_code == 409
    assert client.get(url, headers=reader).json()["status"] == "resolved"
    assert client.get("/api/v1/alerts/999999", headers=reader).status_code == 404
    assert client.get("/api/v1/alerts?status=bogus", headers=reader).status_code == 422


def test_alerts_page_with_a_cursor(client: TestClient, writer: dict[str, str],
                                   reader: dict[str, str]) -> None:
    post_demo(client, writer)
    everything = alerts(client, reader)
    seen: list[int] = []
    cursor = None
    while True:
        page = client.get("/api/v1/alerts", headers=reader,
                          params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [a["id"] for a in everything] and len(seen) > 3


def test_silences_through_the_api(client: TestClient, writer: dict[str, str],
                                  reader: dict[str, str], admin: dict[str, str],
                                  factory: sessionmaker[Session]) -> None:
    subscribe(client, admin, "http://127.0.0.1:9/hook")
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = client.post("/api/v1/silences", headers=writer,
                          json={"destination": "site:khmeimim-air-base", "until": until,
                                "reason": "handled by the Latakia team"})
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/silences", headers=writer, json={"until": until}).status_code == 422
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert client.post("/api/v1/silences", headers=writer,
                       json={"rule_id": 1, "until": past}).status_code == 422
    assert client.post("/api/v1/silences", headers=writer,
                       json={"destination": "nowhere", "until": until}).status_code == 422
    post_demo(client, writer)
    base = alerts(client, reader, destination="site:khmeimim-air-base")
    assert base and all(a["silenced"] for a in base)
    silenced_ids = {a["id"] for a in base}
    with factory() as session:
        notified = set(session.scalars(select(WebhookEvent.alert_id)))
    assert notified and not notified & silenced_ids
    assert [s["id"] for s in client.get("/api/v1/silences", headers=reader).json()] == [
        created.json()["id"]]
    assert client.delete(f"/api/v1/silences/{created.json()['id']}",
                         headers=writer).status_code == 204
    assert client.get("/api/v1/silences", headers=reader).json() == []


def test_rules_api_is_for_admins(client: TestClient, admin: dict[str, str],
                                 reader: dict[str, str], writer: dict[str, str]) -> None:
    assert client.get("/api/v1/alert-rules", headers=writer).status_code == 403
    rules = client.get("/api/v1/alert-rules", headers=admin).json()
    assert {r["kind"] for r in rules} >= {"new_destination", "jump", "arrival_rate", "threshold"}
    jump = next(r for r in rules if r["kind"] == "jump")

    patched = client.patch(f"/api/v1/alert-rules/{jump['id']}", headers=admin,
                           json={"params": {"min_ratio": 1.0}, "severity": "warning"}).json()
    assert patched["params"] == {"min_increase": 1000, "min_ratio": 1.0, "window_days": 3}
    assert patched["severity"] == "warning"
    bad = client.patch(f"/api/v1/alert-rules/{jump['id']}", headers=admin,
                       json={"params": {"window_days": 0}})
    assert bad.status_code == 422 and "window_days" in bad.json()["detail"]

    created = client.post("/api/v1/alert-rules", headers=admin, json={
        "name": "Akkar floor", "kind": "new_destination", "severity": "critical",
        "params": {"floor": 100}, "destinations": ["LB-AK"]})
    assert created.status_code == 201, created.text
    assert created.json()["params"] == {"floor": 100}
    assert client.post("/api/v1/alert-rules", headers=admin, json={
        "name": "Akkar floor", "kind": "jump"}).status_code == 409
    assert client.post("/api/v1/alert-rules", headers=admin, json={
        "name": "x", "kind": "threshold", "params": {"levels": "many"}}).status_code == 422
    many = client.post("/api/v1/alert-rules", headers=admin, json={
        "name": "x", "kind": "threshold", "params": {"levels": list(range(1, 3001))}})
    assert many.status_code == 422 and "levels" in many.json()["detail"]
    assert client.post("/api/v1/alert-rules", headers=admin, json={
        "name": "y", "kind": "jump", "destinations": ["XX-NOPE"]}).status_code == 422
    assert client.post("/api/v1/alert-rules", headers=admin, json={
        "name": "z", "kind": "sometimes"}).status_code == 422

    rule_id = created.json()["id"]
    client.patch(f"/api/v1/alert-rules/{rule_id}", headers=admin, json={"enabled": False})
    assert client.get(f"/api/v1/alert-rules/{rule_id}", headers=admin).json()["enabled"] is False
    post_demo(client, writer)
    kinds = {(a["rule"]["id"]) for a in alerts(client, reader)}
    assert rule_id not in kinds  # disabled rules do not fire
