"""Webhook secrets stay secret: never in a log, encrypted in the database (issue 13)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from app.crypto import SecretBox, secret_box
from app.errors import SecretUnreadable
from app.main import create_app
from app.settings import Settings
from app.webhooks.models import WebhookDelivery
from app.webhooks.service import create_endpoint, deliver_due, rekey
from tests.webhooks.helpers import hook_settings, subscribe
from tests.webhooks.receiver import receiver

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
    assert "parameters hidden" in logged
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


# -- encrypted at rest -----------------------------------------------------------------------

KEY_A = "first-key-" + "a" * 32
KEY_B = "second-key-" + "b" * 32


def _raw_secrets(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(text("SELECT secret_encrypted FROM webhook_endpoints")))


def _test_send(client: TestClient, admin: dict[str, str], hook_id: int,
               factory: sessionmaker[Session], settings: Settings) -> None:
    assert client.post(f"/api/v1/webhooks/{hook_id}/test", headers=admin).status_code == 202
    assert deliver_due(factory, settings, "w1") == 1


def test_the_database_never_holds_the_secret_and_signing_uses_it(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    with receiver() as r:
        created = subscribe(client, admin, r.url, secret=SECRET)
        generated = subscribe(client, admin, r.url)
        assert created["secret"] == SECRET and generated["secret"].startswith("whsec_")
        stored = _raw_secrets(factory)
        for secret in (SECRET, generated["secret"]):
            assert not any(secret in s or secret[6:] in s for s in stored)
        assert secret_box(settings).decrypt(stored[0]) in (SECRET, generated["secret"])
        r.secret = SECRET
        _test_send(client, admin, created["id"], factory, settings)
        assert r.received and r.received[0].verified  # signed with the decrypted secret
    assert "secret" not in client.get(f"/api/v1/webhooks/{created['id']}", headers=admin).json()


def test_rotation_previous_key_still_signs_and_rekey_moves_to_the_new_one(
        db_url: str, factory: sessionmaker[Session], admin: dict[str, str]) -> None:
    old = hook_settings(db_url, secret_key=SecretStr(KEY_A))
    with receiver(secret=SECRET) as r:
        with TestClient(create_app(old)) as client:
            hook = subscribe(client, admin, r.url, secret=SECRET)
        before = _raw_secrets(factory)
        rotating = hook_settings(db_url, secret_key=SecretStr(KEY_B),
                                 secret_key_previous=SecretStr(KEY_A))
        with TestClient(create_app(rotating)) as client:
            _test_send(client, admin, hook["id"], factory, rotating)  # decrypted with the old
            with factory.begin() as session:
                assert rekey(session, secret_box(rotating)) == 1
            after = _raw_secrets(factory)
            assert after != before and SECRET[6:] not in after[0]
        new_only = hook_settings(db_url, secret_key=SecretStr(KEY_B))
        assert SecretBox(KEY_B).decrypt(after[0]) == SECRET
        with pytest.raises(SecretUnreadable):
            SecretBox(KEY_A).decrypt(after[0])
        with TestClient(create_app(new_only)) as client:
            _test_send(client, admin, hook["id"], factory, new_only)
        assert len(r.received) == 2 and all(x.verified for x in r.received)


def test_a_secret_no_key_decrypts_waits_without_spending_an_attempt(
        db_url: str, factory: sessionmaker[Session], admin: dict[str, str],
        caplog: pytest.LogCaptureFixture) -> None:
    with receiver() as r:
        with TestClient(create_app(hook_settings(db_url, secret_key=SecretStr(KEY_A)))) as c:
            hook = subscribe(c, admin, r.url)
        wrong = hook_settings(db_url, secret_key=SecretStr(KEY_B))
        with TestClient(create_app(wrong)) as client:
            assert client.post(f"/api/v1/webhooks/{hook['id']}/test",
                               headers=admin).status_code == 202
            assert deliver_due(factory, wrong, "w1") == 0
        assert r.received == []
        assert "DISPMON_SECRET_KEY_PREVIOUS" in caplog.text
    with factory() as session:
        (delivery,) = session.scalars(select(WebhookDelivery))
        assert delivery.status == "pending" and delivery.attempts == 0
        assert delivery.lease_until is None


def test_rekey_refuses_and_changes_nothing_when_a_secret_is_unreadable(
        db_url: str, factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        create_endpoint(session, SecretBox(KEY_A), url="https://h.example/", description=None,
                        destinations=None, min_severity="info", secret=SECRET)
        create_endpoint(session, SecretBox(KEY_B), url="https://h.example/", description=None,
                        destinations=None, min_severity="info", secret=SECRET)
    before = _raw_secrets(factory)
    with pytest.raises(SecretUnreadable), factory.begin() as session:
        rekey(session, SecretBox(KEY_B))
    assert _raw_secrets(factory) == before


def test_the_secret_key_is_required_and_long(db_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPMON_SECRET_KEY")
    with pytest.raises(ValueError, match="DISPMON_SECRET_KEY is required"):
        Settings(database_url=db_url).require_secret_key()
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(database_url=db_url, secret_key=SecretStr("short"))
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(database_url=db_url, secret_key=SecretStr(KEY_A),
                 secret_key_previous=SecretStr("short"))
    demo = Settings(database_url=db_url, demo=True)  # the demo's key is fixed and public
    assert demo.encryption_key == Settings(database_url=db_url, demo=True).encryption_key
