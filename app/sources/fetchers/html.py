"""`html`: one article page; its main text (trafilatura), publication date and canonical URL."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import htmldate
import lxml.html
import trafilatura
from lxml.etree import ParserError

from app.errors import FetchFailed
from app.http import OutboundResponse
from app.reports.service import NewReport
from app.settings import Settings
from app.sources.fetchers.common import decode, get, looks_like_html, parse_datetime

log = logging.getLogger(__name__)
_DATE_KEYS = ("datePublished", "dateCreated", "uploadDate")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _json_ld_date(tree: Any) -> datetime | None:
    """datePublished from the page's JSON-LD (what news sites state most reliably)."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except json.JSONDecodeError:
            continue
        items = data if isinstance(data, list) else [data]
        graph = [g for d in items if isinstance(d, dict) for g in d.get("@graph", [])]
        for item in items + graph:
            if isinstance(item, dict):
                for key in _DATE_KEYS:
                    value = item.get(key)
                    when = parse_datetime(value) if isinstance(value, str) else None
                    if when:
                        return when
    return None


def _meta_date(tree: Any) -> datetime | None:
    for xpath in ('//meta[@property="article:published_time"]/@content',
                  '//meta[@itemprop="datePublished"]/@content',
                  '//meta[@name="date"]/@content'):
        for value in tree.xpath(xpath):
            when = parse_datetime(str(value))
            if when:
                return when
    return None


def read_article(response: OutboundResponse, lang: str | None) -> NewReport:
    """The article in an HTML page; FetchFailed when the page has none."""
    if not response.content.strip():
        raise FetchFailed(f"{response.url} sent an empty page", http_status=response.status_code)
    # lxml refuses a str that still declares its encoding (XHTML pages often do)
    text_html = _XML_DECLARATION.sub("", decode(response), count=1)
    try:
        tree = lxml.html.fromstring(text_html)
    except (ParserError, ValueError) as exc:
        raise FetchFailed(f"{response.url} is not a readable HTML page: {exc}",
                          http_status=response.status_code) from exc
    document = trafilatura.bare_extraction(text_html, url=response.url, with_metadata=True,
                                           include_comments=False, include_tables=False)
    body = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not body:
        raise FetchFailed(f"no article text found in {response.url} (is it an article page?)",
                          http_status=response.status_code)
    canonical = tree.xpath('//link[@rel="canonical"]/@href') or tree.xpath(
        '//meta[@property="og:url"]/@content')
    published = _json_ld_date(tree) or _meta_date(tree)
    if published is None:
        found = htmldate.find_date(tree, extensive_search=False, original_date=True)
        if found:
            published = datetime.fromisoformat(found).replace(tzinfo=UTC)
    title = getattr(document, "title", None)
    return NewReport(text=body, title=title, url=str(canonical[0]) if canonical else response.url,
                     published_at=published, lang=lang or getattr(document, "language", None))


def fetch_article(url: str, settings: Settings, lang: str | None = None, *,
                  etag: str | None = None, last_modified: str | None = None
                  ) -> tuple[OutboundResponse, NewReport | None]:
    """GETs an article page; the report is None when the server said 304."""
    response = get(url, settings, what=f"article {url}", etag=etag, last_modified=last_modified,
                   accept="text/html,application/xhtml+xml")
    if response.status_code == 304:
        return response, None
    if not looks_like_html(response):
        kind = response.headers.get("content-type", "no content type")
        raise FetchFailed(f"{url} is not an HTML page ({kind})",
                          http_status=response.status_code)
    return response, read_article(response, lang)
