"""The dashboard on the open web: sign-in goes nowhere else, posts from elsewhere change nothing,
the cookie is a revocable session and never the key, and every response tells browsers to be
careful."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert
from app.auth.deps import SESSION_COOKIE
from app.auth.models import ApiKey, WebSession
from app.auth.service import create_key, revoke_key
from app.db import utcnow
from app.jobs import JOBS
from app.main import create_app
from app.security_headers import docs_policy
from app.settings import Settings
from tests.dashboard.forms import ORIGIN, sign_in, submit, token_on


def _key(factory: sessionmaker[Session], scope: str) -> str:
    with factory.begin() as session:
        return create_key(session, f"staff {scope}", scope)[1]


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    """The service as a browser sees it: reads need a key, no redirect is followed."""
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@pytest.fixture
def demo(settings: Settings) -> Iterator[TestClient]:
    public = settings.model_copy(update={"demo": True, "public_read": True})
    with TestClient(create_app(public), follow_redirects=False) as client:
        yield client


def _firing(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        alert_id = session.scalars(select(Alert.id).where(Alert.status == "firing")).first()
    assert alert_id is not None
    return alert_id


def _status(factory: sessionmaker[Session], alert_id: int) -> str:
    with factory() as session:
        return session.get_one(Alert, alert_id).status


def _is_problem(response: httpx2.Response, status: int) -> bool:
    return (response.status_code == status
            and response.headers["content-type"] == "application/problem+json"
            and response.json()["status"] == status)


@pytest.mark.parametrize("target", [
    "//evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "http:evil.example", "javascript:alert(1)", "evil.example",
    "/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example", "%2F%2Fevil.example",
    "/%252F%252Fevil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example",
])
def test_sign_in_never_sends_the_browser_to_another_site(
        browser: TestClient, factory: sessionmaker[Session], target: str) -> None:
    form = browser.get("/signin", params={"next": target})
    assert "evil.example" not in form.text and form.headers["cache-control"] == "no-store"
    signed = sign_in(browser, _key(factory, "read"), next=target)
    assert signed.status_code == 303 and signed.headers["location"] == "/"


def test_sign_in_returns_to_the_page_asked(browser: TestClient,
                                           factory: sessionmaker[Session]) -> None:
    asked = browser.get("/destinations/LB-BH")
    assert asked.headers["location"] == "/signin?next=/destinations/LB-BH"
    form = browser.get(asked.headers["location"])
    assert 'name="next" value="/destinations/LB-BH"' in form.text
    signed = sign_in(browser, _key(factory, "read"), next="/destinations/LB-BH?view=table")
    assert signed.headers["location"] == "/destinations/LB-BH?view=table"


def test_a_post_from_another_site_changes_nothing(demo: TestClient,
                                                  factory: sessionmaker[Session]) -> None:
    alert_id = _firing(factory)
    sign_in(demo, _key(factory, "admin"))
    token = token_on(demo.get(f"/alerts/{alert_id}").text)
    action = f"/alerts/{alert_id}/ack"
    foreign = [{"Origin": "https://evil.example"}, {"Origin": "null"},
               {"Origin": "http://testserver.evil.example"}, {"Origin": "http://testserver:8080"},
               {"Referer": "https://evil.example/page"}, {}]
    for headers in foreign:
        # even with the right token: the cookie rides along, the origin gives the post away
        refused = demo.post(action, data={"csrf_token": token}, headers=headers)
        assert _is_problem(refused, 403), headers
        assert _status(factory, alert_id) == "firing"
    # a browser that sends no Origin is judged by its Referer
    same_page = demo.post(action, data={"csrf_token": token},
                          headers={"Referer": f"{ORIGIN}/alerts/{alert_id}"})
    assert same_page.status_code == 303 and _status(factory, alert_id) == "acknowledged"


def test_a_post_without_the_forms_token_changes_nothing(demo: TestClient,
                                                        factory: sessionmaker[Session]) -> None:
    alert_id = _firing(factory)
    other = TestClient(demo.app, follow_redirects=False)  # another browser, same service
    sign_in(other, _key(factory, "admin"))
    others_token = token_on(other.get(f"/alerts/{alert_id}").text)
    sign_in(demo, _key(factory, "admin"))
    action = f"/alerts/{alert_id}/resolve"
    for data in [{}, {"csrf_token": ""}, {"csrf_token": "0" * 64}, {"csrf_token": others_token}]:
        refused = demo.post(action, data=data, headers={"Origin": ORIGIN})
        assert _is_problem(refused, 403), data
        assert _status(factory, alert_id) == "firing"
    # sign-in and sign-out check theirs too (no planted sign-in, no forced sign-out)
    assert _is_problem(demo.post("/signout", headers={"Origin": ORIGIN}), 403)
    assert demo.get(f"/alerts/{alert_id}").text.count("Signed in as") == 1
    planted = demo.post("/signin", data={"key": _key(factory, "read")}, headers={"Origin": ORIGIN})
    assert _is_problem(planted, 403)
    assert submit(demo, f"/alerts/{alert_id}", action).status_code == 303
    assert _status(factory, alert_id) == "resolved"


def test_the_cookie_is_a_session_not_the_key(browser: TestClient,
                                             factory: sessionmaker[Session]) -> None:
    key = _key(factory, "read")
    signed = sign_in(browser, key)
    [cookie] = [c for c in signed.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    value = browser.cookies[SESSION_COOKIE]
    assert key not in cookie and value != key
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http and no https public URL: a local install
    with factory() as session:
        stored = session.scalars(select(WebSession)).one()
        assert stored.token_hash == hashlib.sha256(value.encode()).hexdigest()
        assert stored.expires_at - utcnow() > timedelta(hours=11)
    page = browser.get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_under_an_https_public_url(settings: Settings,
                                                        factory: sessionmaker[Session]) -> None:
    public = settings.model_copy(update={"public_url": "https://dispmon.example.org"})
    # behind a proxy that ended TLS: the service itself is asked over plain http
    with TestClient(create_app(public), follow_redirects=False) as client:
        form = client.get("/signin")
        assert "secure" in form.headers["set-cookie"].lower()
        assert form.headers["strict-transport-security"].startswith("max-age=")
        # the test client keeps a Secure cookie from plain http: hand it over as a browser would
        cookie = form.headers["set-cookie"].split(";")[0]
        client.cookies.clear()
        data = {"key": _key(factory, "read"), "csrf_token": token_on(form.text)}
        # the public origin counts, not the address the proxy asked
        refused = client.post("/signin", data=data, headers={"Origin": ORIGIN, "Cookie": cookie})
        assert _is_problem(refused, 403)
        signed = client.post("/signin", data=data, headers={
            "Origin": "https://dispmon.example.org", "Cookie": cookie})
        assert signed.status_code == 303
        [session_cookie] = [c for c in signed.headers.get_list("set-cookie")
                            if c.startswith(SESSION_COOKIE)]
        attributes = [a.strip().lower() for a in session_cookie.split(";")]
        assert "secure" in attributes and "httponly" in attributes


def test_sign_out_ends_the_session_for_good(browser: TestClient, settings: Settings,
                                            factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "admin"))
    old = browser.cookies[SESSION_COOKIE]
    assert submit(browser, "/", "/signout").status_code == 303
    with TestClient(create_app(settings), follow_redirects=False,
                    cookies={SESSION_COOKIE: old}) as replayed:
        assert replayed.get("/").status_code == 303
        assert replayed.get("/api/v1/reports").status_code == 401


def test_an_expired_session_or_a_revoked_key_signs_in_no_more(
        browser: TestClient, settings: Settings, factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "read"))
    assert browser.get("/").status_code == 200
    with factory.begin() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert browser.get("/").status_code == 303
    assert browser.get("/api/v1/reports").status_code == 401

    sign_in(browser, _key(factory, "read"))
    assert browser.get("/").status_code == 200
    with factory.begin() as session:
        newest = session.scalars(select(WebSession).order_by(WebSession.id.desc())).first()
        assert newest is not None
        revoke_key(session, session.get_one(ApiKey, newest.api_key_id))
    assert browser.get("/").status_code == 303
    assert browser.get("/api/v1/reports").status_code == 401


def test_expired_sessions_are_forgotten_by_a_periodic_job(
        browser: TestClient, settings: Settings, factory: sessionmaker[Session]) -> None:
    sign_in(browser, _key(factory, "read"))
    sign_in(browser, _key(factory, "read"))
    with factory.begin() as session:
        first = session.scalars(select(WebSession).order_by(WebSession.id)).first()
        assert first is not None
        first.expires_at = utcnow() - timedelta(seconds=1)
    assert JOBS["forget-expired-sessions"](factory, settings, "test") == 1
    with factory() as session:
        assert len(session.scalars(select(WebSession)).all()) == 1
    assert browser.get("/").status_code == 200


def test_a_short_session_setting_expires_sessions(settings: Settings,
                                                  factory: sessionmaker[Session]) -> None:
    short = settings.model_copy(update={"session_hours": 0.5})
    with TestClient(create_app(short), follow_redirects=False) as client:
        signed = sign_in(client, _key(factory, "read"))
        assert "max-age=1800" in signed.headers.get_list("set-cookie")[0].lower()
    with factory() as session:
        stored = session.scalars(select(WebSession)).one()
        assert timedelta(minutes=29) < stored.expires_at - utcnow() <= timedelta(minutes=30)


PAGE_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
                "referrer-policy": "same-origin"}


def test_every_response_tells_browsers_to_be_careful(demo: TestClient,
                                                     factory: sessionmaker[Session]) -> None:
    alert_id = _firing(factory)
    responses = [demo.get(path) for path in (
        "/", "/signin", f"/alerts/{alert_id}", "/destinations/LB-BH", "/destinations/XX",
        "/static/style.css", "/api/v1/reports", "/api/v1/alerts", "/api/v1/sources", "/healthz",
        "/openapi.json", "/no-such-page")]
    responses.append(demo.post("/api/v1/reports", json={}))
    for response in responses:
        for name, value in PAGE_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy and "script-src" not in policy, response.url
        assert "style-src 'self'" in policy
    # the pages style only from the stylesheet: nothing inline the policy would block
    for response in responses[:5]:
        assert "<script" not in response.text and "style=" not in response.text
        assert "<style" not in response.text


def test_the_api_docs_run_only_their_own_scripts(browser: TestClient) -> None:
    docs = browser.get("/docs")
    policy = docs.headers["content-security-policy"]
    assert policy == docs_policy(docs.content)
    assert "'sha256-" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert docs.headers["x-frame-options"] == "DENY"
