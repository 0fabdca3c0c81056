"""Conditional GETs: an ETag and a Last-Modified made from what a read depends on (the
summaries' versions, see app.summary.service.state), and the 304 when the client has it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

# private: answers to API keys and signed-in users; no-cache: a cache asks again every time,
# which costs a 304 when nothing changed
CACHE_CONTROL = "private, no-cache"


def etag(*parts: object) -> str:
    """A weak tag (a gzipped answer is the same resource) from the parts the answer depends on."""
    return 'W/"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def _fresh(request: Request, tag: str, modified: datetime | None) -> bool:
    """Whether the client's copy is current: If-None-Match decides when sent (RFC 9110,
    13.2.2), else If-Modified-Since against `modified`, to the second."""
    asked = request.headers.get("if-none-match")
    if asked is not None:
        tags = [t.strip() for t in asked.split(",")]
        return "*" in tags or _opaque(tag) in {_opaque(t) for t in tags}
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        client = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if client.tzinfo is None:
        client = client.replace(tzinfo=UTC)
    return _utc(modified).replace(microsecond=0) <= client


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def headers(tag: str, modified: datetime | None) -> dict[str, str]:
    out = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if modified is not None:
        out["Last-Modified"] = format_datetime(_utc(modified), usegmt=True)
    return out


def not_modified(request: Request, tag: str, modified: datetime | None) -> Response | None:
    """The 304 to send when the client's copy is current, else None (then `stamp` the answer)."""
    if not _fresh(request, tag, modified):
        return None
    return Response(status_code=304, headers=headers(tag, modified))


def stamp(response: Response, tag: str, modified: datetime | None) -> None:
    """Puts the validators on an answer (a Cache-Control already set, e.g. no-store, stays)."""
    for name, value in headers(tag, modified).items():
        if name == "Cache-Control" and name in response.headers:
            continue
        response.headers[name] = value
