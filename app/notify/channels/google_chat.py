"""Google Chat incoming webhooks: a `cardsV2` card (a header, decoratedText facts, a section
per source, an openLink button) with `text` as the plain fallback. Card text takes Google
Chat's small HTML subset (<b>, <i>, <a>, <br>, <font color>), so report text is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from app.notify.channels.base import IncomingWebhook
from app.notify.messages import SEVERITY_COLORS, Message, cut, plain_text

TEXT_LIMIT = 4000


def render(message: Message) -> dict[str, Any]:
    facts: list[dict[str, Any]] = [
        {"decoratedText": {"topLabel": label, "text": escape(value), "wrapText": True}}
        for label, value in message.facts()]
    sections: list[dict[str, Any]] = []
    if message.demo:
        sections.append({"widgets": [{"textParagraph": {
            "text": f'<font color="#c0392b"><b>{escape(message.demo_note)}</b></font>'}}]})
    if message.summary and not message.is_test:
        sections.append({"widgets": [{"textParagraph": {"text": escape(message.summary)}}]})
    sections.append({"header": "Facts", "widgets": facts})
    for title, items in message.sections:
        sections.append({"header": escape(title), "widgets": [{"textParagraph": {
            "text": "<br>".join(f"• {escape(i)}" for i in items)}}]})
    if message.sources:
        widgets = []
        for s in message.sources:
            name = f'<a href="{escape(s.url)}">{escape(s.name)}</a>' if s.url else escape(s.name)
            widgets.append({"textParagraph": {"text": (
                f"{name}, {escape(s.credibility_text)}, {escape(s.day)}"
                f"<br><i>“{escape(s.quote)}”</i>")}})
        sections.append({"header": "On whose word", "collapsible": len(widgets) > 2,
                         "uncollapsibleWidgetsCount": 2, "widgets": widgets})
    if message.link:
        sections.append({"widgets": [{"buttonList": {"buttons": [{
            "text": "Open the alert", "onClick": {"openLink": {"url": message.link}}}]}}]})
    color = SEVERITY_COLORS.get(message.severity, "#2471a3")
    return {
        "text": cut(plain_text(message), TEXT_LIMIT),
        "cardsV2": [{"cardId": f"alert-{message.alert_id or 'test'}", "card": {
            "header": {"title": cut(message.headline, 200),
                       "subtitle": f'<font color="{color}">{escape(message.severity)}</font>'
                       if message.severity else ""},
            "sections": sections}}],
    }


CHANNEL = IncomingWebhook(render)
