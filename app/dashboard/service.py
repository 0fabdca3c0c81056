"""What the pages show, gathered from the series, figures, alerts and sources."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, load_only

from app.alerts.enums import OPEN_STATUSES
from app.alerts.evidence import EvidenceFigure, parse_evidence
from app.alerts.models import Alert, AlertEvent
from app.dashboard.charts import ChartPoint
from app.db import utcnow
from app.gazetteer.index import Gazetteer, Place
from app.reports import review
from app.reports.models import Figure, Report, ReviewState
from app.series.models import SeriesPoint
from app.series.service import series_points
from app.sources.fetchers import FETCHERS
from app.sources.models import FetchAttempt, FetchStatus, Source
from app.summary import service as summary
from app.summary.models import DestinationSummary, SparkPoint

FIGURES_PER_PAGE = 50
_IN_CHUNK = 500  # ids per IN (...) list: far under SQLite's and psycopg's parameter limits


@dataclass(slots=True)
class DestinationRow:
    place: Place
    as_of: date
    estimate: int
    low: int
    high: int
    change_3d: int | None
    change_7d: int | None
    points: list[ChartPoint]
    demo: bool
    # the latest point holds the estimate: no fresh figure since `last_report`
    stale: bool = False
    last_report: date | None = None


@dataclass(slots=True)
class SourceRow:
    source: Source
    last_status: str | None
    last_error: str | None
    last_attempt_at: datetime | None

    @property
    def fetched(self) -> bool:
        """False for a source filled by posted reports, which has nothing to fetch."""
        return self.source.kind in FETCHERS

    @property
    def failing(self) -> bool:
        # a manual source's failures are from before the scheduler left such sources alone
        return self.fetched and (self.source.consecutive_failures > 0
                                 or self.last_status == FetchStatus.ERROR)


@dataclass(slots=True)
class FigureRow:
    """A figure on a destination page. `report` is loaded without its text (touching it
    raises): `number` is the figure's span of that text, cut out by the database."""

    figure: Figure
    report: Report
    source: Source
    number: str
    duplicates: list[tuple[Report, Source]] = field(default_factory=list)


@dataclass(slots=True)
class FigurePage:
    rows: list[FigureRow]
    page: int
    pages: int
    total: int
    demo: bool
    per_page: int = FIGURES_PER_PAGE

    @property
    def first(self) -> int:
        """The number of the page's first figure, counted over all pages."""
        return (self.page - 1) * self.per_page + 1


def _chart(points: list[SeriesPoint]) -> list[ChartPoint]:
    return [ChartPoint(p.day, p.estimate, p.low, p.high, p.new_arrivals, p.fresh_until,
                       last_report(p)) for p in points]


def last_report(point: SeriesPoint) -> date | None:
    """The day of the newest figure behind a point."""
    return summary.last_report(point.sources)


def quiet_since(points: list[ChartPoint], today: date | None = None) -> date | None:
    """The day of the last report, when no figure of the series is fresh any more `today`."""
    if not points or points[-1].fresh_until is None:
        return None
    if points[-1].fresh_until >= (today or utcnow().date()):
        return None
    return points[-1].last_report or points[-1].day


def has_series(session: Session, *, demo: bool) -> bool:
    """Whether any real series (or, `demo`, any of the demo's) exists: a summary with a latest
    point (written with the points), found on the (demo, destination_id) index. Asking the
    points themselves scans them all when the realm has none."""
    return session.scalar(select(DestinationSummary.id).where(
        DestinationSummary.demo == demo, DestinationSummary.latest_day.is_not(None)).limit(1)) \
        is not None


def recent_destinations(session: Session, gazetteer: Gazetteer, limit: int = 12,
                        today: date | None = None, *, demo: bool = False) -> list[DestinationRow]:
    """Destinations ordered by their latest movement, newest first, with 3- and 7-day changes
    of fresh values; a destination with no fresh figure `today` says since when instead. The
    real series, or the demo's when `demo` (app.demo). One row per destination, from the
    summaries the series updates keep (app.summary)."""
    today = today or utcnow().date()
    out = []
    for row in summary.overview(session, limit, demo=demo):
        place = gazetteer.get(row.destination_id)
        if place is None or row.as_of is None:
            continue
        stale = row.fresh_until is not None and row.fresh_until < today
        # stale: no change to show, the estimate holds, and the row says since when no one
        # reported
        estimate, low, high = ((row.latest_estimate, row.latest_low, row.latest_high) if stale
                               else (row.estimate, row.low, row.high))
        out.append(DestinationRow(
            place, row.as_of, estimate, low, high,
            None if stale else row.change_3d, None if stale else row.change_7d,
            [_spark(p) for p in row.points], demo, stale, row.last_report))
    return out


def _spark(p: SparkPoint) -> ChartPoint:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return ChartPoint(date.fromisoformat(p["day"]), p["estimate"], p["low"], p["high"],
                      p["new_arrivals"], day(p["fresh_until"]))


