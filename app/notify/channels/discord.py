"""Discord webhooks: one embed (title linking to the alert, a colour per severity, inline fields
for the facts, a field per source) under a short `content` line, within Discord's documented
limits (title 256, description 4,096, 25 fields of 1,024, 6,000 characters in all); mentions
are switched off so a quote can never ping anyone."""

from __future__ import annotations

from typing import Any

from app.notify.channels.base import IncomingWebhook
from app.notify.messages import SEVERITY_COLORS, Message, cut

TOTAL_LIMIT = 6000


def escape(text: str) -> str:
    for char in "\\*_~`|>#[]":
        text = text.replace(char, "\\" + char)
    return text


def render(message: Message) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": label, "value": cut(escape(value), 1024), "inline": len(value) < 40}
        for label, value in message.facts()]
    for title, items in message.sections:
        fields.append({"name": cut(title, 256), "inline": False,
                       "value": cut("\n".join(f"• {escape(i)}" for i in items), 1024)})
    for s in message.sources:
        fields.append({"name": cut(f"{s.name} · {s.credibility_text} · {s.day}", 256),
                       "value": cut(f"“{escape(s.quote)}”" + (f"\n{s.url}" if s.url else ""),
                                    1024),
                       "inline": False})
    description = escape(message.summary) if message.summary and not message.is_test else ""
    if message.demo:
        description = f"**⚠ {escape(message.demo_note)}**\n{description}"
    embed: dict[str, Any] = {
        "title": cut(message.headline, 256),
        "description": cut(description, 4096),
        "color": int(SEVERITY_COLORS.get(message.severity, "#2471a3")[1:], 16),
        "fields": fields[:25],
        "footer": {"text": "Displacement Monitor" + (" · DEMO DATA" if message.demo else "")},
    }
    if message.link:
        embed["url"] = message.link
    # the whole embed within 6,000 characters: the last fields (the oldest sources) go first
    while len(str(embed["title"])) + len(embed["description"]) + sum(
            len(f["name"]) + len(f["value"]) for f in embed["fields"]) > TOTAL_LIMIT - 100:
        embed["fields"] = embed["fields"][:-1]
    return {"content": cut(message.headline, 2000), "embeds": [embed],
            "allowed_mentions": {"parse": []}, "username": "Displacement Monitor"}


CHANNEL = IncomingWebhook(render)
