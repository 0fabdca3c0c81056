"""Telegram: the Bot API's sendMessage to a chat, with `parse_mode: HTML` (Telegram's few tags,
<b>, <i>, <a>, <blockquote>, and every other `<`, `>`, `&` escaped) within its 4,096 characters.

The address is the chat id (or @channel); the bot token is the secret, kept encrypted, and is
part of the request URL, so it is cut out of anything stored.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from app.errors import InvalidInput
from app.notify.channels.base import Sent, Target, post_json
from app.notify.messages import Message, cut
from app.settings import Settings

TEXT_LIMIT = 4096
TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")
CHAT = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,64})$")


def html(message: Message) -> str:
    parts = [f"<b>{escape(message.headline)}</b>"]
    if message.demo:
        parts.append(f"⚠ <b>{escape(message.demo_note)}</b>")
    if message.summary and not message.is_test:
        parts.append(escape(message.summary))
    parts.append("\n".join(f"<b>{escape(label)}:</b> {escape(value)}"
                           for label, value in message.facts()))
    for title, items in message.sections:
        parts.append("\n".join([f"<b>{escape(title)}</b>",
                                *(f"• {escape(cut(i, 300))}" for i in items)]))
    if message.sources:
        lines = ["<b>On whose word</b>"]
        for s in message.sources:
            name = (f'<a href="{escape(s.url)}">{escape(s.name)}</a>' if s.url
                    else escape(s.name))
            lines.append(f"• {name}, {escape(s.credibility_text)}, {escape(s.day)}\n"
                         f"<blockquote>{escape(cut(s.quote, 500))}</blockquote>")
        parts.append("\n".join(lines))
    if message.link:
        parts.append(f'<a href="{escape(message.link)}">Open the alert</a>')
    text = "\n\n".join(parts)
    while len(text) > TEXT_LIMIT and len(parts) > 2:
        parts.pop(-2)  # the sources first: the link stays
        text = "\n\n".join(parts)
    return text[:TEXT_LIMIT]


def render(message: Message, chat_id: str) -> dict[str, Any]:
    return {"chat_id": chat_id, "text": html(message), "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True}}


class Telegram:
    def check(self, address: str, token: str | None) -> str:
        if not token or not TOKEN.match(token):
            raise InvalidInput("a Telegram subscription needs the bot's token (123456:ABC...)")
        if not CHAT.match(address.strip()):
            raise InvalidInput("a Telegram address is a chat id (-100123...) or @channelname")
        return address.strip()

    def hint(self, address: str) -> str:
        return address

    def send(self, settings: Settings, target: Target, message: Message) -> Sent:
        token = target.token or ""
        url = f"{settings.telegram_api_url.rstrip('/')}/bot{token}/sendMessage"
        sent = post_json(settings, url, render(message, target.address), redact=token)
        if sent.status_code == 429 and sent.retry_after is None and sent.excerpt:
            # Telegram says how long to wait in the body: parameters.retry_after
            match = re.search(r'"retry_after"\s*:\s*([0-9]+)', sent.excerpt)
            if match:
                return Sent(sent.status_code, sent.error, sent.excerpt, float(match.group(1)))
        return sent


CHANNEL = Telegram()
