"""The protocol every channel implements, and the HTTP send the chat channels share.

A channel checks an address when a subscription is added, and sends one `Message` to one
address, returning what came of it (never raising): the delivery job stores it as an attempt
and retries on the webhooks' schedule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from app.db import utcnow
from app.errors import FetchFailed, InvalidInput
from app.http import retry_after_seconds, send
from app.notify.messages import Message
from app.settings import Settings

MAX_RESPONSE_BYTES = 64_000


@dataclass(frozen=True, slots=True)
class Target:
    """Where one subscription's messages go, decrypted for the send."""

    address: str
    token: str | None = None
    reference: str = ""  # stable per notification: a Message-ID, a dedup key


@dataclass(frozen=True, slots=True)
class Sent:
    """The outcome of one send: `error` None is success."""

    status_code: int | None
    error: str | None
    excerpt: str | None = None
    retry_after: float | None = None


class Channel(Protocol):
    def check(self, address: str, token: str | None) -> str:
        """The address as stored; InvalidInput (a 422) when it cannot be one."""

    def hint(self, address: str) -> str:
        """The address with its secret part hidden."""

    def send(self, settings: Settings, target: Target, message: Message) -> Sent: ...


def check_http_url(address: str) -> str:
    parts = urlsplit(address.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the address must be the channel's incoming-webhook URL "
                           "(http or https)")
    return address.strip()


def url_hint(address: str) -> str:
    """https://hooks.slack.com/services/T0/B0/XXXX -> https://hooks.slack.com/…XXXX: enough
    to tell two apart, too little to post with."""
    parts = urlsplit(address)
    tail = address.rstrip("/")[-4:]
    return f"{parts.scheme}://{parts.netloc}/…{tail}"


def post_json(settings: Settings, url: str, body: dict[str, Any], *,
              redact: str | None = None) -> Sent:
    """One POST of `body` through the outbound gate; 2xx is success. `redact` (a token in the
    URL) never appears in what is stored."""
    started = utcnow()
    try:
        response = send("POST", url, settings=settings,
                        headers={"content-type": "application/json"},
                        content=json.dumps(body, ensure_ascii=False).encode(),
                        follow_redirects=False, timeout=settings.webhook_timeout_seconds,
                        max_bytes=MAX_RESPONSE_BYTES)
    except FetchFailed as exc:
        detail = exc.detail.replace(redact, "…") if redact else exc.detail
        return Sent(None, detail, None, exc.retry_after)
    excerpt = response.content[:1000].decode("utf-8", "replace") or None
    retry_after = retry_after_seconds(response.headers.get("retry-after"), started)
    if response.ok:
        return Sent(response.status_code, None, excerpt, None)
    return Sent(response.status_code, f"the receiver answered {response.status_code}", excerpt,
                retry_after)


@dataclass(frozen=True, slots=True)
class IncomingWebhook:
    """A chat platform's incoming webhook: a secret URL that takes one JSON body per message."""

    render: Any  # Callable[[Message], dict[str, Any]]: the platform's body

    def check(self, address: str, token: str | None) -> str:
        if token:
            raise InvalidInput("an incoming webhook takes no token: its URL is the secret")
        return check_http_url(address)

    def hint(self, address: str) -> str:
        return url_hint(address)

    def send(self, settings: Settings, target: Target, message: Message) -> Sent:
        body: dict[str, Any] = self.render(message)
        return post_json(settings, target.address, body)
