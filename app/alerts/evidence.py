"""The evidence an alert carries: its rule, the values before and after, the change, and the
figures behind them with their quotes, each with its place and its side.

`Evidence` is the shape of the `alerts.evidence` JSON column, read by the API, the webhooks,
the dashboard and the redaction of URLs: readers take it through `parse_evidence`, so a renamed
key fails in mypy. `evidence_figures` loads the figures of many triggers in one query and
`evidence` builds one alert's from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.rules import rule_of
from app.gazetteer.index import Gazetteer
from app.reports.models import Figure, Report
from app.sources.models import Source

if TYPE_CHECKING:
    from app.alerts.rules.base import Trigger
    from app.series.models import SeriesPoint

MAX_EVIDENCE_FIGURES = 8
MAX_QUOTE_CHARS = 400

For = Literal["current", "previous"]
"""The point a figure is behind: the trigger's current one or the one it is compared with."""


class EvidenceRule(TypedDict):
    id: int
    name: str
    kind: str
    params: dict[str, Any]  # only those behind the trigger (a threshold's level crossed)


class EvidencePoint(TypedDict):
    day: str
    estimate: int
    low: int
    high: int
    new_arrivals: int


class EvidenceChange(TypedDict):
    people: int | None
    percent: float | None


class EvidencePlace(TypedDict):
    id: str
    name: str


# functional form: "for" is a Python keyword
EvidenceFigure = TypedDict(
    "EvidenceFigure",
    {
        "figure_id": int,
        "report_id": int,
        "for": For,
        "side": Literal["before", "after"],
        "place": EvidencePlace,
        "people": int,
        "kind": str,
        "date": str,
        # absent from evidence written before figure review and credibility (migrations 0007-8)
        "review": NotRequired[str],  # the figure's review state (app.reports.models.ReviewState)
        "quote": str,
        "source": str,
        "credibility": NotRequired[str],  # the source's grade, A (most) to F
        "url": str | None,
        "title": str | None,
        "published_at": str | None,
    },
)


class Evidence(TypedDict, total=False):
    """An alert's evidence; empty ({}) on an alert stored without any."""

    rule: EvidenceRule
    day: str
    measure: int
    previous: EvidencePoint | None
    current: EvidencePoint | None
    change: EvidenceChange
    figures: list[EvidenceFigure]


def parse_evidence(raw: Mapping[str, Any]) -> Evidence:
    """The typed view of an alert's stored evidence. Only `evidence` writes the column, so the
    JSON has its shape (no copy, no validation: the dashboard reads it on every page)."""
    return cast(Evidence, raw)


FigureRow = tuple[Figure, str | None, str | None, datetime | None, str, str]
"""A figure with its report's URL, title and publication time, its source's name and
credibility."""

_SIDES: dict[For, Literal["before", "after"]] = {"previous": "before", "current": "after"}


def _point(point: SeriesPoint | None) -> EvidencePoint | None:
    if point is None:
        return None
    return {
        "day": point.day.isoformat(),
        "estimate": point.estimate,
        "low": point.low,
        "high": point.high,
        "new_arrivals": point.new_arrivals,
    }


def evidence_ids(trigger: Trigger) -> dict[int, For]:
    """The figures behind the trigger's current and previous points, the current side's and
    the newest first, at most MAX_EVIDENCE_FIGURES: figure id -> side."""
    sides: list[tuple[For, SeriesPoint]] = [("current", trigger.current)]
    if trigger.previous is not None:
        sides.append(("previous", trigger.previous))
    wanted: dict[int, For] = {}
    for side, point in sides:
        for s in point.sources:
            wanted.setdefault(int(s["figure_id"]), side)
    ids = sorted(wanted, key=lambda i: (wanted[i] != "current", -i))[:MAX_EVIDENCE_FIGURES]
    return {i: wanted[i] for i in ids}


def evidence_figures(session: Session, triggers: Iterable[Trigger]) -> dict[int, FigureRow]:
    """The evidence figures of all the triggers, in one query."""
    ids = {i for t in triggers for i in evidence_ids(t)}
    if not ids:
        return {}
    rows = session.execute(
        select(
            Figure, Report.url, Report.title, Report.published_at, Source.name, Source.credibility
        )
        .join(Report, Report.id == Figure.report_id)
        .join(Source, Source.id == Figure.source_id)
        .where(Figure.id.in_(ids))
    )
    return {row[0].id: row for row in rows}


def evidence(trigger: Trigger, rows: Mapping[int, FigureRow], gazetteer: Gazetteer) -> Evidence:
    """Previous and current values, the change, and the figures behind them with their quotes,
    each with its place (a parent's are its children's) and its side, before or after; `rows`
    holds the figures (see evidence_figures). Each figure as it counts (`Figure.current`: a
    corrected one by its correction), with its review state and its source's credibility. Only
    figures of the alert's destination or of places within it: a figure of anywhere else is no
    evidence for it."""
    wanted = evidence_ids(trigger)
    where = gazetteer.get(trigger.place_id)
    figures: list[EvidenceFigure] = []
    for figure, url, title, published_at, source, credibility in (
        rows[i] for i in sorted(wanted) if i in rows
    ):
        counted = figure.current()
        place_id = counted.destination_id or trigger.place_id
        place = gazetteer.get(place_id)
        if place_id != trigger.place_id and (
            place is None or where is None or not gazetteer.within(place, where)
        ):
            continue
        quote = (
            figure.quote
            if len(figure.quote) <= MAX_QUOTE_CHARS
            else (figure.quote[: MAX_QUOTE_CHARS - 1] + "…")
        )
        figures.append(
            {
                "figure_id": figure.id,
                "report_id": figure.report_id,
                "for": wanted[figure.id],
                "side": _SIDES[wanted[figure.id]],
                "place": {
                    "id": place_id,
                    "name": place.name if place else (counted.destination_name or place_id),
                },
                "people": counted.people,
                "kind": counted.kind,
                "date": counted.observed_on.isoformat(),
                "review": figure.review_state,
                "quote": quote,
                "source": source,
                "credibility": credibility,
                "url": url,
                "title": title,
                "published_at": published_at.isoformat() if published_at else None,
            }
        )
    previous = trigger.previous.estimate if trigger.previous else None
    current = trigger.current.estimate
    change = current - previous if previous is not None else None
    return {
        "rule": {
            "id": trigger.rule.id,
            "name": trigger.rule.name,
            "kind": trigger.rule.kind,
            "params": rule_of(trigger.rule.kind).params_behind(trigger),
        },
        "day": trigger.day.isoformat(),
        "measure": trigger.measure,
        "previous": _point(trigger.previous),
        "current": _point(trigger.current),
        "change": {
            "people": change,
            "percent": round(100 * change / previous, 1)
            if change is not None and previous
            else None,
        },
        "figures": figures,
    }
