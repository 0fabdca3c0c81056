"""The dashboard shows admins who hears of alerts, and how each address check went."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.main import create_app
from app.settings import Settings
from tests.dashboard.forms import sign_in, submit
from tests.notify.helpers import add, notifications, send


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    # forms are posted from TestClient's own origin, not DISPMON_PUBLIC_URL's
    local = settings.model_copy(update={"public_url": None})
    with TestClient(create_app(local), follow_redirects=False) as client:
        yield client


def _key(factory: sessionmaker[Session], scope: str) -> str:
    with factory.begin() as session:
        return create_key(session, f"staff {scope}", scope)[1]


def test_admins_see_subscriptions_and_check_an_address_again(
        browser: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings) -> None:
    sub = add(browser, admin, "slack", "http://127.0.0.1:9/services/T0/B0/abcd")
    add(browser, admin, "email", "desk@example.org", rhythm="daily", digest_hour=7,
        timezone="Asia/Beirut")
    send(factory, settings)  # nothing listens on port 9: the check fails
    sign_in(browser, _key(factory, "read"))
    assert browser.get("/subscriptions").status_code == 403
    sign_in(browser, _key(factory, "admin"))
    page = browser.get("/subscriptions").text
    assert "slack team" in page and "http://127.0.0.1:9/…abcd" in page
    assert "T0/B0" not in page
    assert "<strong>failed</strong>:" in page
    assert "a daily digest at 07:00 Asia/Beirut" in page and "; at once" in page
    response = submit(browser, "/subscriptions", f"/subscriptions/{sub['id']}/test")
    assert response.status_code == 303
    assert [n.is_test for n in notifications(factory)] == [True, True, True]
    assert "pending" in browser.get("/subscriptions").text
