"""The dashboard shows admins who hears of alerts, and how each address check went."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.main import create_app
from app.notify.models import Subscription
from app.settings import Settings
from tests.dashboard.forms import ORIGIN, sign_in, submit, token_on
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


def _post(browser: TestClient, action: str, data: dict[str, Any],
          token: str | None = None) -> httpx2.Response:
    token = token if token is not None else token_on(browser.get("/subscriptions").text)
    return browser.post(action, data={**data, "csrf_token": token}, headers={"Origin": ORIGIN})


def _subs(factory: sessionmaker[Session]) -> list[Subscription]:
    with factory() as session:
        rows = list(session.scalars(select(Subscription).order_by(Subscription.id)))
        session.expunge_all()
        return rows


NEW = {"name": "Beirut desk", "channel": "slack",
       "address": "https://hooks.example.org/services/T1/B1/secret", "destinations": "LB-BH, LB",
       "countries": "", "rule_kinds": ["threshold", "jump"], "min_severity": "warning",
       "demo": "both", "rhythm": "daily", "digest_hour": "7", "timezone": "Asia/Beirut",
       "digest_when_quiet": "on"}


def test_admins_add_edit_turn_off_and_delete_subscriptions_on_the_page(
        browser: TestClient, factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "admin"))
    assert _post(browser, "/subscriptions", NEW).status_code == 303
    [sub] = _subs(factory)
    assert (sub.name, sub.channel, sub.destinations, sub.countries, sub.rule_kinds,
            sub.min_severity, sub.demo, sub.rhythm, sub.digest_hour, sub.timezone,
            sub.digest_when_quiet) == ("Beirut desk", "slack", ["LB-BH", "LB"], None,
                                       ["threshold", "jump"], "warning", None, "daily", 7,
                                       "Asia/Beirut", True)
    assert [n.is_test for n in notifications(factory)] == [True]  # the address is checked
    page = browser.get("/subscriptions").text
    assert "Edit Beirut desk" in page and "secret" not in page

    # edit: a blank address keeps it; the filters change
    edited = {**NEW, "address": "", "name": "Beirut team", "rule_kinds": [], "demo": "real",
              "rhythm": "immediate"}
    assert _post(browser, f"/subscriptions/{sub.id}", edited).status_code == 303
    [sub] = _subs(factory)
    assert (sub.name, sub.rule_kinds, sub.demo, sub.rhythm) == ("Beirut team", None, False,
                                                                "immediate")
    assert sub.address_hint.startswith("https://hooks.example.org/")
    assert len(notifications(factory)) == 1  # the same address: no new check

    assert _post(browser, f"/subscriptions/{sub.id}/enabled",
                 {"enabled": "false"}).status_code == 303
    [sub] = _subs(factory)
    assert not sub.enabled and sub.disabled_reason == "turned off by staff admin"
    assert "Turn on" in browser.get("/subscriptions").text
    assert _post(browser, f"/subscriptions/{sub.id}/enabled",
                 {"enabled": "true"}).status_code == 303
    assert _subs(factory)[0].enabled

    assert _post(browser, f"/subscriptions/{sub.id}/delete", {}).status_code == 303
    assert _subs(factory) == []


@pytest.mark.parametrize(("change", "says"), [
    ({"address": "not a url"}, "address"),
    ({"channel": "whatsapp"}, "channel"),
    ({"destinations": "XX-NOWHERE"}, "XX-NOWHERE"),
    ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ({"digest_hour": "25"}, "digest hour"),
    ({"name": ""}, "name"),
])
def test_bad_input_shows_the_page_again_with_why_and_nothing_lost(
        change: dict[str, str], says: str, browser: TestClient,
        factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "admin"))
    response = _post(browser, "/subscriptions", {**NEW, **change})
    assert 400 <= response.status_code < 500, response.text
    assert says in response.text
    assert 'value="Beirut desk"' in response.text or change.get("name") == ""
    assert 'value="LB-BH, LB"' in response.text or "destinations" in change
    assert 'value="threshold" checked' in response.text
    assert _subs(factory) == [] and notifications(factory) == []


def test_an_edit_refused_keeps_the_subscription_as_it_was(
        browser: TestClient, factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "admin"))
    assert _post(browser, "/subscriptions", NEW).status_code == 303
    [sub] = _subs(factory)
    response = _post(browser, f"/subscriptions/{sub.id}",
                     {**NEW, "name": "Changed", "destinations": "XX-NOWHERE"})
    assert response.status_code == 422 and "XX-NOWHERE" in response.text
    assert 'value="Changed"' in response.text
    assert _subs(factory)[0].name == "Beirut desk"
    assert _subs(factory)[0].destinations == ["LB-BH", "LB"]


def test_the_forms_refuse_a_missing_csrf_token_and_non_admin_keys(
        browser: TestClient, factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "admin"))
    assert _post(browser, "/subscriptions", NEW, token="forged").status_code == 403
    response = browser.post("/subscriptions", data=NEW, headers={"Origin": ORIGIN})
    assert response.status_code == 403
    assert _subs(factory) == []
    assert _post(browser, "/subscriptions", NEW).status_code == 303
    [sub] = _subs(factory)
    sign_in(browser, _key(factory, "write"))
    for action, data in (("/subscriptions", NEW), (f"/subscriptions/{sub.id}", NEW),
                         (f"/subscriptions/{sub.id}/enabled", {"enabled": "false"}),
                         (f"/subscriptions/{sub.id}/delete", {})):
        assert _post(browser, action, data).status_code == 403, action
    assert len(_subs(factory)) == 1 and _subs(factory)[0].enabled
