"""A real webhook receiver on 127.0.0.1: verifies signatures as a receiver would, and can be
told to fail, to hang, or to be down (its port closed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from tests.servers import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    verified: bool
    path: str = "/hook"

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


Responder = Callable[[dict[str, str], bytes], tuple[int, dict[str, str]]]


def ok(_headers: dict[str, str], _body: bytes) -> tuple[int, dict[str, str]]:
    return 204, {}


@dataclass
class Receiver:
    """Records every request; `accepted` are those it answered 2xx to, each webhook-id once
    (the deduplication a receiver does with the idempotency key)."""

    port: int = field(default_factory=free_port)
    secret: str | None = None
    respond: Responder = ok
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None  # set: answer; unset: hang until it is set
    arrived: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def accepted_ids(self) -> list[str]:
        return [r.webhook_id for r in self.accepted()]

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        if self.secret is None:
            return False
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                # decided on arrival: a request held while the sender dies keeps this answer
                status, extra = receiver.respond(headers, body)
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                with receiver._lock:
                    receiver.received.append(Received(
                        headers, body, status, receiver.verify(headers, body), self.path))
                try:
                    self.send_response(status)
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender is gone (killed mid-request)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def receiver(secret: str | None = None, respond: Responder = ok,
             start: bool = True) -> Iterator[Receiver]:
    r = Receiver(secret=secret, respond=respond)
    if start:
        r.start()
    try:
        yield r
    finally:
        if r.hold is not None:
            r.hold.set()
        r.stop()
