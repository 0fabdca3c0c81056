"""`dtm`: IOM's Displacement Tracking Matrix API v3, IDP figures per admin0, admin1 or admin2.

`GET https://dtmapi.iom.int/v3/displacement/{admin0|admin1|admin2}` with filters (Admin0Pcode,
Operation, FromReportingDate, ToReportingDate, ...) and the subscription key in the
`Ocp-Apim-Subscription-Key` header (DISPMON_DTM_API_KEY). The answer is an envelope
`{isSuccess, result, errorMessages}`; each result row gives `numPresentIdpInd` for a place named
by P-code on a reporting date. Only the latest round of each operation and place counts, as in
HAPI's copy of the same data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.errors import FetchFailed, SourceMisconfigured
from app.redaction import redact_url
from app.settings import Settings
from app.sources.fetchers.common import get, parse_datetime, parse_json
from app.sources.structured import StructuredFigure, StructuredReport

BASE_URL = "https://dtmapi.iom.int/v3/displacement/"
LEVELS = ("admin0", "admin1", "admin2")
KEY_HEADER = "Ocp-Apim-Subscription-Key"


def _day(value: Any) -> date | None:
    when = parse_datetime(value) if isinstance(value, str) else None
    return when.date() if when else None


def read_rows(rows: list[Any], url: str, level: str
              ) -> tuple[list[StructuredReport], list[str]]:
    """The result rows as structured reports (the latest round per operation and place), and
    the rows refused, with why."""
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    rejected: list[str] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            rejected.append(f"DTM row {number} is not an object: {str(row)[:80]}")
            continue
        count = row.get("numPresentIdpInd")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            rejected.append(f"DTM row {number} (id {row.get('id')}) has no IDP count "
                            f"(numPresentIdpInd {count!r})")
            continue
        if _day(row.get("reportingDate")) is None:
            rejected.append(f"DTM row {number} (id {row.get('id')}) has no readable "
                            f"reportingDate ({row.get('reportingDate')!r})")
            continue
        key = tuple(str(row.get(k) or "") for k in ("operation", "admin0Pcode", "admin1Pcode",
                                                    "admin2Pcode", "assessmentType"))
        kept = latest.get(key)
        if kept is None or _order(row) > _order(kept):
            latest[key] = row
    reports = []
    for row in latest.values():
        # the row's own level only: a district's count the gazetteer cannot place must not be
        # filed as its governorate's own figure (it stays unplaced, and moves no series)
        pcodes = (str(row[f"{level}Pcode"]),) if level != "admin0" and row.get(
            f"{level}Pcode") else ()
        names = (str(row[f"{level}Name"]),) if level != "admin0" and row.get(
            f"{level}Name") else ()
        country = row.get("admin0Pcode")
        as_of = _day(row.get("reportingDate"))
        shown = [str(row[k]) for k in ("admin2Name", "admin1Name") if row.get(k)
                 and (level == "admin2" or k == "admin1Name") and level != "admin0"]
        where = ", ".join([*shown, str(row.get("admin0Name") or country)])
        quote = (f"{row['numPresentIdpInd']:,} IDPs present in {where} "
                 f"({'/'.join(pcodes) or country}), {row.get('operation')}, round "
                 f"{row.get('roundNumber')}, reported {as_of.isoformat() if as_of else '?'} "
                 f"(IOM DTM, {level} id {row.get('id')})")
        reports.append(StructuredReport(
            quote=quote, url=url, title=f"IOM DTM: {where}", method=f"dtm:{level}",
            figures=[StructuredFigure(count=row["numPresentIdpInd"], pcodes=pcodes,
                                      names=names, country=country, as_of=as_of)],
        ))
    return reports, rejected


def _order(row: dict[str, Any]) -> tuple[int, str]:
    rnd = row.get("roundNumber")
    return (rnd if isinstance(rnd, int) else -1, str(row.get("reportingDate") or ""))


def fetch(url: str | None, params: dict[str, Any], settings: Settings
          ) -> tuple[int, list[StructuredReport], list[str]]:
    if settings.dtm_api_key is None:
        raise SourceMisconfigured("a dtm source needs DISPMON_DTM_API_KEY (the DTM API's "
                                  "subscription key, from https://dtm.iom.int/data-and-analysis/"
                                  "dtm-api)")
    level = params.get("level", "admin1")
    if level not in LEVELS:
        raise SourceMisconfigured(f"dtm level {level!r} is not one of {', '.join(LEVELS)}")
    target = url or BASE_URL + level
    response = get(target, settings, what="the IOM DTM API", params=params.get("filters") or {},
                   headers={KEY_HEADER: settings.dtm_api_key.get_secret_value()},
                   accept="application/json")
    status = response.status_code
    data = parse_json(response, "the IOM DTM API")
    if not isinstance(data, dict) or "isSuccess" not in data:
        raise FetchFailed("the IOM DTM API's answer is not its {isSuccess, result, "
                          "errorMessages} envelope", http_status=status)
    messages = data.get("errorMessages") or []
    if data.get("isSuccess") is not True:
        said = "; ".join(str(m) for m in messages)[:300] if isinstance(messages, list) else ""
        raise FetchFailed(f"the IOM DTM API refused the query: {said or 'no error message'}",
                          http_status=status)
    rows = data.get("result")
    if not isinstance(rows, list):
        raise FetchFailed("the IOM DTM API's answer has no 'result' list", http_status=status)
    if not rows:
        raise FetchFailed(f"the IOM DTM API found no {level} rows for the filters "
                          f"{params.get('filters') or {}}; check the P-code, operation and "
                          "dates", http_status=status)
    reports, rejected = read_rows(rows, redact_url(target), level)
    return status, reports, rejected
