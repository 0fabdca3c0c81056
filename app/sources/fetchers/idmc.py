"""`idmc`: IDMC's Internal Displacement Updates (IDU), displacement events as they are reported.

`GET https://helix-tools-api.idmcdb.org/external-api/idus/last-180-days/?client_id=...` answers
a JSON list of events: `id`, `iso3`, `country`, `figure`, `qualifier` ("total", "more than",
"approximately", ...), `displacement_type`, `displacement_date`, `displacement_start_date`,
`displacement_end_date`, `locations_name` ("Jableh, Latakia, Syria"; several places separated
by ";"), `sources`, `source_url`, `event_name` and `standard_popup_text`. Each event becomes one
figure of new displacement at the most specific place of its first location the gazetteer
knows, within the event's country; the event's country when it names no place.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.errors import FetchFailed, SourceMisconfigured
from app.redaction import redact_url
from app.settings import Settings
from app.sources.fetchers.common import get, parse_datetime, parse_json
from app.sources.structured import StructuredFigure, StructuredReport

BASE_URL = "https://helix-tools-api.idmcdb.org/external-api/idus/last-180-days/"
# IDMC's qualifiers, as the figure qualifiers the series read
QUALIFIERS = {"total": "exact", "more than": "more_than", "at least": "at_least",
              "approximately": "about", "about": "about", "up to": "up_to",
              "less than": "less_than"}


def _day(value: Any) -> date | None:
    when = parse_datetime(value) if isinstance(value, str) else None
    return when.date() if when else None


def _names(locations: Any) -> tuple[str, ...]:
    """The first location's parts, most specific first, without the country (last part)."""
    if not isinstance(locations, str) or not locations.strip():
        return ()
    parts = [p.strip() for p in locations.split(";")[0].split(",") if p.strip()]
    return tuple(parts[:-1] if len(parts) > 1 else parts)


def read_events(events: list[Any], url: str) -> tuple[list[StructuredReport], list[str]]:
    reports: list[StructuredReport] = []
    rejected: list[str] = []
    for number, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            rejected.append(f"IDMC event {number} is not an object: {str(event)[:80]}")
            continue
        ident = event.get("id")
        figure = event.get("figure")
        if not isinstance(figure, int) or isinstance(figure, bool) or figure < 0:
            rejected.append(f"IDMC event {ident}: figure {figure!r} is not a count")
            continue
        said = str(event.get("qualifier") or "total").strip().lower()
        qualifier = QUALIFIERS.get(said)
        if qualifier is None:
            rejected.append(f"IDMC event {ident}: unknown qualifier {said!r}")
            continue
        country = event.get("iso3")
        if not isinstance(country, str) or not country.strip():
            rejected.append(f"IDMC event {ident} has no country (iso3)")
            continue
        when = (_day(event.get("displacement_date")) or _day(event.get("displacement_end_date"))
                or _day(event.get("displacement_start_date")))
        if when is None:
            rejected.append(f"IDMC event {ident} has no readable displacement date")
            continue
        start, end = (_day(event.get("displacement_start_date")),
                      _day(event.get("displacement_end_date")))
        names = _names(event.get("locations_name"))
        place = event.get("locations_name") or event.get("country") or country
        period = (f"between {start.isoformat()} and {end.isoformat()}" if start and end
                  and start != end else f"on {when.isoformat()}")
        quote = (f"{said} {figure:,} displacements ({event.get('displacement_type') or '?'}) "
                 f"in {place} {period}: {event.get('event_name') or 'event'}; sources: "
                 f"{event.get('sources') or '?'} (IDMC IDU event {ident})")
        reports.append(StructuredReport(
            quote=quote, url=event.get("source_url") or url,
            title=f"IDMC: {event.get('event_name') or place}", method="idmc:idu",
            figures=[StructuredFigure(count=figure, kind="new", qualifier=qualifier,
                                      names=names, country=country, as_of=when)],
        ))
    return reports, rejected


def fetch(url: str | None, params: dict[str, Any], settings: Settings
          ) -> tuple[int, list[StructuredReport], list[str]]:
    client_id = params.get("client_id")
    if not client_id:
        raise SourceMisconfigured("an idmc source needs params.client_id (IDMC gives one on "
                                  "request)")
    target = url or BASE_URL
    response = get(target, settings, what="the IDMC IDU API",
                   params={"client_id": client_id}, accept="application/json")
    status = response.status_code
    data = parse_json(response, "the IDMC IDU API")
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if not isinstance(data, list):
        raise FetchFailed("the IDMC IDU API's answer is not a list of events",
                          http_status=status)
    if not data:
        raise FetchFailed("the IDMC IDU API sent no events; check the client_id and URL",
                          http_status=status)
    countries = {c.upper() for c in params.get("countries") or []}
    events = [e for e in data if not countries or not isinstance(e, dict)
              or str(e.get("iso3") or "").upper() in countries]
    reports, rejected = read_events(events, redact_url(target))
    return status, reports, rejected
