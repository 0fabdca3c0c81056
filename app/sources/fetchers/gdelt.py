"""`gdelt`: news discovery through the GDELT DOC 2.0 API (article-list mode), each article found
then read from its own page.

A run asks for the articles GDELT saw in a window of time: from the last run's window end (less
an overlap, for articles GDELT indexes late) to now, oldest first. When GDELT returns as many as
asked for, the window may hold more: the next window starts at the last article read rather
than now, so no minute between two runs goes unread. Articles of the last run are not fetched
again; the ones that come back anyway (another window, another URL for the same story) are
dropped when stored (same canonical URL, near-duplicate text).

GDELT answers its errors (a bad query, a too short phrase) with a 200 and a line of text or an
HTML page instead of JSON, asks for no more than one request every five seconds (429 otherwise),
and answers an empty window with `{}`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.errors import FetchFailed, SourceMisconfigured
from app.reports.service import NewReport
from app.reports.urls import canonical_url
from app.settings import Settings
from app.sources.fetchers.common import decode, get, html_to_text

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
STAMP = "%Y%m%d%H%M%S"
SEEN_KEPT = 1000  # article URLs remembered from the last run: a window's overlap is far fewer
MAX_WINDOW = timedelta(days=90)  # GDELT's DOC API searches the last three months only
# GDELT names an article's language in English; the service speaks ISO 639-1
LANGUAGES = {"english": "en", "arabic": "ar", "french": "fr", "spanish": "es",
             "russian": "ru", "turkish": "tr", "german": "de", "italian": "it",
             "portuguese": "pt", "ukrainian": "uk", "persian": "fa", "urdu": "ur",
             "hebrew": "he", "kurdish": "ku", "swahili": "sw", "hausa": "ha", "amharic": "am",
             "somali": "so", "chinese": "zh", "hindi": "hi", "bengali": "bn", "burmese": "my"}


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M:%S} to {self.end:%Y-%m-%d %H:%M:%S} UTC"


@dataclass(slots=True)
class Discovery:
    """What one run found: the reports read, the articles that could not be, the state for the
    next run, and notes for the attempt (an empty window, a full answer)."""

    status: int
    reports: list[NewReport] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


def _term(term: str) -> str:
    term = term.strip()
    return f'"{term}"' if any(c.isspace() for c in term) and not term.startswith('"') else term


def _any_of(items: list[str]) -> str:
    # GDELT refuses parentheses around a single term
    return items[0] if len(items) == 1 else f"({' OR '.join(items)})"


def build_query(params: dict[str, Any]) -> str:
    """The DOC API query of a source's params: any of the terms (in whatever languages), the
    extra query as given, any of the source countries and of the source languages."""
    parts: list[str] = []
    terms = [_term(t) for t in params.get("terms") or [] if t.strip()]
    if terms:
        parts.append(_any_of(terms))
    if params.get("query"):
        parts.append(str(params["query"]).strip())
    countries = [f"sourcecountry:{c.replace(' ', '')}"
                 for c in params.get("source_countries") or []]
    if countries:
        parts.append(_any_of(countries))
    langs = [f"sourcelang:{lang}" for lang in params.get("source_langs") or []]
    if langs:
        parts.append(_any_of(langs))
    if not terms and not params.get("query"):
        raise SourceMisconfigured("a gdelt source needs params.terms or params.query")
    return " ".join(parts)


def window(state: dict[str, Any], params: dict[str, Any], now: datetime) -> Window:
    """From the last run's window end, less the overlap; the first run looks back
    `first_window_hours`. Never further back than GDELT searches."""
    now = now.replace(microsecond=0)
    last = _parse_stamp(state.get("window_end"))
    if last is None:
        start = now - timedelta(hours=int(params.get("first_window_hours", 24)))
    else:
        start = last - timedelta(minutes=int(params.get("overlap_minutes", 15)))
    return Window(max(start, now - MAX_WINDOW), now)


def _parse_stamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    for form in (STAMP, "%Y%m%dT%H%M%SZ"):
        try:
            return datetime.strptime(value, form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _message(text: str) -> str:
    return " ".join(html_to_text(text).split())[:300] or "an empty answer"


def read_articles(body: str, status: int, content_type: str) -> list[dict[str, Any]]:
    """The `articles` of an ArtList answer; FetchFailed with GDELT's own words when the answer is
    a message rather than JSON."""
    stripped = body.lstrip()
    if not stripped.startswith(("{", "[")):
        what = "an HTML page" if stripped[:15].lower().startswith(("<!doctype", "<html")) \
            else "text"
        raise FetchFailed(f"GDELT answered with {what} instead of JSON ({content_type}): "
                          f"{_message(body)}", http_status=status)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise FetchFailed(f"GDELT did not send valid JSON ({content_type}): {exc.msg} at line "
                          f"{exc.lineno} column {exc.colno}", http_status=status) from exc
    if not isinstance(data, dict):
        raise FetchFailed("GDELT's answer is not an object with 'articles'", http_status=status)
    articles = data.get("articles", [])  # an empty window is `{}`
    if not isinstance(articles, list):
        raise FetchFailed("GDELT's 'articles' is not a list", http_status=status)
    return [a for a in articles if isinstance(a, dict)]


_turn = threading.Lock()
_last_request = [float("-inf")]  # time.monotonic() of this process's last GDELT request


def _wait_turn(settings: Settings) -> None:
    """Spaces this process's GDELT requests by DISPMON_GDELT_MIN_INTERVAL_SECONDS (GDELT
    answers 429 to more than one every five seconds): one waits while holding the turn."""
    with _turn:
        wait = _last_request[0] + settings.gdelt_min_interval_seconds - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_request[0] = time.monotonic()


def discover(url: str | None, params: dict[str, Any], state: dict[str, Any], settings: Settings,
             lang: str | None, now: datetime | None = None) -> Discovery:
    """One run: the query over the window, then each new article's page."""
    from app.sources.fetchers.html import fetch_article

    span = window(state, params, now or datetime.now(UTC))
    limit = int(params.get("maxrecords", 75))
    query = {"query": build_query(params), "mode": "ArtList", "format": "json",
             "sort": "DateAsc", "maxrecords": limit,
             "startdatetime": f"{span.start:{STAMP}}", "enddatetime": f"{span.end:{STAMP}}"}
    _wait_turn(settings)
    response = get(url or DEFAULT_URL, settings, what="GDELT", params=query,
                   accept="application/json")
    kind = response.headers.get("content-type", "no content type")
    articles = read_articles(decode(response), response.status_code, kind)
    found = Discovery(status=response.status_code)
    end = span.end
    if not articles:
        found.notes.append(f"GDELT found no articles from {span}")
    elif len(articles) >= limit:
        # a full answer: what GDELT saw after the last article is read by the next run
        last = _parse_stamp(articles[-1].get("seendate"))
        if last is not None and span.start < last < span.end:
            end = last
            found.notes.append(f"GDELT returned {limit} articles, as many as asked for: read up "
                               f"to {last:%Y-%m-%d %H:%M:%S} UTC, the next run goes on from there")
        else:
            found.notes.append(f"GDELT returned {limit} articles, as many as asked for, all seen "
                               "at one moment: some may be missed (raise params.maxrecords)")
    # articles are read within half the lease, so that the source is never run twice at once;
    # the ones left are the next run's, from the first one's time on
    deadline = time.monotonic() + settings.source_lease_seconds / 2
    before = {u for u in state.get("seen") or [] if isinstance(u, str)}
    seen: list[str] = []  # read: not fetched again (one that failed is, if it comes back)
    handled: set[str] = set()
    for number, article in enumerate(articles, start=1):
        if time.monotonic() > deadline:
            rest = _parse_stamp(article.get("seendate")) or span.start
            end = min(max(rest, span.start), end)
            found.notes.append(
                f"{len(articles) - number + 1} articles left for the next run, from "
                f"{end:%Y-%m-%d %H:%M:%S} UTC: reading pages took over half the source's lease")
            break
        link = article.get("url")
        if not isinstance(link, str) or not link.startswith(("http://", "https://")):
            found.rejected.append(f"article {number}: no usable URL")
            continue
        key = canonical_url(link) or link
        if key in before or key in handled:
            continue
        handled.add(key)
        article_lang = lang or LANGUAGES.get(str(article.get("language", "")).lower())
        try:
            _, report = fetch_article(link, settings, article_lang)
        except FetchFailed as exc:
            found.rejected.append(f"article {link}: {exc.detail}")
            continue
        seen.append(key)
        if report is None:
            continue
        seen_at = _parse_stamp(article.get("seendate"))
        found.reports.append(replace(
            report, title=report.title or article.get("title"),
            published_at=report.published_at or seen_at))
    found.state = {"window_end": f"{end:{STAMP}}",
                   "seen": (seen + [u for u in before if u not in seen])[:SEEN_KEPT]}
    return found
