"""URLs shown to anyone but an admin lose their credentials and secrets, on the pages and in the
API; admins see them as stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.main import create_app
from app.redaction import redact_text, redact_url
from app.settings import Settings
from app.sources.models import FetchAttempt, Source
from tests.dashboard.forms import sign_in


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pa55@feeds.example.org/rss?lang=en",
     "https://feeds.example.org/rss?lang=en"),
    ("https://token@feeds.example.org:8443/rss", "https://feeds.example.org:8443/rss"),
    ("https://api.reliefweb.int/v2/reports?appname=unhcr-lb-approved&limit=100",
     "https://api.reliefweb.int/v2/reports?limit=100"),
    ("https://hapi.humdata.org/api/v2/affected-people/idps?app_identifier=ZGlzcG1vbjptZUB4Lm9yZw"
     "%3D%3D&location_code=SYR", "https://hapi.humdata.org/api/v2/affected-people/idps?"
     "location_code=SYR"),
    ("https://helix-tools-api.idmcdb.org/external-api/idus/last-180-days/?client_id=idmcws1"
     "&format=json", "https://helix-tools-api.idmcdb.org/external-api/idus/last-180-days/?"
     "format=json"),
    ("https://x.example/a?api_key=1&apiKey=2&API-KEY=3&access_token=4&token=5&auth=6&sig=7&"
     "password=8&client_secret=9&X-Amz-Signature=10&X-Amz-Credential=11&sessionid=12&id=42",
     "https://x.example/a?id=42"),
    ("https://x.example/a?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl&page=2",
     "https://x.example/a?page=2"),
    ("https://x.example/a?x=Zk3pQ9rT5vW8yB2nM6cL1aS4&q=displaced+people",
     "https://x.example/a?q=displaced+people"),
    ("https://x.example/cb#access_token=abc&state=ok", "https://x.example/cb#state=ok"),
    # what is not secret is kept exactly as written
    ("https://www.example.org/news/2025/03/akkar-arrivals?id=9f8e7d6c5b4a39281706f5e4d3c2b1a0"
     "&utm_source=rss#top", "https://www.example.org/news/2025/03/akkar-arrivals?"
     "id=9f8e7d6c5b4a39281706f5e4d3c2b1a0&utm_source=rss#top"),
    ("https://x.example/search?keyword=akkar&author=ocha", "https://x.example/search?"
     "keyword=akkar&author=ocha"),
    ("https://x.example/", "https://x.example/"),
    ("https://user:pw@[::1/feed?token=x", "https://[::1"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(shown) == shown  # what is shown is already clean


def test_redact_text_redacts_every_url_in_a_message() -> None:
    error = ("ReliefWeb not found (HTTP 404) at https://api.reliefweb.int/v2/reports?appname=mine"
             "&offset=0; check the URL ('https://u:p@mirror.example/x?token=abc')")
    assert redact_text(error) == ("ReliefWeb not found (HTTP 404) at "
                                  "https://api.reliefweb.int/v2/reports?offset=0; check the URL "
                                  "('https://mirror.example/x')")


SECRET_URL = ("https://reporter:hunter2@wire.example.org/stories/akkar?id=77&api_key=SECRETKEY"
              "&appname=approved-app")
SHOWN_URL = "https://wire.example.org/stories/akkar?id=77"


@pytest.fixture
def service(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _report(client: TestClient, writer: dict[str, str]) -> int:
    created = client.post("/api/v1/reports", headers=writer, json={
        "text": "More than 2,000 people have arrived in Akkar since Friday, officials said.",
        "published_at": "2025-03-20", "url": SECRET_URL})
    assert created.status_code == 201, created.text
    report_id: int = created.json()["id"]
    return report_id


def test_the_api_shows_secret_urls_to_admins_only(service: TestClient, writer: dict[str, str],
                                                  reader: dict[str, str],
                                                  admin: dict[str, str]) -> None:
    report_id = _report(service, writer)
    for who, expected in ((reader, SHOWN_URL), (writer, SHOWN_URL), (admin, SECRET_URL)):
        assert service.get(f"/api/v1/reports/{report_id}", headers=who).json()["url"] == expected
        listed = service.get("/api/v1/reports", headers=who).json()["items"]
        assert [r["url"] for r in listed] == [expected]
        alerts = service.get("/api/v1/alerts", headers=who).json()["items"]
        assert alerts, "the new destination raised no alert"
        urls = {f["url"] for a in alerts for f in a["evidence"]["figures"]}
        assert urls == {expected}
    for who in (reader, writer):
        raw = service.get(f"/api/v1/reports/{report_id}", headers=who).text
        raw += service.get("/api/v1/alerts", headers=who).text
        assert "SECRETKEY" not in raw and "hunter2" not in raw and "approved-app" not in raw


def _failing_source(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        source = Source(name="Private wire", kind="rss", url=SECRET_URL, consecutive_failures=2)
        session.add(source)
        session.flush()
        session.add(FetchAttempt(source_id=source.id, worker="test", status="error",
                                 error=f"Private wire not found (HTTP 404) at {SECRET_URL}; "
                                       "check the URL"))


def test_the_pages_show_secret_urls_to_admins_only(settings: Settings, service: TestClient,
                                                   writer: dict[str, str],
                                                   factory: sessionmaker[Session]) -> None:
    report_id = _report(service, writer)
    _failing_source(factory)
    alert_id = service.get("/api/v1/alerts", headers=writer).json()["items"][0]["id"]
    pages = ["/", f"/reports/{report_id}", "/destinations/LB-AK", f"/alerts/{alert_id}"]
    with factory.begin() as session:
        read_key = create_key(session, "staff read", "read")[1]
        admin_key = create_key(session, "staff admin", "admin")[1]
    sign_in(service, read_key)
    for page in pages:
        html = service.get(page).text
        assert "hunter2" not in html and "SECRETKEY" not in html and "approved-app" not in html
        assert "wire.example.org/stories/akkar?id=77" in html, page
    sign_in(service, admin_key)
    for page in pages:
        html = service.get(page).text
        assert "reporter:hunter2@" in html and "api_key=SECRETKEY" in html, page
