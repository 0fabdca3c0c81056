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

from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Query
from sqlalchemy import CursorResult, Delete, delete, select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.sources.models import FetchAttempt, Source
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


def reset(session: Session) -> Removed:
    """Deletes the demo: its sources with their fetches, reports and figures, the demo's series
    points and alerts with their webhook events (deliveries and attempts go with them). Real
    data is not touched: nothing real is derived from the demo. The caller commits."""
    sources = select(Source.id).where(Source.demo.is_(True)).scalar_subquery()
    alerts = select(Alert.id).where(Alert.demo.is_(True)).scalar_subquery()
    n_sources = len(list(session.scalars(select(Source.id).where(Source.demo.is_(True)))))
    _delete(session, delete(WebhookEvent).where(WebhookEvent.alert_id.in_(alerts)))
    n_alerts = _delete(session, delete(Alert).where(Alert.demo.is_(True)))
    n_points = _delete(session, delete(SeriesPoint).where(SeriesPoint.demo.is_(True)))
    _delete(session, delete(Figure).where(Figure.source_id.in_(sources)))
    n_reports = _delete(session, delete(Report).where(Report.source_id.in_(sources)))
    _delete(session, delete(FetchAttempt).where(FetchAttempt.source_id.in_(sources)))
    _delete(session, delete(Source).where(Source.demo.is_(True)))
    session.flush()
    return Removed(n_sources, n_reports, n_points, n_alerts)


DemoFlag = Annotated[bool, Query(
    description="the demo's (fictional, labelled) data instead of the real data; the two never "
                "mix")]
"""The query parameter of every read that can show either realm: real unless asked."""
