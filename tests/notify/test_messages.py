"""Each alert state reads as such, in every channel; an alert resolved by staff says so."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.notify.channels import discord, google_chat, mattermost, slack, teams, telegram
from app.notify.channels.email import html
from app.notify.messages import STATES, Context, Message, build, plain_text
from app.settings import Settings
from tests.notify.conftest import PUBLIC_URL, Mailbox
from tests.notify.helpers import add, raise_alerts, send

ALERT: dict[str, Any] = {
    "id": 7, "rule": {"id": 2, "name": "Jump", "kind": "jump"},
    "destination": {"id": "LB-BH", "name": "Baalbek-Hermel", "country": "LB"},
    "severity": "critical", "status": "firing", "value": 9500, "data_day": "2025-03-13",
    "summary": "Baalbek-Hermel jumped by 9,500 people in 3 days",
    "opened_at": "2025-03-11T08:00:00+00:00",
    "evidence": {
        "previous": {"day": "2025-03-10", "estimate": 500},
        "current": {"day": "2025-03-13", "estimate": 10000},
        "change": {"people": 9500, "percent": 1900.0},
        "figures": [{"figure_id": 11, "source": "Wire <b>&</b> Co", "date": "2025-03-13",
                     "people": 10000, "quote": "at least 10,000 *fled* <to> Baalbek-Hermel",
                     "url": "https://wire.example/a"}],
    },
}
CONTEXT = Context(parents=("Lebanon",), country="Lebanon", credibility={11: "B"})
RENDERERS: dict[str, Callable[[Message], dict[str, Any]]] = {
    "slack": slack.render, "teams": teams.render, "mattermost": mattermost.render,
    "google_chat": google_chat.render, "discord": discord.render,
    "telegram": lambda m: telegram.render(m, "-100"),
    "email": lambda m: {"html": html(m, with_chart=False)},
}
ESCAPED = {  # the source's name "Wire <b>&</b> Co" as each channel writes it
    "slack": "Wire &lt;b&gt;&amp;&lt;/b&gt; Co", "google_chat": "Wire &lt;b&gt;&amp;&lt;/b&gt; Co",
    "telegram": "Wire &lt;b&gt;&amp;&lt;/b&gt; Co", "email": "Wire &lt;b&gt;&amp;&lt;/b&gt; Co",
    "mattermost": "Wire \\\\<b\\\\>&\\\\</b\\\\> Co",  # backslashes, doubled by JSON
    "discord": "Wire <b>&</b> Co",  # Discord shows HTML as text
    "teams": "Wire <b>&</b> Co",  # so does an Adaptive Card's TextBlock
}
WORDS = {"firing": "New alert", "escalated": "Escalated", "updated": "Updated",
         "retracted": "Retracted", "resolved": "Resolved"}


@pytest.mark.parametrize("event_type", [t for t in STATES if t.startswith("alert.")])
@pytest.mark.parametrize("channel", list(RENDERERS))
def test_every_state_reads_as_such_in_every_channel(event_type: str, channel: str) -> None:
    message = build(event_type, ALERT, CONTEXT, PUBLIC_URL)
    word = WORDS[STATES[event_type][0]]
    assert message.headline == f"{word} (critical) – Baalbek-Hermel, Lebanon: 10,000 people"
    shown = json.dumps(RENDERERS[channel](message), ensure_ascii=False)
    assert word in shown
    assert f"{PUBLIC_URL}/alerts/7" in shown
    assert "credibility B (usually reliable)" in shown
    assert "+9,500 since 500 (+1900 %)" in shown
    # report text never becomes the platform's markup: it is shown, not obeyed
    assert ESCAPED[channel] in shown, (channel, ESCAPED[channel])


def test_plain_text_says_where_how_many_since_when_and_on_whose_word() -> None:
    text = plain_text(build("alert.escalated", ALERT, CONTEXT, PUBLIC_URL))
    assert text.splitlines()[0] == ("Escalated (critical) – Baalbek-Hermel, Lebanon: "
                                    "10,000 people")
    for line in ("Where: Baalbek-Hermel, Lebanon", "Country: Lebanon", "People: 10,000",
                 "Change: +9,500 since 500 (+1900 %)", "Since: 2025-03-11",
                 "Figures of: 2025-03-13", "Severity: critical", "Rule: Jump",
                 "- Wire <b>&</b> Co, credibility B (usually reliable), 2025-03-13: "
                 "“at least 10,000 *fled* <to> Baalbek-Hermel”",
                 f"Open the alert: {PUBLIC_URL}/alerts/7"):
        assert line in text.splitlines(), line


def test_without_a_public_url_there_is_no_link() -> None:
    message = build("alert.firing", ALERT, CONTEXT, None)
    assert message.link is None
    assert "Open the alert" not in plain_text(message)
    assert "actions" not in teams.card(message)


def test_an_alert_resolved_by_staff_is_told_as_resolved(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, mailbox: Mailbox) -> None:
    add(client, admin, "email", "officer@example.org")
    raise_alerts(factory, settings)
    assert send(factory, settings) == 2  # the test, the incident of two alerts
    alerts = client.get("/api/v1/alerts", headers=admin).json()["items"]
    critical = next(a for a in alerts if a["severity"] == "critical")
    response = client.post(f"/api/v1/alerts/{critical['id']}/resolve", headers=admin)
    assert response.status_code == 200, response.text
    assert send(factory, settings) == 1  # the incident's update
    resolved = mailbox.wait(3)[2]
    assert resolved["Subject"] == "Resolved (critical) – Baalbek-Hermel, Lebanon: 12,000 people"
    plain = resolved.get_body(preferencelist=("plain",))
    assert plain is not None
    # the incident's other alert, still open, is listed beside it
    assert "[resolved, critical]" in plain.get_content()
    assert "[firing, warning]" in plain.get_content()
