"""`hapi`: HDX HAPI v2, `affected-people/idps` and `affected-people/refugees-persons-of-concern`.

Every call carries the `app_identifier` (base64 of "application:email"); HAPI answers 403
without it. IDP rows: only the latest reporting round of each operation and place counts.
Refugee rows: only the totals (gender and age "all"), so disaggregations are not added up.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.errors import FetchFailed, SourceMisconfigured
from app.settings import Settings
from app.sources.fetchers.common import get, parse_datetime, parse_json
from app.sources.structured import StructuredFigure, StructuredReport

BASE_URL = "https://hapi.humdata.org/api/v2/affected-people/"
ENDPOINTS = ("idps", "refugees-persons-of-concern")
REFUGEE_GROUPS = ("REF", "ASY", "ROC")


def _day(value: Any) -> Any:
    when = parse_datetime(value) if isinstance(value, str) else None
    return when.date() if when else None


def idp_reports(rows: list[dict[str, Any]], url: str) -> tuple[list[StructuredReport], list[str]]:
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    rejected: list[str] = []
    for row in rows:
        if not isinstance(row.get("population"), int):
            rejected.append(f"HAPI idps row without a population: {str(row)[:120]}")
            continue
        key = tuple(str(row.get(k) or "") for k in ("operation", "location_code", "admin1_code",
                                                    "admin2_code", "assessment_type"))
        kept = latest.get(key)
        if kept is None or (row.get("reporting_round") or 0) > (kept.get("reporting_round") or 0):
            latest[key] = row
    reports = []
    for row in latest.values():
        pcodes = tuple(c for c in (row.get("admin2_code"), row.get("admin1_code")) if c)
        names = tuple(n for n in (row.get("admin2_name"), row.get("admin1_name")) if n)
        where = ", ".join([*names, str(row.get("location_name") or row.get("location_code"))])
        as_of = _day(row.get("reference_period_end"))
        quote = (f"{row['population']:,} IDPs in {where} "
                 f"({'/'.join(pcodes) or row.get('location_code')}), {row.get('operation')} "
                 f"round {row.get('reporting_round')}, period ending "
                 f"{as_of.isoformat() if as_of else '?'} (HDX HAPI, resource "
                 f"{row.get('resource_hdx_id')})")
        reports.append(StructuredReport(
            quote=quote, url=url, title=f"HAPI IDPs: {where}", method="hapi:idps",
            figures=[StructuredFigure(count=row["population"], pcodes=pcodes, names=names,
                                      country=row.get("location_code"), as_of=as_of)],
        ))
    return reports, rejected


def refugee_reports(rows: list[dict[str, Any]], url: str, groups: tuple[str, ...]
                    ) -> tuple[list[StructuredReport], list[str]]:
    reports: list[StructuredReport] = []
    rejected: list[str] = []
    for row in rows:
        if row.get("gender") not in ("all", None) or row.get("age_range") not in ("all", None):
            continue  # a breakdown of a total counted elsewhere
        if row.get("population_group") not in groups:
            continue
        if not isinstance(row.get("population"), int):
            rejected.append(f"HAPI refugee row without a population: {str(row)[:120]}")
            continue
        as_of = _day(row.get("reference_period_end"))
        quote = (f"{row['population']:,} persons of concern ({row.get('population_group')}) "
                 f"from {row.get('origin_location_name') or row.get('origin_location_code')} in "
                 f"{row.get('asylum_location_name') or row.get('asylum_location_code')}, period "
                 f"ending {as_of.isoformat() if as_of else '?'} (HDX HAPI, resource "
                 f"{row.get('resource_hdx_id')})")
        reports.append(StructuredReport(
            quote=quote, url=url, title="HAPI refugees and persons of concern",
            method="hapi:refugees",
            figures=[StructuredFigure(count=row["population"],
                                      country=row.get("asylum_location_code"),
                                      origin_country=row.get("origin_location_code"),
                                      as_of=as_of)],
        ))
    return reports, rejected


def fetch(url: str | None, params: dict[str, Any], settings: Settings
          ) -> tuple[int, list[StructuredReport], list[str]]:
    app_identifier = params.get("app_identifier")
    if not app_identifier:
        raise SourceMisconfigured("a hapi source needs params.app_identifier (base64 of "
                                  "'application:email')")
    endpoint = params.get("endpoint", "idps")
    if endpoint not in ENDPOINTS:
        raise SourceMisconfigured(f"hapi endpoint {endpoint!r} is not one of "
                                  f"{', '.join(ENDPOINTS)}")
    target = url or BASE_URL + endpoint
    limit = int(params.get("limit", 1000))
    rows: list[dict[str, Any]] = []
    status = 0
    for page in range(int(params.get("max_pages", 10))):
        query = {**(params.get("filters") or {}), "app_identifier": app_identifier,
                 "output_format": "json", "limit": limit, "offset": page * limit}
        response = get(target, settings, what="HDX HAPI", params=query)
        status = response.status_code
        data = parse_json(response, "HDX HAPI")
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise FetchFailed("HDX HAPI's answer has no 'data' list", http_status=status)
        rows.extend(r for r in data["data"] if isinstance(r, dict))
        if len(data["data"]) < limit:
            break
    shown = str(httpx.URL(target))
    if endpoint == "idps":
        reports, rejected = idp_reports(rows, shown)
    else:
        groups = tuple(params.get("population_groups") or REFUGEE_GROUPS)
        reports, rejected = refugee_reports(rows, shown, groups)
    return status, reports, rejected
