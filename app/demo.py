"""The demo realm: the demo's reports, series and alerts live beside the real ones, never in them.

Why a flag, not a database of its own: `make run` is the embedded default a new user starts with
and then keeps, adding real sources to the same process and database. A second database would
either hold those real reports too (and mix again) or split one install in two, with its keys,
webhooks and places twice over. So the demo shares the database, and the realm is a column that
every query of derived data honours:

- a report or figure is the demo's when its source is (`sources.demo`); the demo's reports are
  never deduplicated against real ones, in either direction;
- a series point and an alert carry `demo`: a destination has a real series and, apart, the demo's
  (unique on destination, day and demo), each computed from its own realm's figures only; an
  alert's fingerprint names its realm;
- the API and the dashboard show the real realm unless asked for the demo (`?demo=true`), which
  is always labelled as such;
- the demo's alerts reach a webhook endpoint only when it opts in (`include_demo`);
- `dispmon demo reset` (`reset` here) deletes the demo's sources and all that came of them, and
  nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, cast

from fastapi import Query
from sqlalchemy import CursorResult, Delete, delete, select, update
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.gazetteer.index import Gazetteer
from app.incidents.models import Incident
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.series.service import update_series
from app.sources.models import FetchAttempt, Source
from app.summary.service import forget_realm, refresh
from app.webhooks.models import WebhookEvent


def demo_source_ids(session: Session, source_ids: set[int]) -> set[int]:
    """Those of `source_ids` that are demo sources, one query."""
    if not source_ids:
        return set()
    return set(session.scalars(
        select(Source.id).where(Source.id.in_(sorted(source_ids)), Source.demo.is_(True))))


def _delete(session: Session, statement: Delete) -> int:
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


@dataclass(frozen=True, slots=True)
class Removed:
    """What `reset` deleted."""

    sources: int
    reports: int
    series_points: int
    alerts: int


def reset(session: Session, gazetteer: Gazetteer, freshness_days: int) -> Removed:
    """Deletes the demo: its sources with their fetches, reports and figures, the demo's series
    points, alerts and incidents with their webhook events (deliveries, notifications and
    attempts go with them). Real reports, figures and alerts are not touched. The caller
    commits.

    A database that ran the demo before the realms were kept apart (migration 0008 took every
    point and alert for real) has real series with demo figures in them and real alerts raised
    by demo figures alone: those alerts are the demo's and go with it, a real alert's evidence
    drops the demo's figures (its value is left as it was), and the real series of
    the places and days the demo's figures touched are recomputed from real figures only (where
    nothing was mixed, nothing is rewritten)."""
    sources = select(Source.id).where(Source.demo.is_(True)).scalar_subquery()
    demo_figures: list[tuple[int, str | None, date]] = [
        (fid, place_id, day) for fid, place_id, day in session.execute(
            select(Figure.id, Figure.destination_id, Figure.observed_on)
            .where(Figure.source_id.in_(sources)))]
    figure_ids = {fid for fid, _, _ in demo_figures}
    legacy = []
    for alert in session.scalars(select(Alert).where(Alert.demo.is_(False))):
        behind = {int(f["figure_id"]) for f in alert.evidence.get("figures", [])}
        if behind and behind <= figure_ids:
            legacy.append(alert.id)
        elif behind & figure_ids:
            # a real alert whose evidence also cites the demo: it no longer cites fiction
            alert.evidence = {**alert.evidence, "figures": [
                f for f in alert.evidence["figures"] if int(f["figure_id"]) not in figure_ids]}
    if legacy:
        session.execute(update(Alert).where(Alert.id.in_(legacy)).values(demo=True)
                        .execution_options(synchronize_session=False))
    alerts = select(Alert.id).where(Alert.demo.is_(True)).scalar_subquery()
    n_sources = len(list(session.scalars(select(Source.id).where(Source.demo.is_(True)))))
    _delete(session, delete(WebhookEvent).where(WebhookEvent.alert_id.in_(alerts)))
    n_alerts = _delete(session, delete(Alert).where(Alert.demo.is_(True)))
    _delete(session, delete(Incident).where(Incident.demo.is_(True)))
    n_points = _delete(session, delete(SeriesPoint).where(SeriesPoint.demo.is_(True)))
    forget_realm(session, demo=True)
    _delete(session, delete(Figure).where(Figure.source_id.in_(sources)))
    n_reports = _delete(session, delete(Report).where(Report.source_id.in_(sources)))
    _delete(session, delete(FetchAttempt).where(FetchAttempt.source_id.in_(sources)))
    _delete(session, delete(Source).where(Source.demo.is_(True)))
    session.flush()
    mixed = _mixed_points(session, gazetteer, demo_figures)
    if mixed:
        changed = update_series(session, gazetteer, mixed.items(), freshness_days, demo=False)
        refresh(session, changed, demo=False)
    return Removed(n_sources, n_reports, n_points, n_alerts)


def _mixed_points(session: Session, gazetteer: Gazetteer,
                  demo_figures: Sequence[tuple[int, str | None, date]]) -> dict[str, date]:
    """Per place, the first day of a real point that counts a demo figure (an older install's
    mix): only the places the demo's figures are about, and their ancestors, are read."""
    figure_ids = {fid for fid, _, _ in demo_figures}
    places = {pid for _, pid, _ in demo_figures if pid}
    places |= {a.id for pid in list(places) for a in gazetteer.ancestors(pid)}
    first: dict[str, date] = {}
    for place_id, day, sources in session.execute(
            select(SeriesPoint.destination_id, SeriesPoint.day, SeriesPoint.sources)
            .where(SeriesPoint.demo.is_(False), SeriesPoint.destination_id.in_(sorted(places)))):
        if any(int(s["figure_id"]) in figure_ids for s in sources):
            first[place_id] = min(day, first.get(place_id, day))
    return first


DemoFlag = Annotated[bool, Query(
    description="the demo's (fictional, labelled) data instead of the real data; the two never "
                "mix")]
"""The query parameter of every read that can show either realm: real unless asked."""
