"""Webhook secrets stay secret: never in a log (issue 13)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings

SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQy"  # base64 of 30 bytes


def test_a_failed_webhook_write_logs_no_secret(settings: Settings,
                                               factory: sessionmaker[Session],
                                               admin: dict[str, str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    with factory.begin() as session:  # the write fails in the database, with its parameters
        session.execute(text("ALTER TABLE webhook_endpoints RENAME TO webhook_endpoints_gone"))
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post("/api/v1/webhooks", headers=admin, json={
            "url": "https://hooks.example.org/in", "secret": SECRET})
    assert response.status_code == 500
    assert any(r.exc_info for r in caplog.records), "the failure was logged"
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "webhook_endpoints" in logged  # the statement is there to debug with...
    assert SECRET not in logged and SECRET[6:] not in logged  # ...its parameters are not
    assert admin["Authorization"].split()[1] not in logged


def test_every_log_record_is_redacted(settings: Settings,
                                      caplog: pytest.LogCaptureFixture) -> None:
    create_app(settings)  # installs the redaction
    log = logging.getLogger("tests.anywhere")
    try:
        raise ValueError(f"bad secret {SECRET}")
    except ValueError:
        log.exception("posting to %s with %s failed (%d tries)",
                      "https://user:hunter2@hooks.example.org/in", SECRET, 3)
    log.warning(f"key dm_{'x' * 40} used")  # an f-string: what a slip looks like
    assert SECRET[6:] not in caplog.text and "hunter2" not in caplog.text
    assert "x" * 40 not in caplog.text
    assert SECRET[6:] not in (caplog.records[0].exc_text or "")
    assert "(3 tries)" in caplog.text  # numbers stay numbers


def test_webhook_fields_have_length_limits(client: TestClient, admin: dict[str, str]) -> None:
    long_url = "https://hooks.example.org/" + "a" * 2000
    long_ids = ["LB"] * 501
    for body in ({"url": long_url}, {"url": "https://h.example/", "destinations": long_ids},
                 {"url": "https://h.example/", "destinations": ["x" * 101]},
                 {"url": "https://h.example/", "secret": "whsec_" + "A" * 300}):
        response = client.post("/api/v1/webhooks", headers=admin, json=body)
        assert response.status_code == 422, response.text
    created = client.post("/api/v1/webhooks", headers=admin, json={"url": "https://h.example/"})
    assert created.status_code == 201
    patched = client.patch(f"/api/v1/webhooks/{created.json()['id']}", headers=admin,
                           json={"url": long_url})
    assert patched.status_code == 422
