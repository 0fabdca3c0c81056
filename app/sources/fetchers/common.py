"""What every HTTP fetcher shares: the polite GET, what statuses mean, reading text and dates."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import charset_normalizer
import httpx

from app import http
from app.errors import FetchFailed, SourceMisconfigured
from app.settings import Settings

_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _snippet(content: bytes) -> str:
    text = content[:300].decode("utf-8", "replace")
    return " ".join(text.split())[:200]


def raise_for_status(response: http.OutboundResponse, what: str) -> None:
    """Turns a non-2xx answer into the failure it means for a source."""
    status = response.status_code
    if 200 <= status < 300:
        return
    wait = http.retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
    if status in (401, 403):
        raise SourceMisconfigured(
            f"{what} refused access (HTTP {status}): {_snippet(response.content) or 'no detail'};"
            " check the source's credentials or parameters", http_status=status)
    if status == 410:
        raise SourceMisconfigured(f"{what} is gone (HTTP 410); remove or fix the source",
                                  http_status=status)
    if status == 404:
        raise FetchFailed(f"{what} not found (HTTP 404) at {response.url}; check the URL",
                          http_status=status)
    if status == 429 or status >= 500:
        later = f"; the server asked to retry after {wait:g} s" if wait is not None else ""
        raise FetchFailed(f"{what} answered HTTP {status}{later}", http_status=status,
                          retry_after=wait)
    if 300 <= status < 400:
        raise FetchFailed(f"{what} answered a redirect (HTTP {status}) without a usable "
                          "Location", http_status=status)
    raise FetchFailed(f"{what} answered HTTP {status}: {_snippet(response.content)}",
                      http_status=status)


def get(url: str, settings: Settings, *, what: str, etag: str | None = None,
        last_modified: str | None = None, params: Mapping[str, Any] | None = None,
        accept: str | None = None, headers: Mapping[str, str] | None = None
        ) -> http.OutboundResponse:
    """A GET through the gate, one at a time per host, conditional when validators are known.
    Returns 304 answers as they are; raises for other non-2xx statuses."""
    headers = dict(headers or {})
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    if accept:
        headers["Accept"] = accept
    if params:
        url = str(httpx.URL(url).copy_merge_params(
            {k: v for k, v in params.items() if v is not None}))
    with http.host_lock(url):
        response = http.send("GET", url, settings=settings, headers=headers)
    if response.status_code != 304:
        raise_for_status(response, what)
    return response


def parse_json(response: http.OutboundResponse, what: str) -> Any:
    try:
        return json.loads(decode(response))
    except json.JSONDecodeError as exc:
        kind = response.headers.get("content-type", "no content type")
        raise FetchFailed(f"{what} did not send valid JSON ({kind}): {exc.msg} at line "
                          f"{exc.lineno} column {exc.colno}", http_status=response.status_code
                          ) from exc


def decode(response: http.OutboundResponse) -> str:
    """The body as text: the declared charset when it fits, else UTF-8, else a best guess
    (servers often declare none, or the wrong one)."""
    content = response.content
    tried: list[str] = []
    for charset in (response.charset, "utf-8"):
        if charset and charset.lower() not in tried:
            tried.append(charset.lower())
            try:
                return content.decode(charset).removeprefix("\ufeff")
            except (UnicodeDecodeError, LookupError):
                continue
    best = charset_normalizer.from_bytes(content).best()
    if best is None:
        raise FetchFailed(f"cannot tell the character encoding of {response.url} (tried "
                          f"{', '.join(tried)})", http_status=response.status_code)
    return str(best)


def looks_like_html(response: http.OutboundResponse) -> bool:
    kind = response.headers.get("content-type", "").lower()
    start = response.content[:512].lstrip().lower()
    return "html" in kind or start.startswith((b"<!doctype html", b"<html"))


def html_to_text(fragment: str) -> str:
    """Plain text from a feed summary or an API body (tags dropped, paragraphs kept)."""
    import html as html_lib

    text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h\d)\s*/?>", "\n", fragment)
    text = html_lib.unescape(_TAG.sub(" ", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp (or date) as an aware UTC datetime; None when unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
