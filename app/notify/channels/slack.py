"""Slack incoming webhooks: Block Kit (a header, mrkdwn sections, a button) with `text` as the
fallback notifications show.

Slack renders `mrkdwn`, where `&`, `<` and `>` are markup (`<!channel>` pings everyone), so every
value from a report is escaped; a section's text is cut under Slack's 3,000 characters.
"""

from __future__ import annotations

from typing import Any

from app.notify.channels.base import IncomingWebhook
from app.notify.messages import Message, cut, plain_text

SECTION_LIMIT = 2900
HEADER_LIMIT = 150


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(message: Message) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": cut(message.headline, HEADER_LIMIT)}},
    ]
    if message.demo:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f":warning: *{escape(message.demo_note)}*"}]})
    if message.summary and not message.is_test:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": cut(escape(message.summary), SECTION_LIMIT)}})
    blocks.append({"type": "section", "fields": [
        {"type": "mrkdwn", "text": cut(f"*{label}*\n{escape(value)}", 1900)}
        for label, value in message.facts()[:10]]})  # Slack takes ten fields at most
    for title, items in message.sections:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cut(
            "\n".join([f"*{escape(title)}*", *(f"• {escape(i)}" for i in items)]),
            SECTION_LIMIT)}})
    if message.sources:
        lines = ["*On whose word*"]
        for s in message.sources:
            name = (f"<{escape(s.url)}|{escape(s.name)}>" if s.url else escape(s.name))
            lines.append(f"• {name}, {escape(s.credibility_text)}, {escape(s.day)}\n"
                         f"> {escape(s.quote)}")
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": cut("\n".join(lines), SECTION_LIMIT)}})
    if message.link:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": "Open the alert"},
            "url": message.link}]})
    return {"text": cut(escape(plain_text(message)), 3000), "blocks": blocks}


CHANNEL = IncomingWebhook(render)
