"""The pages as staff use them: what they show, who may act, and how they read."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert
from app.auth.service import create_key
from app.main import create_app
from app.settings import Settings
from tests.dashboard.forms import sign_in, submit


@pytest.fixture
def demo(settings: Settings) -> Iterator[TestClient]:
    """The service with the demo replayed, reads public, browser-like (follows no redirect)."""
    public = settings.model_copy(update={"demo": True, "public_read": True})
    with TestClient(create_app(public), follow_redirects=False) as client:
        yield client


def _key(factory: sessionmaker[Session], scope: str) -> str:
    with factory.begin() as session:
        return create_key(session, f"staff {scope}", scope)[1]


def test_overview_shows_alerts_destinations_and_sources(demo: TestClient) -> None:
    page = demo.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h1>Where people are going</h1>" in html
    assert 'class="alert critical"' in html  # the demo's jumps are open alerts
    assert "Baalbek-Hermel" in html and "Khmeimim" in html
    assert html.count('class="spark"') >= 3
    assert "DEMO DATA" in html and "http://" not in html.replace("http://testserver", "")
    assert 'href="/api/v1/series.csv?demo=true"' in html  # a new install shows its demo


def test_destination_page_has_chart_markers_figures_and_exports(demo: TestClient) -> None:
    html = demo.get("/destinations/LB-BH?demo=true").text
    assert '<svg class="chart"' in html and 'class="estimate"' in html
    assert 'class="band"' in html
    # Baalbek-Hermel's reports give totals only; the base's "another 1,300 arrived" are arrivals
    assert 'class="arrivals"' not in html
    assert 'class="arrivals"' in demo.get("/destinations/site:khmeimim-air-base?demo=true").text
    assert 'class="marker critical"' in html  # an alert fired on this series
    assert re.search(r"At least <mark>4,000</mark>", html)
    assert "credibility F" in html and "DEMO DATA" in html
    assert "/api/v1/series.csv?destination=LB-BH&amp;demo=true" in html
    assert demo.get("/destinations/XX-NOWHERE").status_code == 404


def test_report_page_highlights_every_figure_and_reads_arabic_right_to_left(
        demo: TestClient) -> None:
    reports = demo.get("/api/v1/reports", params={"limit": 100, "demo": True}).json()["items"]
    arabic = next(r for r in reports if r["lang"] == "ar")
    html = demo.get(f"/reports/{arabic['id']}").text
    assert 'dir="rtl"' in html and "<mark>" in html
    assert 'id="reading-1"' in html and "Destination" in html
    tolls = next(r for r in reports if r["title"].endswith("Clashes spread along Syria's coast"))
    plain = demo.get(f"/reports/{tolls['id']}").text
    assert "No displacement figure was read" in plain and "<mark>" not in plain


def test_pages_need_a_key_unless_reads_are_public(settings: Settings,
                                                  factory: sessionmaker[Session]) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.get("/destinations/LB-BH")
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/destinations/LB-BH"
        wrong = sign_in(client, "dm_wrong")
        assert wrong.status_code == 401 and "unknown or revoked" in wrong.text
        signed = sign_in(client, _key(factory, "read"))
        assert signed.status_code == 303
        assert "httponly" in signed.headers["set-cookie"].lower()
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/reports").status_code == 200  # export links work signed in
        assert client.post("/api/v1/reports", json={"text": "x"}).status_code == 401
        assert submit(client, "/", "/signout").status_code == 303
        assert client.get("/").status_code == 303


def test_only_a_signed_in_admin_acknowledges_and_resolves(demo: TestClient,
                                                          factory: sessionmaker[Session]) -> None:
    with factory() as session:
        alert_id = session.scalars(select(Alert.id).where(Alert.status == "firing")).first()
    assert alert_id is not None
    page = demo.get(f"/alerts/{alert_id}").text
    assert "Evidence" in page and "<blockquote" in page and "Acknowledge" not in page
    page_of_alert = f"/alerts/{alert_id}"
    sign_in(demo, _key(factory, "read"))
    assert submit(demo, page_of_alert, f"/alerts/{alert_id}/ack").status_code == 403
    sign_in(demo, _key(factory, "admin"))
    assert "Acknowledge</button>" in demo.get(page_of_alert).text
    assert submit(demo, page_of_alert, f"/alerts/{alert_id}/ack").status_code == 303
    assert demo.get(f"/api/v1/alerts/{alert_id}").json()["status"] == "acknowledged"
    assert submit(demo, page_of_alert, f"/alerts/{alert_id}/resolve").status_code == 303
    after = demo.get(f"/alerts/{alert_id}").text
    assert "resolved" in after and "Resolve</button>" not in after


def test_manual_sources_are_not_shown_failing(demo: TestClient, settings: Settings,
                                              factory: sessionmaker[Session]) -> None:
    from app.sources.models import FetchAttempt, Source

    writer = {"Authorization": f"Bearer {_key(factory, 'write')}"}
    assert demo.post("/api/v1/reports", headers=writer, json={
        "text": "Some 800 people reached Baniyas.", "published_at": "2025-03-10",
        "source": "Field team"}).status_code == 201
    with factory.begin() as session:  # as the scheduler left it before it skipped them
        manual = session.scalars(select(Source).where(Source.kind == "manual")).one()
        manual.consecutive_failures = 3
        session.add(FetchAttempt(source_id=manual.id, worker="old", status="error",
                                 error="no fetcher for source kind 'manual'"))
    html = demo.get("/").text
    row = re.search(r"<tr[^>]*>\s*<th scope=\"row\">Field team.*?</tr>", html, re.S)
    assert row and "failing" not in row.group(0) and "posted to the API" in row.group(0)
