"""Replay sources read only inside DISPMON_REPLAY_DIR and the demo; manual sources are never
fetched (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.jobs import fetch_due_sources
from app.main import create_app
from app.settings import Settings
from app.sources.models import Source
from tests.sources.conftest import reports_of

LINE = json.dumps({"text": "Some 1,200 people reached Tartus on Monday.",
                   "published": "2025-03-10"}) + "\n"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    allowed, outside = tmp_path / "replays", tmp_path / "private"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "good.jsonl").write_text(LINE, encoding="utf-8")
    (outside / "secret.jsonl").write_text(LINE.replace("Tartus", "SECRET"), encoding="utf-8")
    (allowed / "escape.jsonl").symlink_to(outside / "secret.jsonl")
    (allowed / "linked").symlink_to(outside)
    return allowed, outside


@pytest.fixture
def confined(settings: Settings, folders: tuple[Path, Path]) -> Settings:
    return settings.model_copy(update={"replay_dir": folders[0]})


def _declare(client: TestClient, admin: dict[str, str], url: str) -> int:
    response = client.post("/api/v1/sources", headers=admin, json={
        "name": f"Replay {url}", "kind": "replay", "url": url})
    return response.status_code


def test_replay_paths_outside_the_allowed_folders_are_refused_at_creation(
        confined: Settings, folders: tuple[Path, Path], admin: dict[str, str]) -> None:
    allowed, outside = folders
    with TestClient(create_app(confined)) as client:
        for url in ("/root", "/etc/passwd", "../../..", str(outside / "secret.jsonl"),
                    f"{allowed}/../private/secret.jsonl", str(allowed / "escape.jsonl"),
                    str(allowed / "linked"), f"file://{outside}", "package:../../..",
                    "package:fetchers/replay.py", "~", ""):
            assert _declare(client, admin, url) == 422, url
        for url in (str(allowed / "good.jsonl"), str(allowed), "package:demo/",
                    "package:demo/syrian_coast_2025.jsonl"):
            assert _declare(client, admin, url) == 201, url
        created = client.get("/api/v1/sources", headers=admin).json()["items"][0]
        refused = client.patch(f"/api/v1/sources/{created['id']}", headers=admin,
                               json={"url": "/root"})
        assert refused.status_code == 422 and "DISPMON_REPLAY_DIR" in refused.json()["detail"]


def test_without_a_replay_dir_only_the_demo_may_be_replayed(
        client: TestClient, folders: tuple[Path, Path], admin: dict[str, str]) -> None:
    assert _declare(client, admin, str(folders[0] / "good.jsonl")) == 422
    assert _declare(client, admin, "package:demo/syrian_coast_2025.jsonl") == 201


def test_replay_paths_are_confined_again_when_read(
        confined: Settings, folders: tuple[Path, Path], admin: dict[str, str],
        factory: sessionmaker[Session]) -> None:
    allowed, outside = folders
    inside = allowed / "inside"
    inside.mkdir()
    (inside / "ok.jsonl").write_text(LINE, encoding="utf-8")
    with factory.begin() as session:  # stored before confinement, or by editing the database
        session.add_all([
            Source(name="old /root", kind="replay", url=str(outside), params={}),
            Source(name="old dots", kind="replay", url=f"{allowed}/../private", params={}),
            Source(name="folder", kind="replay", url=str(inside), params={}),
        ])
    with TestClient(create_app(confined)) as client:
        for source_id in (1, 2):
            fetched = client.post(f"/api/v1/sources/{source_id}/fetch", headers=admin).json()
            assert fetched["status"] == "error" and "outside" in fetched["error"]
        # a file inside the allowed folder swapped for a symlink out of it after creation
        (inside / "sneaky.jsonl").symlink_to(outside / "secret.jsonl")
        fetched = client.post("/api/v1/sources/3/fetch", headers=admin).json()
        assert fetched["status"] == "error" and "outside" in fetched["error"]
        assert "SECRET" not in json.dumps(fetched)
    assert not any("SECRET" in r.text for r in reports_of(factory))


def test_manual_sources_are_never_claimed_nor_fetched(
        client: TestClient, settings: Settings, writer: dict[str, str],
        admin: dict[str, str], factory: sessionmaker[Session]) -> None:
    posted = client.post("/api/v1/reports", headers=writer, json={
        "text": "Some 800 people reached Baniyas.", "published_at": "2025-03-10",
        "source": "Field team"})
    assert posted.status_code == 201, posted.text
    assert fetch_due_sources(factory, settings, "w1") == []
    with factory() as session:
        (manual,) = session.scalars(select(Source).where(Source.kind == "manual"))
    response = client.post(f"/api/v1/sources/{manual.id}/fetch", headers=admin)
    assert response.status_code == 409 and "/api/v1/reports" in response.json()["detail"]
    shown = client.get(f"/api/v1/sources/{manual.id}", headers=admin).json()
    assert shown["last_fetch_at"] is None and shown["consecutive_failures"] == 0
