"""`reliefweb`: the ReliefWeb API v2 reports endpoint (appname, query, filters, paging).

The appname goes in the URL of every call (ReliefWeb refuses unapproved ones with a 403 since
November 2025, which is a configuration error: retried daily, not every minute).
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from app import http
from app.errors import FetchFailed, SourceMisconfigured
from app.reports.service import NewReport
from app.settings import Settings
from app.sources.fetchers.common import html_to_text, parse_datetime, parse_json, raise_for_status

DEFAULT_URL = "https://api.reliefweb.int/v2/reports"
FIELDS = ["title", "body", "date.created", "date.original", "source.name", "source.shortname",
          "country.iso3", "country.name", "primary_country.iso3", "language.code", "url",
          "url_alias"]
_MARKDOWN = re.compile(r"(\*\*|__|^#+\s*)", re.MULTILINE)


def query_body(params: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """The POST body for one page, from the source's params."""
    body: dict[str, Any] = {"fields": {"include": FIELDS}, "sort": ["date.created:desc"],
                            "limit": limit, "offset": offset}
    if params.get("query"):
        body["query"] = {"value": params["query"], "operator": params.get("operator", "OR")}
    filters = params.get("filters") or {}
    conditions: list[dict[str, Any]] = []
    if filters.get("countries"):
        conditions.append({"field": "country.iso3",
                           "value": [c.upper() for c in filters["countries"]],
                           "operator": "OR"})
    if filters.get("date_from") or filters.get("date_to"):
        span = {k: v for k, v in (("from", filters.get("date_from")),
                                  ("to", filters.get("date_to"))) if v}
        conditions.append({"field": "date.created", "value": span})
    if conditions:
        body["filter"] = {"operator": "AND", "conditions": conditions}
    return body


def _error_message(response: http.OutboundResponse) -> str:
    try:
        data = parse_json(response, "ReliefWeb")
        return str(data.get("error", {}).get("message") or data)[:300]
    except (FetchFailed, AttributeError):
        return response.content[:200].decode("utf-8", "replace")


def item_report(item: dict[str, Any], lang: str | None) -> NewReport | str:
    fields = item.get("fields") or {}
    title = fields.get("title")
    body = html_to_text(_MARKDOWN.sub("", fields.get("body") or ""))
    if not body and not title:
        return f"ReliefWeb report {item.get('id', '?')}: no title nor body"
    dates = fields.get("date") or {}
    languages = fields.get("language") or []
    code = languages[0].get("code") if languages and isinstance(languages[0], dict) else None
    return NewReport(
        text=f"{title}\n\n{body}" if title and body else str(body or title),
        title=title, url=fields.get("url_alias") or fields.get("url"),
        published_at=parse_datetime(dates.get("original")) or parse_datetime(dates.get("created")),
        lang=lang or code,
    )


def fetch(url: str | None, params: dict[str, Any], settings: Settings, lang: str | None
          ) -> tuple[int, list[NewReport], list[str]]:
    """(last HTTP status, reports, rejected) of up to `max_pages` pages."""
    appname = params.get("appname")
    if not appname:
        raise SourceMisconfigured("a reliefweb source needs params.appname (an approved appname "
                                  "from ReliefWeb)")
    endpoint = str(httpx.URL(url or DEFAULT_URL).copy_merge_params({"appname": appname}))
    limit = int(params.get("limit", 50))
    reports: list[NewReport] = []
    rejected: list[str] = []
    status = 0
    offset = 0
    for _page in range(int(params.get("max_pages", 4))):
        with http.host_lock(endpoint):
            response = http.send("POST", endpoint, settings=settings,
                                 content=json.dumps(query_body(params, offset, limit)).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})
        status = response.status_code
        if status == 403:
            raise SourceMisconfigured(
                f"ReliefWeb refused appname {appname!r} (HTTP 403): {_error_message(response)}",
                http_status=403)
        if status == 410:
            raise SourceMisconfigured(f"ReliefWeb says this endpoint is gone (HTTP 410): "
                                      f"{_error_message(response)}; use the v2 API",
                                      http_status=410)
        raise_for_status(response, "ReliefWeb")
        data = parse_json(response, "ReliefWeb")
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise FetchFailed("ReliefWeb's answer has no 'data' list: not a v2 reports answer",
                              http_status=status)
        for item in data["data"]:
            found = item_report(item, lang) if isinstance(item, dict) else "not an object"
            if isinstance(found, str):
                rejected.append(found)
            else:
                reports.append(found)
        count = len(data["data"])
        offset += count
        total = data.get("totalCount")
        if count < limit or (isinstance(total, int) and offset >= total):
            break
    return status, reports, rejected
