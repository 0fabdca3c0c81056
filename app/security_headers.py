"""The headers every response carries so browsers treat it safely: CSP, no framing, no sniffing.

The dashboard runs no script and keeps its styles in /static/style.css, so its policy allows
nothing inline. The OpenAPI pages (/docs, /redoc) are FastAPI's: they load Swagger UI or ReDoc
from their CDN and start it with an inline script, which their policy allows by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
_CDN = "https://cdn.jsdelivr.net"
_DOCS_POLICY = ("default-src 'none'; script-src {scripts}; "
                f"style-src {_CDN} https://fonts.googleapis.com 'unsafe-inline'; "
                "font-src https://fonts.gstatic.com; img-src 'self' data: https:; "
                "connect-src 'self'; worker-src blob:; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'")
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _common(https: bool) -> list[tuple[str, str]]:
    headers = [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
               # our own pages keep the Referer (the CSRF check may read it); links out get none
               ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
    if https:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def docs_policy(body: bytes) -> str:
    """The docs page's policy: its CDN, plus each inline script of `body` by its SHA-256."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'"
              for m in _INLINE_SCRIPT.findall(body)]
    return _DOCS_POLICY.format(scripts=" ".join([_CDN, *hashes]))


class SecurityHeaders:
    """Adds the headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.headers = _common(https)

    def _add(self, message: Message, policy: str) -> None:
        message.setdefault("headers", [])
        headers = MutableHeaders(scope=message)
        for name, value in [*self.headers, ("Content-Security-Policy", policy)]:
            headers.setdefault(name, value)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(message, PAGE_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        # the policy needs the body's scripts: hold the (small) page until it is complete
        start: Message | None = None
        body = b""

        async def hold(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                body += message.get("body", b"")
                if message.get("more_body", False):
                    return
                self._add(start, docs_policy(body))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, hold)
