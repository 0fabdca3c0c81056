"""Microsoft Teams incoming webhooks (Workflows): a message with one Adaptive Card attachment
(a FactSet for the facts, one TextBlock per source, an Action.OpenUrl to the alert), the card
format Teams renders natively; Adaptive Cards 1.4, which Teams supports on every client."""

from __future__ import annotations

from typing import Any

from app.notify.channels.base import IncomingWebhook
from app.notify.messages import Message

COLORS = {"critical": "Attention", "warning": "Warning", "info": "Accent"}


def card(message: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = [{
        "type": "TextBlock", "text": message.headline, "weight": "Bolder", "size": "Medium",
        "wrap": True, "color": COLORS.get(message.severity, "Default"), "style": "heading"}]
    if message.demo:
        body.append({"type": "TextBlock", "text": message.demo_note, "wrap": True,
                     "weight": "Bolder", "color": "Attention"})
    if message.summary and not message.is_test:
        body.append({"type": "TextBlock", "text": message.summary, "wrap": True})
    body.append({"type": "FactSet", "facts": [{"title": label, "value": value}
                                              for label, value in message.facts()]})
    for title, items in message.sections:
        body.append({"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True,
                     "separator": True})
        body.append({"type": "TextBlock", "wrap": True,
                     "text": "\n".join(f"- {i}" for i in items)})
    if message.sources:
        body.append({"type": "TextBlock", "text": "On whose word", "weight": "Bolder",
                     "wrap": True, "separator": True})
        for s in message.sources:
            body.append({"type": "TextBlock", "wrap": True,
                         "text": f"{s.name}, {s.credibility_text}, {s.day}"})
            body.append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                         "text": f"“{s.quote}”"})
    out: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body,
    }
    if message.link:
        out["actions"] = [{"type": "Action.OpenUrl", "title": "Open the alert",
                           "url": message.link}]
    return out


def render(message: Message) -> dict[str, Any]:
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": card(message)}]}


CHANNEL = IncomingWebhook(render)
