"""Mattermost incoming webhooks: one Markdown `text` (headings, bold, quotes and links render
as written), which Mattermost shows in full rather than in Slack's attachment boxes."""

from __future__ import annotations

from typing import Any

from app.notify.channels.base import IncomingWebhook
from app.notify.messages import Message, cut

TEXT_LIMIT = 16_000  # Mattermost's post limit is 16,383 characters


def escape(text: str) -> str:
    """Markdown's active characters in report text shown as themselves."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def markdown(message: Message) -> str:
    lines = [f"#### {escape(message.headline)}"]
    if message.demo:
        lines.append(f"**:warning: {escape(message.demo_note)}**")
    if message.summary and not message.is_test:
        lines.append(escape(message.summary))
    lines += ["", "| | |", "|---|---|"]
    lines += [f"| **{label}** | {escape(value)} |" for label, value in message.facts()]
    for title, items in message.sections:
        lines += ["", f"**{escape(title)}**", *(f"- {escape(i)}" for i in items)]
    if message.sources:
        lines += ["", "**On whose word**"]
        for s in message.sources:
            name = f"[{escape(s.name)}]({s.url})" if s.url else escape(s.name)
            lines += [f"- {name}, {escape(s.credibility_text)}, {escape(s.day)}",
                      f"  > {escape(s.quote)}"]
    if message.link:
        lines += ["", f"[Open the alert]({message.link})"]
    return "\n".join(lines)


def render(message: Message) -> dict[str, Any]:
    return {"text": cut(markdown(message), TEXT_LIMIT), "username": "Displacement Monitor"}


CHANNEL = IncomingWebhook(render)
