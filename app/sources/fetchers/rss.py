"""`rss`: RSS 2.0 and Atom feeds, read by feedparser from the bytes the gate fetched.

Each entry gives a report from its title and summary; with `params.full_text` the entry's
article page is fetched through the `html` fetcher (falling back to the summary if it fails).
"""

from __future__ import annotations

import calendar
import logging
import xml.sax
from datetime import UTC, datetime
from typing import Any

import feedparser

from app.errors import FetchFailed
from app.reports.service import NewReport
from app.settings import Settings
from app.sources.fetchers.common import get, html_to_text, looks_like_html

log = logging.getLogger(__name__)

# feedparser's "bozo" reasons that still leave a faithful parse
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def parse_feed(content: bytes, content_type: str, url: str) -> Any:
    """The parsed feed; FetchFailed for anything that is not a well-formed feed."""
    parsed = feedparser.parse(content, response_headers={"content-type": content_type,
                                                         "content-location": url})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.get("version"):
        start = content[:200].lstrip().lower()
        if "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html")):
            raise FetchFailed(f"{url} sent an HTML page, not an RSS or Atom feed; use the feed's "
                              "own URL (often linked as <link rel=alternate>)")
        raise FetchFailed(f"{url} is not an RSS or Atom feed"
                          + (f": {problem}" if problem else ""))
    if problem is not None and not isinstance(problem, _HARMLESS):
        # feedparser's loose parser would guess its way through; a guess is not stored
        reason = problem.getMessage() if isinstance(problem, xml.sax.SAXParseException) else (
            str(problem))
        line = getattr(problem, "getLineNumber", lambda: None)()
        raise FetchFailed(f"the feed at {url} is malformed"
                          + (f" (line {line})" if line else "") + f": {reason}")
    return parsed


def entry_report(entry: Any, lang: str | None) -> NewReport | str:
    """The report an entry gives, or why it gives none."""
    title = html_to_text(entry.get("title", "")) or None
    summary = ""
    for content in entry.get("content", []) or []:
        if content.get("value"):
            summary = html_to_text(content["value"])
            break
    summary = summary or html_to_text(entry.get("summary", ""))
    link = entry.get("link") or None
    if not summary and not title:
        return f"entry {link or entry.get('id', '?')}: no title nor text"
    text = f"{title}\n\n{summary}" if title and summary else (summary or title or "")
    return NewReport(text=text, title=title, url=link, published_at=_when(entry),
                     lang=lang or entry.get("language"))


def fetch(url: str, settings: Settings, *, lang: str | None, etag: str | None,
          last_modified: str | None, full_text: bool, max_items: int,
          ) -> tuple[int, bool, list[NewReport], list[str], str | None, str | None]:
    """(HTTP status, not modified, reports, rejected, etag, last_modified) of one feed."""
    from app.sources.fetchers.html import fetch_article

    response = get(url, settings, what=f"feed {url}", etag=etag, last_modified=last_modified,
                   accept="application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                          "*/*;q=0.5")
    if response.status_code == 304:
        return 304, True, [], [], etag, last_modified
    if not response.content.strip():
        raise FetchFailed(f"{url} sent an empty body where a feed was expected",
                          http_status=response.status_code)
    kind = response.headers.get("content-type", "")
    if looks_like_html(response) and b"<rss" not in response.content[:2000] and (
            b"<feed" not in response.content[:2000]):
        raise FetchFailed(f"{url} sent an HTML page ({kind or 'no content type'}), not an RSS "
                          "or Atom feed; use the feed's own URL", http_status=response.status_code)
    try:
        parsed = parse_feed(response.content, kind, url)
    except FetchFailed as exc:
        raise FetchFailed(exc.detail, http_status=response.status_code) from exc
    feed_lang = lang or parsed.feed.get("language")
    reports: list[NewReport] = []
    rejected: list[str] = []
    for entry in parsed.entries[:max_items]:
        item = entry_report(entry, feed_lang)
        if isinstance(item, str):
            rejected.append(item)
            continue
        if full_text and item.url:
            try:
                _, article = fetch_article(item.url, settings, feed_lang)
            except FetchFailed as exc:
                log.info("full text of %s not fetched, summary kept: %s", item.url, exc.detail)
            else:
                if article is not None:
                    item = NewReport(text=article.text, title=item.title or article.title,
                                     url=item.url, published_at=item.published_at
                                     or article.published_at, lang=item.lang or article.lang)
        reports.append(item)
    return (response.status_code, False, reports, rejected, response.headers.get("etag"),
            response.headers.get("last-modified"))
