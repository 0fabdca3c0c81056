"""A real HTTP server on 127.0.0.1 for tests, with routes that misbehave on purpose."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.servers import free_port


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[BaseHTTPRequestHandler, "FakeWeb"], None]


@dataclass
class FakeWeb:
    """Routes by path (query ignored unless the full path+query is routed); records requests."""

    port: int
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if urlsplit(s.path).path == path]


def reply(status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> Handler:
    def handle(req: BaseHTTPRequestHandler, _web: FakeWeb) -> None:
        req.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        for key, value in (headers or {}).items():
            req.send_header(key, value)
        if "content-length" not in sent:
            req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    return handle


def conditional(body: bytes, etag: str, content_type: str,
                last_modified: str = "Mon, 03 Mar 2025 10:00:00 GMT") -> Handler:
    """200 with validators, or 304 when the request carries them."""

    def handle(req: BaseHTTPRequestHandler, web: FakeWeb) -> None:
        if req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.send_header("ETag", etag)
            req.end_headers()
            return
        reply(200, body, {"Content-Type": content_type, "ETag": etag,
                          "Last-Modified": last_modified})(req, web)

    return handle


def gzipped(body: bytes, content_type: str = "text/plain") -> Handler:
    return reply(200, gzip.compress(body),
                 {"Content-Type": content_type, "Content-Encoding": "gzip"})


def hang(req: BaseHTTPRequestHandler, web: FakeWeb) -> None:
    """Accepts the request and never answers (until the server stops)."""
    web.stop.wait(60)


def slow_body(req: BaseHTTPRequestHandler, web: FakeWeb) -> None:
    """Headers at once, then a byte every 0.2 s: each read succeeds, the whole never ends."""
    req.send_response(200)
    req.send_header("Content-Type", "text/plain")
    req.send_header("Content-Length", "100000")
    req.end_headers()
    for _ in range(1000):
        if web.stop.wait(0.2):
            return
        try:
            req.wfile.write(b"x")
            req.wfile.flush()
        except OSError:
            return


def redirect(to: str, status: int = 302) -> Handler:
    return reply(status, b"", {"Location": to})


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        web = self.server.web
        web.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
        handler = web.routes.get(self.path) or web.routes.get(urlsplit(self.path).path)
        if handler is None:
            reply(404, b"not here", {"Content-Type": "text/plain"})(self, web)
            return
        handler(self, web)

    do_GET = do_POST = do_HEAD = _dispatch

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    web: FakeWeb

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up early is what several tests do on purpose


@contextmanager
def fake_web() -> Iterator[FakeWeb]:
    port = free_port()
    server = _Server(("127.0.0.1", port), _Handler)
    web = FakeWeb(port)
    server.web = web
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"fakeweb:{port}",
                              daemon=True)
    thread.start()
    try:
        yield web
    finally:
        web.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
