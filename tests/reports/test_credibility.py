"""A source's credibility: set when a report is submitted, changed only by an admin, and shown
with every figure and in every alert (its evidence, and the webhook payload)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.webhooks.helpers import outbox

GOVERNORATE = "Governorate of Baalbek-Hermel"
REPORT = {"text": "At least 3,000 people have arrived in Baalbek-Hermel since Sunday, the "
                  "governor said.", "published_at": "2025-03-13"}
LATER = {"text": "The number of displaced people in Baalbek-Hermel has reached 12,000, the "
                 "governor said on Saturday.", "published_at": "2025-03-15"}


def _problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    return detail


def _credibilities(client: TestClient, reader: dict[str, str]) -> set[str]:
    figures = client.get("/api/v1/figures", headers=reader).json()["items"]
    return {f["credibility"] for f in figures}


def test_credibility_is_set_on_submission_and_shown_with_figures_and_alerts(
        client: TestClient, writer: dict[str, str], admin: dict[str, str],
        reader: dict[str, str], factory: sessionmaker[Session]) -> None:
    hook = client.post("/api/v1/webhooks", headers=admin,
                       json={"url": "https://hooks.example.org/in"})
    assert hook.status_code == 201
    sent = client.post("/api/v1/reports", headers=writer, json={
        **REPORT, "source": {"name": GOVERNORATE, "credibility": "B"}})
    assert sent.status_code == 201, sent.text
    [figure] = sent.json()["figures"]
    assert figure["credibility"] == "B" and figure["source"] == GOVERNORATE
    report = client.get(f"/api/v1/reports/{sent.json()['id']}", headers=reader).json()
    assert report["source"]["credibility"] == "B" and report["figures"][0]["credibility"] == "B"
    assert _credibilities(client, reader) == {"B"}

    alerts = client.get("/api/v1/alerts", headers=reader).json()["items"]
    evidence = [f for a in alerts for f in a["evidence"]["figures"]]
    assert evidence and all(f["credibility"] == "B" and f["source"] == GOVERNORATE
                            for f in evidence)
    with factory() as session:
        payloads = [event.data for _, event in outbox(session)]
    assert payloads and all(f["credibility"] == "B" for p in payloads
                            for f in p["evidence"]["figures"])
    assert sum(len(p["evidence"]["figures"]) for p in payloads) >= 1


def test_only_an_admin_changes_a_sources_credibility(
        client: TestClient, writer: dict[str, str], admin: dict[str, str],
        reader: dict[str, str]) -> None:
    first = client.post("/api/v1/reports", headers=writer, json={
        **REPORT, "source": {"name": GOVERNORATE, "credibility": "B"}})
    assert first.status_code == 201
    source_id = first.json()["figures"][0]["source_id"]
    # a write key may name the source, with its credibility or without, but not change it
    detail = _problem(client.post("/api/v1/reports", headers=writer, json={
        **LATER, "source": {"name": GOVERNORATE, "credibility": "A"}}), 403)
    assert "credibility B" in detail and f"/api/v1/sources/{source_id}" in detail
    assert len(client.get("/api/v1/reports", headers=reader).json()["items"]) == 1
    for source in ({"name": GOVERNORATE, "credibility": "B"}, {"name": GOVERNORATE},
                   GOVERNORATE):
        same = client.post("/api/v1/reports", headers=writer, json={**LATER, "source": source})
        assert same.status_code in (200, 201), same.text
        assert same.json()["figures"][0]["credibility"] == "B"
    # an admin's submission changes it, and every figure of the source shows the new grade
    changed = client.post("/api/v1/reports", headers=admin, json={
        "text": "Another 500 people reached Hermel on Sunday.", "published_at": "2025-03-16",
        "source": {"name": GOVERNORATE, "credibility": "A"}})
    assert changed.status_code == 201, changed.text
    assert _credibilities(client, reader) == {"A"}
    # as does the sources API
    patched = client.patch(f"/api/v1/sources/{source_id}", headers=admin,
                           json={"credibility": "D"})
    assert patched.status_code == 200 and patched.json()["credibility"] == "D"
    assert _credibilities(client, reader) == {"D"}
    assert _problem(client.patch(f"/api/v1/sources/{source_id}", headers=writer,
                                 json={"credibility": "A"}), 403)
    # a new source gets the grade it is submitted with, C when none is given
    other = client.post("/api/v1/reports", headers=writer, json={
        "text": "Some 800 people arrived in Akkar on Monday.", "published_at": "2025-03-17",
        "source": "Akkar municipality"})
    assert other.json()["figures"][0]["credibility"] == "C"


def test_a_bad_credibility_or_source_gets_a_clear_422(client: TestClient,
                                                       writer: dict[str, str]) -> None:
    for source in ({"name": GOVERNORATE, "credibility": "Z"},
                   {"name": GOVERNORATE, "credibility": "b"},
                   {"name": "", "credibility": "A"}, {"credibility": "A"},
                   {"name": GOVERNORATE, "trust": "A"}, {"name": "x" * 201}, 42):
        detail = _problem(client.post("/api/v1/reports", headers=writer,
                                      json={**REPORT, "source": source}), 422)
        assert "source" in detail, detail
