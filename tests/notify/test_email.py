"""E-mail reaches a real SMTP server: headers, a plain-text and an HTML part, the chart as an
inline PNG, the link to the alert's page; a relay that refuses for now gets it again later."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.settings import Settings
from tests.notify.conftest import PUBLIC_URL, Mailbox
from tests.notify.helpers import add, attempts, notifications, raise_alerts, send, subscription


def test_the_email_has_headers_both_parts_the_chart_and_the_link(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, mailbox: Mailbox) -> None:
    sub = add(client, admin, "email", "officer@example.org")
    assert sub["test_status"] == "pending"
    assert send(factory, settings) == 1
    assert subscription(factory, sub["id"]).test_status == "passed"
    test_mail = mailbox.wait(1)[0]
    assert "Test message" in test_mail["Subject"]

    raise_alerts(factory, settings)
    assert send(factory, settings) == 1  # a new destination and 10,000 crossed: one incident
    mails = mailbox.wait(2)[1:]
    assert mailbox.recipients[1:] == [["officer@example.org"]]
    crossed = next(m for m in mails if "critical" in m["Subject"])
    assert crossed["From"] == "Displacement Monitor <alerts@dispmon.example.org>"
    assert crossed["To"] == "officer@example.org"
    assert crossed["Subject"] == (
        "New incident (critical) – Baalbek-Hermel, Lebanon: 12,000 people")
    assert crossed["Message-ID"].startswith("<dispmon-notification-")
    assert crossed["Auto-Submitted"] == "auto-generated"
    assert crossed.get_content_type() == "multipart/alternative"

    text = crossed.get_body(preferencelist=("plain",))
    html = crossed.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    alert_id = crossed["X-Dispmon-Alert"]
    link = f"{PUBLIC_URL}/alerts/{alert_id}"
    for expected in ("Where: Baalbek-Hermel, Lebanon", "Country: Lebanon", "People: 12,000",
                     "Since: ", "Severity: critical", "On whose word:",
                     "Field team, credibility C (fairly reliable), 2025-03-13",
                     "“At least 12,000 people have fled to Baalbek-Hermel",
                     f"Open the alert: {link}", "Rules that fired:", "[firing, warning]",
                     "[firing, critical]", "Places:", "- Baalbek-Hermel"):
        assert expected in plain, (expected, plain)
    assert "DEMO" not in plain
    markup = html.get_content()
    assert f'href="{link}"' in markup
    assert 'src="cid:chart@dispmon"' in markup
    assert "Field team" in markup and "credibility C" in markup

    images = [p for p in crossed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<chart@dispmon>"
    png = images[0].get_content()
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR" and int.from_bytes(png[16:20], "big") == 560


def test_a_relay_that_refuses_for_now_gets_the_message_once_later(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, mailbox: Mailbox) -> None:
    mailbox.reply = "451 4.3.0 try again later"
    sub = add(client, admin, "email", "officer@example.org")
    assert send(factory, settings) == 1
    failed = subscription(factory, sub["id"])
    assert failed.test_status == "failed"
    assert failed.test_error is not None and "451" in failed.test_error
    [attempt] = attempts(factory)
    assert attempt.status_code == 451 and not attempt.success
    [pending] = notifications(factory)
    assert pending.status == "pending" and pending.retries == 1
    assert pending.next_attempt_at is not None and pending.next_attempt_at > utcnow()

    mailbox.reply = "250 OK"
    assert send(factory, settings, now=utcnow() + timedelta(seconds=10)) == 1
    assert len(mailbox.wait(1)) == 1
    assert subscription(factory, sub["id"]).test_status == "passed"
    assert [n.status for n in notifications(factory)] == ["succeeded"]
    assert send(factory, settings, now=utcnow() + timedelta(hours=30)) == 0
    assert len(mailbox.messages) == 1


def test_no_relay_configured_says_so(client: TestClient, admin: dict[str, str],
                                     factory: sessionmaker[Session],
                                     settings: Settings) -> None:
    bare = settings.model_copy(update={"smtp_host": None})
    sub = add(client, admin, "email", "officer@example.org")
    send(factory, bare)
    assert subscription(factory, sub["id"]).test_error == "no mail relay: set DISPMON_SMTP_HOST"
