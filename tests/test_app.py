"""The service as a whole: probes, OpenAPI, the demo, and a real server end to end."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.main import create_app
from app.settings import Settings
from tests.servers import served


def test_probes_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    # ready or not, nothing more: not the database's kind (issue 13)
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/reports" in spec["paths"]
    assert "/api/v1/destinations/{place_id}/series" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_readyz_says_when_the_database_is_gone(settings: Settings) -> None:
    gone = settings.model_copy(update={
        "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(gone)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "not ready"}
    assert "postgres" not in response.text.lower()


def test_demo_data_loads_once_and_is_labelled(settings: Settings) -> None:
    demo = settings.model_copy(update={"demo": True, "public_read": True})
    with TestClient(create_app(demo)) as client:
        # the demo is read apart, when asked for: real reads show none of it
        assert client.get("/api/v1/reports").json()["items"] == []
        assert client.get("/api/v1/destinations/LB-BH/series").json()["points"] == []
        reports = client.get("/api/v1/reports",
                             params={"limit": 100, "demo": True}).json()["items"]
        # 12 news reports and 4 agency rows (app/sources/demo)
        assert len(reports) == 16 and all(r["demo"] for r in reports)
        assert all("DEMO" in r["source"]["name"] for r in reports)
        figures = client.get("/api/v1/figures",
                             params={"limit": 100, "demo": True}).json()["items"]
        assert figures and all(f["demo"] for f in figures)
        assert not any(f["count"] in (120, 340, 60, 745, 800, 1000, 1200) for f in figures)
        series = client.get("/api/v1/destinations/LB-BH/series", params={"demo": True}).json()
        assert series["demo"] is True and max(p["estimate"] for p in series["points"]) >= 10000
        bases = client.get("/api/v1/destinations", params={"q": "Khmeimim"}).json()["items"]
        base = next(b for b in bases if b["level"] == "site")
        base_series = client.get(f"/api/v1/destinations/{base['id']}/series",
                                 params={"demo": True}).json()
        assert max(p["estimate"] for p in base_series["points"]) >= 7000
    with TestClient(create_app(demo)) as client:  # a restart replays nothing new
        assert len(client.get("/api/v1/reports", params={"limit": 100, "demo": True})
                   .json()["items"]) == 16


def test_a_real_server_takes_a_report_and_shows_it_in_the_series(
        db_url: str, factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        _, key = create_key(session, "e2e", "write")
    env = {"DISPMON_DATABASE_URL": db_url, "DISPMON_SCHEDULER": "embedded",
           "DISPMON_DEMO": "true", "DISPMON_PUBLIC_READ": "true",
           "DISPMON_SCHEDULER_TICK_SECONDS": "0.5"}
    with served(env) as base:
        assert httpx.get(f"{base}/docs").status_code == 200
        demo = httpx.get(f"{base}/api/v1/destinations/LB-BH/series",
                         params={"demo": "true"}).json()
        assert demo["points"], "the demo series should be there at once"
        sent = httpx.post(f"{base}/api/v1/reports", headers={"Authorization": f"Bearer {key}"},
                          json={"text": "Some 2,500 people have arrived in Hermel district "
                                        "of Lebanon in the past week, officials said.",
                                "published_at": "2025-04-20"})
        assert sent.status_code == 201, sent.text
        [figure] = sent.json()["figures"]
        dest = figure["destination"]["id"]
        points = httpx.get(f"{base}/api/v1/destinations/{dest}/series",
                           params={"start": "2025-04-20", "end": "2025-04-20"}).json()["points"]
        assert points[0]["sources"][0]["figure_id"] == figure["id"]
