"""POST /api/v1/reports: stored once, read, counted in the series; bad input gets a clear error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.reports.models import Figure, Report
from app.settings import Settings

AKKAR = {
    "text": "At least 3,000 people have arrived in Akkar, in northern Lebanon, since Friday, "
            "municipal officials said. The fighting has killed 200 people on the coast.",
    "title": "Arrivals in Akkar",
    "url": "https://news.example.org/2025/03/akkar?utm_source=feed",
    "published_at": "2025-03-10",
    "source": "Example News",
    "lang": "en",
}


def _count(factory: sessionmaker[Session], model: type[Report] | type[Figure]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_report_travels_to_the_series(client: TestClient, writer: dict[str, str],
                                        reader: dict[str, str]) -> None:
    created = client.post("/api/v1/reports", json=AKKAR, headers=writer)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["duplicate_of"] is None and body["created"] is True
    [figure] = body["figures"]  # the death toll is not a figure
    assert figure["count"] == 3000 and figure["qualifier"] == "at_least"
    assert figure["destination"]["country"] == "LB"
    assert AKKAR["text"][figure["span"][0]:figure["span"][1]].replace(",", "") == "3000"
    assert "Akkar" in figure["quote"] and figure["source"] == "Example News"

    dest = figure["destination"]["id"]
    series = client.get(f"/api/v1/destinations/{dest}/series", headers=reader)
    assert series.status_code == 200
    first = series.json()["points"][0]
    assert first["date"] == "2025-03-10" and first["estimate"] == 3000
    assert first["sources"][0]["figure_id"] == figure["id"]
    # the parent (Lebanon) carries its child's figure too
    lebanon = client.get("/api/v1/destinations/LB/series", headers=reader).json()["points"]
    assert lebanon[0]["estimate"] == 3000

    report = client.get(f"/api/v1/reports/{body['id']}", headers=reader).json()
    assert report["text"] == AKKAR["text"] and report["figures"][0]["id"] == figure["id"]
    assert report["source"]["name"] == "Example News" and report["demo"] is False


def test_the_same_text_or_url_returns_the_stored_report(client: TestClient,
                                                        writer: dict[str, str],
                                                        factory: sessionmaker[Session]) -> None:
    first = client.post("/api/v1/reports", json=AKKAR, headers=writer).json()
    again = client.post("/api/v1/reports", json=AKKAR, headers=writer)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert again.json()["created"] is False
    same_url = {**AKKAR, "text": "Updated: " + AKKAR["text"],
                "url": "https://www.news.example.org/2025/03/akkar/?utm_campaign=x#top"}
    assert client.post("/api/v1/reports", json=same_url, headers=writer).json()["id"] == first["id"]
    # (from the same source: another source's copy is stored for it, as a duplicate)
    respaced = {"text": "  " + AKKAR["text"].replace(" ", "  ") + "\n", "source": AKKAR["source"]}
    assert client.post("/api/v1/reports", json=respaced, headers=writer).status_code == 200
    assert _count(factory, Report) == 1 and _count(factory, Figure) == 1


def test_malformed_bodies_get_422_and_store_nothing(client: TestClient, writer: dict[str, str],
                                                   factory: sessionmaker[Session]) -> None:
    cases = [
        ({"title": "no text"}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x", "published_at": "last Tuesday"}, "published_at"),
        ({"text": "x", "unknown": 1}, "unknown"),
        ({"text": 12}, "text"),
    ]
    for payload, field in cases:
        response = client.post("/api/v1/reports", json=payload, headers=writer)
        assert response.status_code == 422, payload
        problem = response.json()
        assert problem["status"] == 422 and field in problem["detail"], problem
    broken = client.post("/api/v1/reports", content=b'{"text": ', headers={
        **writer, "content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["title"] == "Invalid input"
    assert _count(factory, Report) == 0


def test_oversized_reports_get_413(client: TestClient, writer: dict[str, str],
                                   settings: Settings, factory: sessionmaker[Session]) -> None:
    over_text = {"text": "word " * (settings.max_report_bytes // 5 + 10)}
    response = client.post("/api/v1/reports", json=over_text, headers=writer)
    assert response.status_code == 413 and "bytes" in response.json()["detail"]
    huge = b'{"text": "' + b"x" * (settings.max_request_bytes + 10) + b'"}'
    response = client.post("/api/v1/reports", content=huge,
                           headers={**writer, "content-type": "application/json"})
    assert response.status_code == 413 and response.json()["status"] == 413
    assert _count(factory, Report) == 0


def test_an_oversized_chunked_body_gets_413(client: TestClient, writer: dict[str, str],
                                           settings: Settings,
                                           factory: sessionmaker[Session]) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        yield b'{"text": "'
        for _ in range(settings.max_request_bytes // 10_000 + 2):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post("/api/v1/reports", content=chunks(),
                           headers={**writer, "content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["title"] == "Payload too large"
    assert _count(factory, Report) == 0


def test_a_failure_mid_ingest_leaves_nothing_behind(settings: Settings, writer: dict[str, str],
                                                    factory: sessionmaker[Session],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import app.pipeline as pipeline

    def broken_series(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "update_series", broken_series)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post("/api/v1/reports", json=AKKAR, headers=writer)
    assert response.status_code == 500
    assert "disk full" not in response.text and "Traceback" not in response.text
    assert _count(factory, Report) == 0 and _count(factory, Figure) == 0


def test_a_failed_commit_is_an_error_not_a_created(settings: Settings, writer: dict[str, str],
                                                   factory: sessionmaker[Session],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_commit(self: Session) -> None:
        raise RuntimeError("connection lost at commit")

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        monkeypatch.setattr(Session, "commit", failing_commit)
        response = client.post("/api/v1/reports", json=AKKAR, headers=writer)
        monkeypatch.undo()
    assert response.status_code == 500
    assert _count(factory, Report) == 0


def test_unknown_things_are_404(client: TestClient, reader: dict[str, str]) -> None:
    for path in ("/api/v1/reports/999", "/api/v1/destinations/XX-NOPE/series",
                 "/api/v1/destinations/nowhere", "/api/v1/nothing-here"):
        response = client.get(path, headers=reader)
        assert response.status_code == 404, path
        assert response.json()["status"] == 404
