"""`unhcr`: UNHCR's refugee statistics API, population by country of asylum and of origin.

`GET https://api.unhcr.org/population/v1/population/` (no key) with yearFrom, yearTo, coo,
coa (and `cf_type=ISO` so codes are ISO 3166-1 alpha-3), paged by `page` up to `maxPages`. Each
item is a year, an origin and an asylum country with counts per population group (numbers, or
strings such as "0" and "-"). The figures land per country of asylum and year (as of 31
December, or 30 June for mid-year statistics): the groups chosen (refugees and asylum-seekers
by default) added up. A source's figures at one place are one series reading per day, so the
origins of one asylum country and year are added up too; a single origin is kept on the figure,
and every origin is named in the quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.errors import FetchFailed
from app.redaction import redact_url
from app.settings import Settings
from app.sources.fetchers.common import get, parse_json
from app.sources.structured import StructuredFigure, StructuredReport

BASE_URL = "https://api.unhcr.org/population/v1/population/"
GROUPS = ("refugees", "asylum_seekers", "returned_refugees", "idps", "returned_idps",
          "stateless", "ooc", "oip", "hst")
DEFAULT_GROUPS = ("refugees", "asylum_seekers")


def _count(value: Any) -> int | None:
    """A group's count: ints, or strings of digits; '-' and '' are none (None: unreadable)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        value = value.strip()
        if value in ("", "-"):
            return 0
        if value.isdigit():
            return int(value)
    if value is None:
        return 0
    return None


@dataclass(slots=True)
class _Asylum:
    year: int
    country: str
    name: str
    people: int = 0
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)  # ISO3 -> name, people


def read_items(items: list[Any], url: str, groups: tuple[str, ...], mid_year: bool
               ) -> tuple[list[StructuredReport], list[str]]:
    totals: dict[tuple[int, str], _Asylum] = {}
    rejected: list[str] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rejected.append(f"UNHCR item {number} is not an object: {str(item)[:80]}")
            continue
        year = item.get("year")
        asylum = item.get("coa_iso") or item.get("coa")
        if not isinstance(year, int) or not isinstance(asylum, str) or not asylum.strip():
            rejected.append(f"UNHCR item {number} has no year or country of asylum: "
                            f"{str(item)[:120]}")
            continue
        counts = {g: _count(item.get(g)) for g in groups}
        bad = [g for g, c in counts.items() if c is None]
        if bad:
            rejected.append(f"UNHCR item {number} ({year}, {asylum}): "
                            + ", ".join(f"{g} {item.get(g)!r}" for g in bad)
                            + " not a count")
            continue
        people = sum(c or 0 for c in counts.values())
        entry = totals.setdefault((year, asylum), _Asylum(year, asylum,
                                                          str(item.get("coa_name") or asylum)))
        entry.people += people
        origin = str(item.get("coo_iso") or item.get("coo") or "?")
        name, before = entry.origins.get(origin, (str(item.get("coo_name") or origin), 0))
        entry.origins[origin] = (name, before + people)
    reports = []
    what = " and ".join(g.replace("_", "-") for g in groups)
    for entry in totals.values():
        as_of = date(entry.year, 6, 30) if mid_year else date(entry.year, 12, 31)
        origins = ", ".join(f"{name} ({code}) {people:,}"
                            for code, (name, people) in sorted(entry.origins.items()))
        quote = (f"{entry.people:,} {what} in {entry.name} ({entry.country}) at "
                 f"{'mid-year' if mid_year else 'end of year'} {entry.year}, from {origins} "
                 "(UNHCR refugee statistics)")
        only = next(iter(entry.origins)) if len(entry.origins) == 1 else None
        reports.append(StructuredReport(
            quote=quote, url=url, title=f"UNHCR: {what} in {entry.name}, {entry.year}",
            method="unhcr:population",
            figures=[StructuredFigure(count=entry.people, country=entry.country,
                                      origin_country=only if only != "?" else None,
                                      as_of=as_of)],
        ))
    return reports, rejected


def fetch(url: str | None, params: dict[str, Any], settings: Settings
          ) -> tuple[int, list[StructuredReport], list[str]]:
    target = url or BASE_URL
    query: dict[str, Any] = {k: params.get(k) for k in ("yearFrom", "yearTo", "coo", "coa")}
    query.update(cf_type="ISO", limit=int(params.get("limit", 1000)))
    items: list[Any] = []
    status = 0
    for page in range(1, int(params.get("max_pages", 10)) + 1):
        response = get(target, settings, what="the UNHCR refugee statistics API",
                       params={**query, "page": page}, accept="application/json")
        status = response.status_code
        data = parse_json(response, "the UNHCR refugee statistics API")
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise FetchFailed("the UNHCR refugee statistics API's answer has no 'items' list",
                              http_status=status)
        items += data["items"]
        pages = data.get("maxPages")
        if not isinstance(pages, int) or page >= pages:
            break
    if not items:
        shown = {k: v for k, v in query.items() if v is not None and k != "limit"}
        raise FetchFailed(f"the UNHCR refugee statistics API found no items for {shown}; "
                          "check the years and country codes (ISO 3166-1 alpha-3)",
                          http_status=status)
    groups = tuple(params.get("population_groups") or DEFAULT_GROUPS)
    reports, rejected = read_items(items, redact_url(target), groups,
                                   bool(params.get("mid_year")))
    return status, reports, rejected
