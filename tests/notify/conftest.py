"""Notification tests send to real local servers: an SMTP server (aiosmtpd) and HTTP receivers
playing each chat platform, all on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.settings import Settings
from tests.servers import free_port, wait_for
from tests.webhooks.helpers import hook_settings

PUBLIC_URL = "https://dispmon.example.org"


@dataclass
class Mailbox:
    """What the SMTP server accepted; `reply` is its answer to the next messages (a 4xx makes
    the sender retry)."""

    port: int = field(default_factory=free_port)
    reply: str = "250 OK"
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        content = envelope.original_content or envelope.content or b""
        parsed = message_from_bytes(content if isinstance(content, bytes) else content.encode(),
                                    policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def wait(self, count: int) -> list[EmailMessage]:
        wait_for(lambda: len(self.messages) >= count, timeout=10, what=f"{count} e-mails")
        with self.lock:
            return list(self.messages)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def smtp_port() -> int:
    return free_port()


def notify_settings(db_url: str, smtp_port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none",
        "smtp_from": "Displacement Monitor <alerts@dispmon.example.org>",
        "smtp_timeout_seconds": 2, "public_url": PUBLIC_URL,
        "telegram_api_url": "http://127.0.0.1:9", "incident_wait_seconds": 0, **extra}
    return hook_settings(db_url, **values)


@pytest.fixture
def settings(db_url: str, mailbox: Mailbox) -> Settings:
    return notify_settings(db_url, mailbox.port)