def overview_state(session: Session, *, demo: bool) -> tuple[tuple[object, ...], datetime]:
    """What the overview shows depends on, cheaply (aggregates over indexed columns, not the
    series): the realms' summaries, the alerts, the review queue's length and the sources' last
    fetches; with when it last changed (never before today's start, as "stale" is by today)."""
    real, shown = summary.state(session, None, demo=False), summary.state(session, None, demo=True)
    alerts = session.execute(select(func.count(), func.max(Alert.updated_at))
                             .where(Alert.demo == demo)).one()
    events = session.scalar(select(func.max(AlertEvent.id)))
    sources = session.execute(select(func.count(), func.max(Source.last_fetch_at),
                                     func.sum(Source.consecutive_failures))).one()
    attempts = session.scalar(select(func.max(FetchAttempt.id)))
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    moments = [m for m in (real.updated_at, shown.updated_at, alerts[1], sources[1]) if m]
    modified = max([today, *(m if m.tzinfo else m.replace(tzinfo=today.tzinfo) for m in moments)])
    parts = (real.tag, shown.tag, tuple(alerts), events, waiting_count(session), tuple(sources),
             attempts, today.date().isoformat())
    return parts, modified


def open_alerts(session: Session, limit: int = 20, *, demo: bool = False) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.status.in_(OPEN_STATUSES), Alert.demo == demo)
        .order_by(Alert.last_triggered_at.desc(), Alert.id.desc()).limit(limit)))


def trigger_figure(alert: Alert) -> EvidenceFigure | None:
    """The evidence figure that made the alert's current value: the newest behind it."""
    evidence = parse_evidence(alert.evidence)
    figures = [f for f in evidence.get("figures", []) if f.get("for") == "current"]
    figures = figures or list(evidence.get("figures", []))
    return max(figures, key=lambda f: (str(f.get("date")), int(f.get("figure_id", 0))),
               default=None)


def alerts_of(session: Session, place_id: str, *, demo: bool = False) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.destination_id == place_id, Alert.demo == demo)
        .order_by(Alert.data_day)))


def source_states(session: Session) -> list[SourceRow]:
    latest = (select(FetchAttempt.source_id, func.max(FetchAttempt.id).label("id"))
              .group_by(FetchAttempt.source_id).subquery())
    rows = session.execute(
        select(Source, FetchAttempt)
        .outerjoin(latest, latest.c.source_id == Source.id)
        .outerjoin(FetchAttempt, FetchAttempt.id == latest.c.id)
        .order_by(Source.consecutive_failures.desc(), Source.name)
    ).all()
    return [SourceRow(s, a.status if a else None, a.error if a else None,
                      a.started_at if a else None) for s, a in rows]


def series_of(session: Session, place_id: str, *, demo: bool = False) -> list[ChartPoint]:
    return _chart(series_points(session, place_id, None, None, demo=demo))


def _report_head() -> Any:
    """A report's columns a figure list shows, never its text."""
    return load_only(Report.id, Report.lang, Report.url, Report.title, Report.duplicate_of_id,
                     Report.source_id, raiseload=True)


def _figure_rows(session: Session, where: Any, order: tuple[Any, ...],
                 limit: int | None = None) -> list[FigureRow]:
    """Figures with their report's head, their source and the number as written."""
    number = func.substr(Report.text, Figure.span_start + 1, Figure.span_end - Figure.span_start)
    return [FigureRow(f, r, s, n or "") for f, r, s, n in session.execute(
        select(Figure, Report, Source, number).join(Report, Report.id == Figure.report_id)
        .join(Source, Source.id == Figure.source_id).where(where)
        .options(_report_head()).order_by(*order).limit(limit)
    ).all()]


