"""Each chat platform is played by a real HTTP receiver on 127.0.0.1, which checks the body
against the shape that platform documents for its incoming webhooks (or, for Telegram, the Bot
API's sendMessage), and that every message carries what a person needs to act."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from tests.notify.conftest import PUBLIC_URL
from tests.notify.helpers import TELEGRAM_TOKEN, add, raise_alerts, send, subscription
from tests.webhooks.receiver import Received, receiver

Body = dict[str, Any]


def _texts(value: Any) -> str:
    """Every string in a JSON body, joined: what the platform shows, markup and all."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_texts(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(_texts(v) for v in value.values())
    return ""


def _slack(body: Body, link: str | None) -> None:
    assert isinstance(body["text"], str) and body["text"]  # the notification's fallback
    blocks = body["blocks"]
    assert 1 <= len(blocks) <= 50
    assert {b["type"] for b in blocks} <= {"header", "section", "context", "actions"}
    header = blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
    if link:
        [actions] = [b for b in blocks if b["type"] == "actions"]
        assert actions["elements"][0]["type"] == "button"
        assert actions["elements"][0]["url"] == link


def _teams(body: Body, link: str | None) -> None:
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert {e["type"] for e in card["body"]} <= {"TextBlock", "FactSet"}
    for element in card["body"]:
        if element["type"] == "FactSet":
            assert all(set(f) == {"title", "value"} for f in element["facts"])
    if link:
        assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the alert",
                                    "url": link}]


def _mattermost(body: Body, link: str | None) -> None:
    assert isinstance(body["text"], str) and len(body["text"]) <= 16383
    assert body["text"].startswith("#### ")
    if link:
        assert f"[Open the alert]({link})" in body["text"]


def _google_chat(body: Body, link: str | None) -> None:
    assert isinstance(body["text"], str)
    [card] = body["cardsV2"]
    assert card["cardId"]
    assert card["card"]["header"]["title"]
    sections = card["card"]["sections"]
    assert sections and all(s["widgets"] for s in sections)
    kinds = {k for s in sections for w in s["widgets"] for k in w}
    assert kinds <= {"textParagraph", "decoratedText", "buttonList"}
    if link:
        buttons = [b for s in sections for w in s["widgets"]
                   for b in w.get("buttonList", {}).get("buttons", [])]
        assert buttons[0]["onClick"]["openLink"]["url"] == link


def _discord(body: Body, link: str | None) -> None:
    assert len(body["content"]) <= 2000
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert isinstance(embed["color"], int)
    assert len(embed["fields"]) <= 25
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in embed["fields"])
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"]) + sum(
        len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total <= 6000
    if link:
        assert embed["url"] == link


def _telegram(body: Body, link: str | None) -> None:
    assert body["chat_id"] == "-1001234567890"
    assert body["parse_mode"] == "HTML"
    assert len(body["text"]) <= 4096
    if link:
        assert f'<a href="{link}">Open the alert</a>' in body["text"]


CHECKS: dict[str, Callable[[Body, str | None], None]] = {
    "slack": _slack, "teams": _teams, "mattermost": _mattermost,
    "google_chat": _google_chat, "discord": _discord, "telegram": _telegram,
}


@pytest.mark.parametrize("channel", list(CHECKS))
def test_each_platform_gets_its_documented_shape_with_what_a_person_needs(
        channel: str, client: TestClient, admin: dict[str, str],
        factory: sessionmaker[Session], settings: Settings) -> None:
    with receiver(respond=lambda _h, _b: (200, {})) as r:
        settings = settings.model_copy(update={"telegram_api_url": f"http://127.0.0.1:{r.port}"})
        if channel == "telegram":
            sub = add(client, admin, channel, "-1001234567890", token=TELEGRAM_TOKEN)
            assert sub["address"] == "-1001234567890"
        else:
            sub = add(client, admin, channel, r.url)
            assert sub["address"] == f"http://127.0.0.1:{r.port}/…hook"
        assert send(factory, settings) == 1
        assert subscription(factory, sub["id"]).test_status == "passed"
        raise_alerts(factory, settings)
        assert send(factory, settings) == 1  # two alerts of one place: one incident
        received: list[Received] = r.accepted()
    assert len(received) == 2
    for request in received:
        assert request.headers["content-type"] == "application/json"
        if channel == "telegram":
            assert request.path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    test, *alerts = [json.loads(request.body) for request in received]
    CHECKS[channel](test, PUBLIC_URL)
    assert "Test message from Displacement Monitor" in _texts(test)
    for body in alerts:
        shown = _texts(body)
        link = next(f"{PUBLIC_URL}/alerts/{n}" for n in range(1, 10)
                    if f"{PUBLIC_URL}/alerts/{n}" in shown)
        CHECKS[channel](body, link)
        for expected in ("Baalbek-Hermel", "Lebanon", "12,000", "Field team",
                         "credibility C (fairly reliable)", "2025-03-13", "officials said"):
            assert expected in shown, (channel, expected)
        assert "DEMO" not in shown
    # the most severe leads; the other alert is folded in
    [incident] = [_texts(b) for b in alerts]
    assert "critical" in incident and "warning" in incident


def test_addresses_are_checked_when_added(client: TestClient, admin: dict[str, str],
                                          reader: dict[str, str]) -> None:
    for body in (
        {"channel": "email", "address": "not an address"},
        {"channel": "slack", "address": "ftp://hooks.example.org/x"},
        {"channel": "telegram", "address": "-100123"},  # no token
        {"channel": "telegram", "address": "some chat", "token": TELEGRAM_TOKEN},
        {"channel": "discord", "address": "https://discord.example/api/webhooks/1/x",
         "token": TELEGRAM_TOKEN},
        {"channel": "slack", "address": "https://hooks.example.org/x",
         "destinations": ["XX-NOWHERE"]},
        {"channel": "slack", "address": "https://hooks.example.org/x", "countries": ["L1"]},
        {"channel": "whatsapp", "address": "https://hooks.example.org/x"},
    ):
        response = client.post("/api/v1/subscriptions", headers=admin,
                               json={"name": "team", **body})
        assert response.status_code == 422, (body, response.text)
    ok = {"name": "team", "channel": "slack", "address": "https://hooks.example.org/T0/B0/sec"}
    assert client.post("/api/v1/subscriptions", headers=reader, json=ok).status_code == 403
    created = client.post("/api/v1/subscriptions", headers=admin, json=ok)
    assert created.status_code == 201
    assert created.json()["address"] == "https://hooks.example.org/…/sec"
    listed = client.get("/api/v1/subscriptions", headers=admin)
    assert "T0/B0" not in listed.text and listed.json()["items"][0]["channel"] == "slack"
