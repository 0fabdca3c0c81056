"""A subscription's address and token are stored encrypted, and `rekey` moves them to a new
key with the webhook secrets."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.crypto import SecretBox
from app.notify.service import rekey
from app.settings import Settings
from tests.notify.helpers import TELEGRAM_TOKEN, add, send, subscription
from tests.webhooks.receiver import receiver

NEW_KEY = "the-next-secret-key-of-forty-characters!!"


def test_addresses_are_encrypted_and_rekeyed(client: TestClient, admin: dict[str, str],
                                             factory: sessionmaker[Session],
                                             settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        hook = add(client, admin, "slack", f"{r.url}/T0/B0/SECRETPART")
        add(client, admin, "telegram", "@dispmon_alerts", token=TELEGRAM_TOKEN)
        with factory() as session:
            stored = " ".join(str(v) for row in session.execute(text(
                "SELECT address_encrypted, address_hint, token_encrypted FROM subscriptions"))
                for v in row)
        assert "SECRETPART" not in stored and TELEGRAM_TOKEN not in stored
        # the hints: not the URL's secret path (ciphertext may hold "B0" by chance), a chat id
        with factory() as session:
            hints = " ".join(session.scalars(text("SELECT address_hint FROM subscriptions")))
        assert "B0" not in hints and "@dispmon_alerts" in hints

        old = settings.secret_key
        assert old is not None
        with factory.begin() as session:
            assert rekey(session, SecretBox(NEW_KEY, old.get_secret_value())) == 2
        rotated = settings.model_copy(update={"secret_key": SecretStr(NEW_KEY),
                                              "secret_key_previous": None,
                                              "telegram_api_url": f"http://127.0.0.1:{r.port}"})
        assert send(factory, rotated) == 2
        assert subscription(factory, hook["id"]).test_status == "passed"
        paths = sorted(x.path for x in r.accepted())
    assert paths == [f"/bot{TELEGRAM_TOKEN}/sendMessage", "/hook/T0/B0/SECRETPART"]
