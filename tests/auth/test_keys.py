"""API keys: created once, stored hashed, scopes enforced, errors as JSON problems."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.models import ApiKey
from app.auth.service import create_key
from app.errors import InvalidInput
from app.main import create_app
from app.settings import Settings

REPORT = {"text": "More than 2,000 people have fled to Akkar in Lebanon since Friday."}


def test_a_key_is_stored_only_as_its_hash(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        key, plain = create_key(session, "dashboard", "read")
    with factory() as session:
        stored = session.scalars(select(ApiKey)).one()
    assert plain.startswith("dm_") and len(plain) > 40
    assert plain not in (stored.key_hash, stored.prefix) and stored.key_hash != plain
    assert stored.name == "dashboard" and stored.scope == "read" and key.id == stored.id


def test_unknown_scope_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="scope"):
        create_key(session, "x", "superuser")


def test_reads_need_a_key_unless_public(client: TestClient, reader: dict[str, str]) -> None:
    missing = client.get("/api/v1/reports")
    assert missing.status_code == 401
    body = missing.json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/reports", headers={"Authorization": "Bearer dm_nope"}
                      ).status_code == 401
    assert client.get("/api/v1/reports", headers=reader).status_code == 200


def test_public_read_opens_reads_but_not_writes(settings: Settings) -> None:
    public = settings.model_copy(update={"public_read": True})
    with TestClient(create_app(public)) as client:
        assert client.get("/api/v1/reports").status_code == 200
        assert client.post("/api/v1/reports", json=REPORT).status_code == 401


def test_scopes_nest(client: TestClient, reader: dict[str, str], writer: dict[str, str],
                     admin: dict[str, str]) -> None:
    denied = client.post("/api/v1/reports", json=REPORT, headers=reader)
    assert denied.status_code == 403 and "write" in denied.json()["detail"]
    assert client.post("/api/v1/reports", json=REPORT, headers=admin).status_code == 201
    assert client.get("/api/v1/reports", headers=writer).status_code == 200
    place = {"name": "Test Shelter", "country": "LB", "level": "site"}
    assert client.post("/api/v1/places", json=place, headers=writer).status_code == 403
    assert client.post("/api/v1/places", json=place, headers=admin).status_code == 201