def figures_behind(session: Session, place_id: str, page: int = 1,
                   per_page: int = FIGURES_PER_PAGE, *, demo: bool = False) -> FigurePage:
    """One page of the figures any point of the place's series rests on, newest first, each
    with the reports that copied it folded under it. Work per page is bounded: all the
    figures are sorted on two small columns, and only the page's rows are loaded."""
    ids: set[int] = set()
    for sources in session.scalars(
            select(SeriesPoint.sources).where(SeriesPoint.destination_id == place_id,
                                              SeriesPoint.demo == demo)):
        ids.update(int(s["figure_id"]) for s in sources)
    keys: list[tuple[date, int]] = []
    demo = False
    chunks = sorted(ids)
    for at in range(0, len(chunks), _IN_CHUNK):
        for figure_id, observed_on, is_demo in session.execute(
                select(Figure.id, Figure.observed_on, Source.demo)
                .join(Source, Source.id == Figure.source_id)
                .where(Figure.id.in_(chunks[at:at + _IN_CHUNK]))):
            keys.append((observed_on, figure_id))
            demo = demo or is_demo
    keys.sort(reverse=True)
    pages = max(1, -(-len(keys) // per_page))
    page = min(page, pages)
    wanted = [figure_id for _, figure_id in keys[(page - 1) * per_page:page * per_page]]
    if not wanted:
        return FigurePage([], page, pages, len(keys), demo, per_page)
    out = _figure_rows(session, Figure.id.in_(wanted),
                       (Figure.observed_on.desc(), Figure.id.desc()))
    by_report = {row.report.id: row for row in out}
    copies = session.execute(
        select(Report, Source).join(Source, Source.id == Report.source_id)
        .where(Report.duplicate_of_id.in_(list(by_report))).options(_report_head())
    ).all()
    for copy, source in copies:
        if copy.duplicate_of_id in by_report:
            by_report[copy.duplicate_of_id].duplicates.append((copy, source))
    return FigurePage(out, page, pages, len(keys), demo, per_page)


def report_with_figures(session: Session, report_id: int) -> tuple[Report, Source,
                                                                   list[Figure]] | None:
    row = session.execute(select(Report, Source).join(Source, Source.id == Report.source_id)
                          .where(Report.id == report_id)).first()
    if row is None:
        return None
    figures = list(session.scalars(select(Figure).where(Figure.report_id == report_id)
                                   .order_by(Figure.span_start)))
    return row[0], row[1], figures


# -- review ----------------------------------------------------------------------------------

QUEUE_PAGE = 50
PENDING_SHOWN = 50


@dataclass(slots=True)
class QueuePage:
    rows: list[FigureRow]
    next_after: int | None  # the cursor of the next page, None on the last


def review_queue(session: Session, after: int | None,
                 per_page: int = QUEUE_PAGE) -> QueuePage:
    """A page of the figures waiting for a review, oldest first, as `GET /api/v1/review`
    lists them, each with its report and the number as written."""
    waiting = review.queue(session, after, per_page + 1)
    ids = [f.id for f, _ in waiting[:per_page]]
    rows = _figure_rows(session, Figure.id.in_(ids), (Figure.id,)) if ids else []
    return QueuePage(rows, ids[-1] if len(waiting) > per_page else None)


def waiting_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Figure)
                          .where(Figure.review_state == ReviewState.PENDING.value)) or 0


def waiting_for(session: Session, place_id: str, *, demo: bool = False,
                limit: int = PENDING_SHOWN) -> list[FigureRow]:
    """The figures of a destination that wait for a review (they are in no series yet), in
    the demo's realm or the real one, oldest first."""
    return _figure_rows(session, and_(Figure.review_state == ReviewState.PENDING.value,
                                      Figure.destination_id == place_id, Source.demo == demo),
                        (Figure.id,), limit)


def figure_row(session: Session, figure_id: int) -> FigureRow | None:
    rows = _figure_rows(session, Figure.id == figure_id, (Figure.id,))
    return rows[0] if rows else None


def figures_now(session: Session, ids: Iterable[int]) -> dict[int, Figure]:
    """The figures as they stand now (an alert's evidence keeps them as they were)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {f.id: f for f in session.scalars(select(Figure).where(Figure.id.in_(wanted)))}


def alert_history(session: Session, alert_id: int) -> list[AlertEvent]:
    """Every change of the alert, oldest first."""
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                .order_by(AlertEvent.id)))


def retraction(session: Session, alert: Alert) -> AlertEvent | None:
    """The history row that retracted the alert: who, when and why."""
    if alert.status != "retracted":
        return None
    return session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id,
                                                    AlertEvent.type == "retracted")
                           .order_by(AlertEvent.id.desc()).limit(1)).first()


def retracted_alerts(session: Session, limit: int = 10, *,
                     demo: bool = False) -> list[tuple[Alert, AlertEvent | None]]:
    """The alerts retracted last, each with the history row that says who and why."""
    alerts = list(session.scalars(
        select(Alert).where(Alert.status == "retracted", Alert.demo == demo)
        .order_by(Alert.resolved_at.desc(), Alert.id.desc()).limit(limit)))
    if not alerts:
        return []
    latest = (select(func.max(AlertEvent.id))
              .where(AlertEvent.alert_id.in_([a.id for a in alerts]),
                     AlertEvent.type == "retracted").group_by(AlertEvent.alert_id))
    events = {e.alert_id: e for e in session.scalars(
        select(AlertEvent).where(AlertEvent.id.in_(latest)))}
    return [(a, events.get(a.id)) for a in alerts]


def real_sources(session: Session, limit: int = 500) -> list[Source]:
    """The sources a report may be filed under from the form (never the demo's), by name."""
    return list(session.scalars(select(Source).where(Source.demo.is_(False))
                                .order_by(Source.name).limit(limit)))


def source_named(session: Session, name: str) -> Source | None:
    return session.scalar(select(Source).where(Source.name == name))
