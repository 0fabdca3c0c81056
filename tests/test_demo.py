"""The demo beside real data: never in the real series, alerts or overview, sent only to the
webhooks that ask for it, and removed by `dispmon demo reset` without touching real data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert
from app.auth.service import create_key
from app.crypto import secret_box
from app.incidents.models import Incident
from app.main import create_app
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.settings import Settings
from app.sources.models import Source
from app.webhooks.models import WebhookDelivery
from app.webhooks.service import create_endpoint, deliver_due
from tests.test_cli import run
from tests.webhooks.helpers import demo_reports, hook_settings
from tests.webhooks.receiver import receiver

# the demo says 4,000 then 10,000 in Baalbek-Hermel (LB-BH) on 11 and 13 March
REAL = "At least 3,000 people have arrived in Baalbek-Hermel since Sunday, the governor said."
DEMO_AKKAR = next(r for r in demo_reports() if r["id"] == "demo-04")  # 2,000 in Akkar


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The demo loaded at start, reads public, webhooks let through to 127.0.0.1."""
    return hook_settings(db_url).model_copy(update={"demo": True, "public_read": True})


@pytest.fixture
def writer(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory.begin() as session:
        return {"Authorization": f"Bearer {create_key(session, 'field', 'write')[1]}"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _post_real(client: TestClient, writer: dict[str, str]) -> list[int]:
    """A real report on a demo destination and days, and a real outlet's report with a demo
    report's very text (a real copy is no copy of the demo): their figure ids."""
    ids = []
    for body in ({"text": REAL, "published_at": "2025-03-13", "source": "Governorate"},
                 {"text": DEMO_AKKAR["text"], "published_at": DEMO_AKKAR["published"],
                  "source": "Wire"}):
        response = client.post("/api/v1/reports", headers=writer, json=body)
        assert response.status_code == 201, response.text
        assert response.json()["duplicate_of"] is None
        ids += [f["id"] for f in response.json()["figures"]]
    return ids


def _series(client: TestClient, place: str, demo: bool) -> list[dict[str, Any]]:
    # every figure behind each point (by default a point lists those that set its estimate)
    response = client.get(f"/api/v1/destinations/{place}/series",
                          params={"demo": demo, "sources": "all"})
    assert response.status_code == 200 and response.json()["demo"] is demo
    points: list[dict[str, Any]] = response.json()["points"]
    return points


def _alerts(client: TestClient, demo: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        "/api/v1/alerts", params={"demo": demo, "limit": 100}).json()["items"]
    assert all(a["demo"] is demo for a in items)
    return items


def test_a_real_report_on_a_demo_destination_never_shows_demo_figures(
        client: TestClient, writer: dict[str, str]) -> None:
    demo_before = {place: _series(client, place, True) for place in ("LB-BH", "LB-AK", "LB")}
    assert max(p["estimate"] for p in demo_before["LB-BH"]) == 10_000
    demo_alerts = _alerts(client, True)
    assert demo_alerts and _alerts(client, False) == []

    real = set(_post_real(client, writer))
    assert len(real) == 2
    for place, estimate in (("LB-BH", 3000), ("LB-AK", 2000), ("LB", 5000)):
        points = _series(client, place, False)
        assert points and points[-1]["estimate"] == estimate, (place, points)
        assert {s["figure_id"] for p in points for s in p["sources"]} <= real
    # the demo's series and alerts are as they were, and hold none of the real figures
    assert {place: _series(client, place, True) for place in demo_before} == demo_before
    assert [(a["id"], a["value"]) for a in _alerts(client, True)] == [
        (a["id"], a["value"]) for a in demo_alerts]
    real_alerts = _alerts(client, False)
    assert real_alerts, "3,000 in a new destination is news"
    assert {f["figure_id"] for a in real_alerts for f in a["evidence"]["figures"]} <= real
    assert not {a["fingerprint"] for a in real_alerts} & {a["fingerprint"] for a in demo_alerts}
    # the same through the other reads
    listed = client.get("/api/v1/destinations").json()["items"]
    assert {d["id"]: d["latest"]["estimate"] for d in listed}["LB-BH"] == 3000
    figures = client.get("/api/v1/figures", params={"destination": "LB-BH"}).json()["items"]
    assert {f["id"] for f in figures} <= real and not any(f["demo"] for f in figures)
    csv = client.get("/api/v1/series.csv", params={"destination": "LB-BH"}).text
    assert "DEMO" not in csv and "10000" not in csv
    # the overview shows the real data once there is some; the demo only when asked for
    overview = client.get("/").text.split('id="src-h"')[0]  # the sources list names them all
    assert "DEMO DATA" not in overview and "10,000" not in overview and "3,000" in overview
    assert 'href="/?demo=true"' in overview
    shown = client.get("/", params={"demo": True}).text.split('id="src-h"')[0]
    assert "DEMO DATA" in shown and "10,000" in shown and "3,000" not in shown
    page = client.get("/destinations/LB-BH").text
    assert "3,000" in page and "10,000" not in page and "DEMO DATA" not in page


def test_the_demo_shows_news_and_an_agency_s_counts_side_by_side(
        client: TestClient, factory: sessionmaker[Session]) -> None:
    akkar = {p["date"]: p for p in _series(client, "LB-AK", True)}
    # the agency's count (structured, placed by P-code LB7) beside the news read from text
    on_16 = {s["source"] for s in akkar["2025-03-16"]["sources"]}
    assert on_16 == {"DEMO: Syrian coast, March 2025 (fictional reports)",
                     "DEMO: agency counts, March 2025 (fictional, shaped like IOM DTM)"}
    assert akkar["2025-03-16"]["estimate"] == 12_000  # the news' "more than 12,000" leads
    with factory() as session:
        agency = session.scalars(select(Source).where(Source.name.startswith("DEMO: agency")))
        assert [(s.demo, s.credibility) for s in agency] == [(True, "A")]
    # and none of it in the real realm
    assert _series(client, "LB-AK", False) == []


def test_a_report_cannot_be_filed_under_the_demo_source(client: TestClient,
                                                         writer: dict[str, str]) -> None:
    demo_name = client.get("/api/v1/reports", params={"demo": True}).json()["items"][0][
        "source"]["name"]
    response = client.post("/api/v1/reports", headers=writer,
                           json={"text": REAL, "source": demo_name})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "demo" in response.json()["detail"]


def _alerts_heard(payloads: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    return [(p["data"]["demo"], p["data"]["destination"]["id"]) for p in payloads
            if p["type"].startswith("alert.")]


def test_demo_alerts_reach_only_the_webhooks_that_opt_in(
        settings: Settings, factory: sessionmaker[Session], writer: dict[str, str]) -> None:
    with receiver() as plain, receiver() as opted:
        with factory.begin() as session:
            for url, include_demo in ((plain.url, False), (opted.url, True)):
                create_endpoint(session, secret_box(settings), url=url, description=None,
                                destinations=None, min_severity="info", secret=None,
                                include_demo=include_demo)
        with TestClient(create_app(settings)) as client:  # loads the demo: its alerts fire
            deliver_due(factory, settings, "w1")
            assert [r.payload for r in plain.accepted()] == []
            demo_heard = _alerts_heard([r.payload for r in opted.accepted()])
            assert demo_heard and all(demo for demo, _ in demo_heard)
            assert {place for _, place in demo_heard} == {
                a["destination"]["id"] for a in _alerts(client, True)}
            _post_real(client, writer)
            deliver_due(factory, settings, "w1")
        real_heard = _alerts_heard([r.payload for r in plain.accepted()])
        assert real_heard and not any(demo for demo, _ in real_heard)
        assert "LB-BH" in {place for _, place in real_heard}
        # deliveries go out side by side: the same notifications, in any order
        assert sorted(_alerts_heard([r.payload for r in opted.accepted()])) == sorted(
            demo_heard + real_heard)


def test_an_endpoint_opts_in_and_out_through_the_api(client: TestClient,
                                                     factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        admin = {"Authorization": f"Bearer {create_key(session, 'ops', 'admin')[1]}"}
    created = client.post("/api/v1/webhooks", headers=admin,
                          json={"url": "https://hooks.example.org/in"})
    assert created.status_code == 201 and created.json()["include_demo"] is False
    hook = created.json()["id"]
    patched = client.patch(f"/api/v1/webhooks/{hook}", headers=admin,
                           json={"include_demo": True})
    assert patched.status_code == 200 and patched.json()["include_demo"] is True
    for bad in ({"include_demo": None}, {"include_demo": "sometimes"}):
        refused = client.patch(f"/api/v1/webhooks/{hook}", headers=admin, json=bad)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")


def _real_state(factory: sessionmaker[Session]) -> dict[str, Any]:
    with factory() as session:
        real = select(Source.id).where(Source.demo.is_(False)).scalar_subquery()
        return {
            "sources": sorted(session.scalars(select(Source.name).where(Source.id.in_(real)))),
            "reports": sorted(session.scalars(select(Report.id).where(Report.source_id.in_(real)))),
            "figures": sorted(session.scalars(select(Figure.id).where(Figure.source_id.in_(real)))),
            "points": sorted((p.destination_id, p.day, p.estimate, repr(p.sources))
                             for p in session.scalars(
                                 select(SeriesPoint).where(SeriesPoint.demo.is_(False)))),
            "alerts": sorted((a.id, a.fingerprint, a.value, a.status) for a in session.scalars(
                select(Alert).where(Alert.demo.is_(False)))),
            "deliveries": sorted(session.scalars(select(WebhookDelivery.id))),
        }


def _demo_left(factory: sessionmaker[Session]) -> list[int]:
    with factory() as session:
        demo = select(Source.id).where(Source.demo.is_(True)).scalar_subquery()
        return [len(list(session.scalars(query))) for query in (
            select(Source.id).where(Source.demo.is_(True)),
            select(Report.id).where(Report.source_id.in_(demo)),
            select(SeriesPoint.id).where(SeriesPoint.demo.is_(True)),
            select(Alert.id).where(Alert.demo.is_(True)),
            select(Incident.id).where(Incident.demo.is_(True)))]


def _demo_incidents(factory: sessionmaker[Session]) -> dict[str, set[str]]:
    """The demo's incidents by place, each with its alerts' places."""
    with factory() as session:
        place_of = {i.id: i.destination_id for i in session.scalars(
            select(Incident).where(Incident.demo.is_(True)))}
        out: dict[str, set[str]] = {place: set() for place in place_of.values()}
        for alert in session.scalars(select(Alert).where(Alert.demo.is_(True))):
            assert alert.incident_id in place_of
            out[place_of[alert.incident_id]].add(alert.destination_id)
        return out


def test_the_demo_s_story_is_an_incident_per_region_it_is_about(
        client: TestClient, factory: sessionmaker[Session]) -> None:
    incidents = _demo_incidents(factory)
    # the base in Syria's Latakia and Lebanon's two governorates: two first-level regions of a
    # country, or two countries, are never one incident; Lebanon's own alert joins one of its
    # governorates'
    assert set(incidents) == {"site:khmeimim-air-base", "LB-AK", "LB-BH"}
    assert incidents["site:khmeimim-air-base"] == {"site:khmeimim-air-base"}
    assert {"LB-AK", "LB-BH"} <= incidents["LB-AK"] | incidents["LB-BH"] <= {
        "LB-AK", "LB-BH", "LB"}
    assert "LB" in incidents["LB-AK"] ^ incidents["LB-BH"]
    shown = client.get("/", params={"demo": True}).text.split('id="alerts-h"')[1]
    assert shown.split("</section>")[0].count("<summary>") == 3


def test_demo_reset_removes_the_demo_and_leaves_real_data_intact(
        settings: Settings, factory: sessionmaker[Session], db_url: str,
        writer: dict[str, str]) -> None:
    with receiver() as hook:
        with factory.begin() as session:
            create_endpoint(session, secret_box(settings), url=hook.url, description=None,
                            destinations=None, min_severity="info", secret=None,
                            include_demo=True)
        with TestClient(create_app(settings)) as client:
            _post_real(client, writer)
            deliver_due(factory, settings, "w1")
    before = _real_state(factory)
    assert before["reports"] and before["points"] and before["alerts"] and before["deliveries"]
    assert all(_demo_left(factory))

    done = run(["demo", "reset"], db_url)
    assert done.returncode == 0, done.stderr
    assert "removed the demo: 2 sources, 16 reports" in done.stderr
    assert _demo_left(factory) == [0, 0, 0, 0, 0]
    after = _real_state(factory)
    assert after == {**before, "deliveries": after["deliveries"]}
    # the demo's deliveries went with its alerts; the real ones stay
    assert set(after["deliveries"]) < set(before["deliveries"]) and after["deliveries"]
    again = run(["demo", "reset"], db_url)
    assert again.returncode == 0 and "0 sources, 0 reports" in again.stderr
    # a process started with the demo on loads it again, apart as before
    with TestClient(create_app(settings)) as client:
        assert max(p["estimate"] for p in _series(client, "LB-BH", True)) == 10_000
        assert _series(client, "LB-BH", False)[-1]["estimate"] == 3000
    assert _real_state(factory)["points"] == before["points"]
    # the demo's incidents start afresh: none of the removed ones is left to join
    assert set(_demo_incidents(factory)) == {"site:khmeimim-air-base", "LB-AK", "LB-BH"}


def test_demo_reset_unmixes_a_database_that_ran_the_demo_before_it_was_kept_apart(
        settings: Settings, factory: sessionmaker[Session], db_url: str) -> None:
    with TestClient(create_app(settings)):
        pass  # the demo loaded
    with factory.begin() as session:
        # what migration 0008 makes of an older install: every point and alert taken for real
        for point in session.scalars(select(SeriesPoint)):
            point.demo = False
        for alert in session.scalars(select(Alert)):
            alert.demo, alert.fingerprint = False, alert.fingerprint.removesuffix(":demo")
    assert _demo_left(factory)[2:4] == [0, 0]
    with factory.begin() as session:
        writer = {"Authorization": f"Bearer {create_key(session, 'w', 'write')[1]}"}
    real_settings = settings.model_copy(update={"demo": False})
    with TestClient(create_app(real_settings)) as client:  # a real report, on the old points
        real_figures = [f["id"] for f in client.post(
            "/api/v1/reports", json={"text": REAL, "published_at": "2025-03-13"},
            headers=writer).json()["figures"]]
    assert real_figures

    done = run(["demo", "reset"], db_url)
    assert done.returncode == 0, done.stderr
    state = _real_state(factory)
    assert state["figures"] == real_figures
    with factory() as session:
        points = list(session.scalars(select(SeriesPoint)))
        assert points and {int(s["figure_id"]) for p in points for s in p.sources} == set(
            real_figures)
        assert {p.destination_id for p in points} == {"LB-BH", "LB"}
        assert max(p.estimate for p in points) == 3000
        alerts = list(session.scalars(select(Alert)))
        assert {int(f["figure_id"]) for a in alerts for f in a.evidence["figures"]} <= set(
            real_figures)
