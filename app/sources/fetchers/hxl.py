"""`hxl`: a CSV with an HXL hashtag row (HDX datasets); every row a figure, placed by P-code.

Columns are found by hashtag, not by header text: `#adm2+code`, `#adm1+code` (P-codes),
`#adm2+name`, `#adm1+name`, `#country+code` (without `+origin`), `#country+origin+code`,
`#date+reported` (or `#date`), and the count: `#affected+displaced+ind`, `#affected+idps`,
`#affected+refugees` (people), or the same with `+hh` (households).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import FetchFailed
from app.http import OutboundResponse
from app.redaction import redact_url
from app.settings import Settings
from app.sources.fetchers.common import decode, get, looks_like_html
from app.sources.structured import StructuredFigure, StructuredReport

HEADER_SEARCH_ROWS = 25
_COUNT_TAGS = (frozenset({"displaced"}), frozenset({"idps"}), frozenset({"refugees"}))
_NUMBER = re.compile(r"^\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+$|^\d+$")


@dataclass(frozen=True, slots=True)
class Tag:
    column: int
    name: str
    attributes: frozenset[str]

    @classmethod
    def parse(cls, column: int, cell: str) -> Tag | None:
        cell = cell.strip().lower().replace(" ", "")
        if not cell.startswith("#") or len(cell) < 2:
            return None
        name, *attrs = cell[1:].split("+")
        return cls(column, name, frozenset(a for a in attrs if a))


def _find(tags: list[Tag], name: str, need: set[str], avoid: frozenset[str] = frozenset()
          ) -> Tag | None:
    for tag in tags:
        if tag.name == name and need <= tag.attributes and not (tag.attributes & avoid):
            return tag
    return None


def _hashtag_row(rows: list[list[str]]) -> int | None:
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [c.strip() for c in row if c.strip()]
        if cells and sum(c.startswith("#") for c in cells) * 2 > len(cells):
            return number
    return None


def _number(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if _NUMBER.match(value):
        return int(re.sub(r"\D", "", value))
    try:
        as_float = float(value)
    except ValueError:
        return -1
    return int(as_float) if as_float.is_integer() and as_float >= 0 else -1


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def read_hxl(text: str, url: str, default_country: str | None = None
             ) -> tuple[list[StructuredReport], list[str]]:
    """The rows of an HXL CSV as structured reports, and the rows refused (with why)."""
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise FetchFailed(f"{url} is not a readable CSV: {exc}") from exc
    header = _hashtag_row(rows)
    if header is None:
        raise FetchFailed(f"{url} has no HXL hashtag row in its first {HEADER_SEARCH_ROWS} rows: "
                          "is it an HXL-tagged CSV?")
    tags = [t for i, cell in enumerate(rows[header]) if (t := Tag.parse(i, cell))]
    counts: list[tuple[Tag, str]] = []
    for wanted in _COUNT_TAGS:
        for tag in tags:
            if tag.name == "affected" and wanted <= tag.attributes:
                counts.append((tag, "households" if "hh" in tag.attributes else "people"))
    if not counts:
        found = ", ".join(rows[header][t.column].strip() for t in tags) or "none"
        raise FetchFailed(f"{url} has no count column (#affected+displaced+ind, #affected+idps "
                          f"or #affected+refugees); hashtags found: {found}")
    # individuals before households: a row with both counts people once
    counts.sort(key=lambda c: c[1] != "people")
    pcode_tags = [t for t in (_find(tags, "adm2", {"code"}), _find(tags, "adm1", {"code"})) if t]
    name_tags = [t for t in (_find(tags, "adm2", {"name"}), _find(tags, "adm1", {"name"})) if t]
    country_tag = _find(tags, "country", {"code"}, frozenset({"origin"}))
    origin_tag = _find(tags, "country", {"origin"})
    date_tag = _find(tags, "date", {"reported"}) or _find(tags, "date", set())
    width = len(rows[header])
    reports: list[StructuredReport] = []
    rejected: list[str] = []

    def cell(row: list[str], tag: Tag | None) -> str:
        return row[tag.column].strip() if tag is not None and tag.column < len(row) else ""

    for number, row in enumerate(rows[header + 1:], start=header + 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > width:
            rejected.append(f"row {number}: {len(row)} cells for {width} columns")
            continue
        chosen: tuple[int, str, Tag] | None = None
        for tag, unit in counts:
            value = _number(cell(row, tag))
            if value == -1:
                chosen = None
                rejected.append(f"row {number}: {rows[header][tag.column].strip()} value "
                                f"{cell(row, tag)!r} is not a whole number")
                break
            if value is not None and chosen is None:
                chosen = (value, unit, tag)
        else:
            if chosen is None:
                rejected.append(f"row {number}: no count")
                continue
        if chosen is None:
            continue
        value, unit, tag = chosen
        pcodes = tuple(v for t in pcode_tags if (v := cell(row, t)))
        names = tuple(v for t in name_tags if (v := cell(row, t)))
        country = cell(row, country_tag) or default_country
        origin = cell(row, origin_tag) or None
        as_of = _day(cell(row, date_tag))
        where = ", ".join(f"{n} ({p})" if p else n for n, p in
                          zip(names or pcodes, pcodes or names, strict=False)) or "?"
        quote = (f"{where}{', ' + country if country else ''}: {value:,} {unit} "
                 f"({rows[header][tag.column].strip()})"
                 + (f" from {origin}" if origin else "")
                 + (f", reported {as_of.isoformat()}" if as_of else "")
                 + f" [row {number} of {url}]")
        reports.append(StructuredReport(
            quote=quote, url=url, title=f"HXL row {number}", method="hxl",
            figures=[StructuredFigure(count=value, unit=unit, pcodes=pcodes, names=names,
                                      country=country, origin_country=origin, as_of=as_of)],
        ))
    return reports, rejected


def fetch(url: str | None, params: dict[str, Any], settings: Settings, *, etag: str | None,
          last_modified: str | None
          ) -> tuple[OutboundResponse, list[StructuredReport], list[str]]:
    if not url:
        raise FetchFailed("an hxl source needs the CSV's URL")
    response = get(url, settings, what=f"HXL dataset {url}", etag=etag,
                   last_modified=last_modified, accept="text/csv, */*;q=0.5")
    if response.status_code == 304:
        return response, [], []
    if looks_like_html(response):
        raise FetchFailed(f"{url} sent an HTML page, not a CSV; use the resource's download "
                          "URL", http_status=response.status_code)
    try:
        # rows quote the dataset's URL: never with its credentials or tokens
        reports, rejected = read_hxl(decode(response), redact_url(url), params.get("country"))
    except FetchFailed as exc:
        raise FetchFailed(exc.detail, http_status=response.status_code) from exc
    return response, reports, rejected
