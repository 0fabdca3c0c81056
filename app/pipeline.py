"""The route of a report, from its text to the webhook outbox, in one place.

    ingest_many  store reports -> extract figures -> record_figures
    record_figures  store figures -> hold for review -> update series -> summarize
                    -> assess alerts -> publish to the outbox
    apply_review  review a figure -> update series -> summarize -> revise alerts
                  -> assess alerts -> publish to the outbox

A report, or a batch of a fetch's reports, is one unit of work: the caller opens the transaction
and commits it, every stage only flushes, so the reports, their figures, the series points and
alerts they change and the outbox rows land whole or not at all. Each stage takes values and
returns values; the SQL stays in the service of its domain (reports, series, alerts, webhooks).
Once the transaction commits, the outbox rows wake the delivery job (`app.wakeups`).

Structured rows (`app.sources.structured`) bring their figures ready-made and join the route at
`record_figures`.

A review re-runs the same tail as a new report: the days it changes (of the figure's old and new
destination, from its old and new day on, and of their ancestors) are recomputed by the series
service, the alerts there are checked again (`app.alerts.service.revise`: retracted, updated) and
the rules run over the changed days, and the notices go to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.alerts.service import assess, publish, revise, would_raise
from app.demo import demo_source_ids
from app.extract import extract
from app.gazetteer.index import Gazetteer
from app.gazetteer.service import current_gazetteer
from app.reports.models import Figure, Report, ReviewAction
from app.reports.review import Correction, Reviewed, hold, review_figure
from app.reports.service import (
    Checked,
    Ingested,
    NewReport,
    check,
    figure_row,
    store_figures,
    store_reports,
)
from app.series.service import update_series
from app.settings import Settings
from app.sources.models import Source
from app.summary.service import refresh as refresh_summaries


@dataclass(frozen=True, slots=True)
class Recorded:
    """What new figures changed: the series days per destination, the alerts opened, escalated
    or refreshed, and the webhook deliveries written."""

    figures: list[Figure]
    changed: dict[str, set[date]]
    alerts: list[Alert]
    deliveries: int
    held: list[Figure]


def ingest(session: Session, settings: Settings, source: Source, new: NewReport) -> Ingested:
    """Stores `new` from `source` with its figures and updates the series; returns the existing
    report instead when the same text or URL is already stored."""
    return ingest_many(session, settings, source, [check(settings, new)])[0]


def ingest_many(session: Session, settings: Settings, source: Source,
                items: Sequence[Checked]) -> list[Ingested]:
    """Stores a batch of reports from `source` with their figures, then updates the series and
    alerts they touch once for the whole batch. Per item, in order: the report stored, or the
    one already stored with the same text or URL (skipped before extraction)."""
    stored = store_reports(session, source, items)
    gazetteer = current_gazetteer(session)
    rows = extract_figures(settings, gazetteer, stored.created)
    record_figures(session, settings, gazetteer, rows)
    return stored.results


def extract_figures(settings: Settings, gazetteer: Gazetteer,
                    reports: Sequence[Report]) -> list[Figure]:
    """The figure rows the extractor reads in stored reports (no database work: the rows are
    stored by `record_figures`). A figure with no date counts for the day of publication, else
    the day the report came in."""
    rows: list[Figure] = []
    for report in reports:
        published = report.published_at.date() if report.published_at else None
        extracted = extract(
            report.text, published, report.lang, gazetteer=gazetteer,
            household_size=settings.household_size, household_sizes=settings.household_sizes,
        )
        observed_on = published or report.ingested_at.date()
        rows.extend(figure_row(fig, report, observed_on) for fig in extracted)
    return rows


def record_figures(session: Session, settings: Settings, gazetteer: Gazetteer,
                   rows: list[Figure]) -> Recorded:
    """Stores new figure rows and carries them through: the series they touch, the alerts the
    changed days raise, the webhooks those alerts notify. Figures the review policy holds back
    wait (`pending`) and move nothing."""
    figures = store_figures(session, rows)
    held = hold_for_review(session, settings, figures)
    demo_sources = demo_source_ids(session, {f.source_id for f in figures})
    changed: dict[str, set[date]] = {}
    alerts: list[Alert] = []
    deliveries = 0
    # the demo's figures make the demo's series and alerts, real ones the real: never both
    for demo in (False, True):
        ours = [f for f in figures if (f.source_id in demo_sources) == demo]
        touched = {(f.destination_id, f.observed_on) for f in ours
                   if f.destination_id and f.counts}
        if not touched:
            continue
        realm = update_series(session, gazetteer, touched, settings.freshness_days, demo=demo)
        if settings.review == "alerting":
            realm, alerting = hold_alerting(session, settings, gazetteer, ours, realm, demo=demo)
            held += alerting
        summarize(session, realm, demo=demo)
        evaluation = assess(session, gazetteer, realm, demo=demo,
                            incident_window=settings.incident_window)
        deliveries += publish(session, gazetteer, evaluation)
        alerts += evaluation.alerts
        for place_id, days in realm.items():
            changed.setdefault(place_id, set()).update(days)
    return Recorded(figures, changed, alerts, deliveries, held)


def summarize(session: Session, changed: dict[str, set[date]], *, demo: bool) -> int:
    """Rewrites the summaries of the destinations whose series changed (what the overview and
    /api/v1/destinations read, and what their ETags come from), in the same transaction."""
    return refresh_summaries(session, changed, demo=demo)


def hold_for_review(session: Session, settings: Settings, figures: list[Figure]) -> list[Figure]:
    """The figures DISPMON_REVIEW holds back before any series sees them: every one (`all`), or
    those read with a confidence below DISPMON_REVIEW_THRESHOLD (`low_confidence`; structured
    figures have none and count). Only figures with a destination wait: the others move no
    series. `alerting` is decided later, by `hold_alerting`."""
    if settings.review == "all":
        waiting = [f for f in figures if f.destination_id]
        why = "DISPMON_REVIEW=all: every figure waits for a review"
    elif settings.review == "low_confidence":
        waiting = [f for f in figures if f.destination_id and f.confidence is not None
                   and f.confidence < settings.review_threshold]
        why = f"DISPMON_REVIEW=low_confidence: confidence below {settings.review_threshold:g}"
    else:
        return []
    return hold(session, waiting, why)


def hold_alerting(session: Session, settings: Settings, gazetteer: Gazetteer,
                  figures: list[Figure], changed: dict[str, set[date]], *, demo: bool = False
                  ) -> tuple[dict[str, set[date]], list[Figure]]:
    """DISPMON_REVIEW=alerting: the new figures that would raise or escalate a critical alert
    wait. Found by trying, inside the transaction: with the new figures in the series, the
    critical rules are run without applying anything (`would_raise`); the new figures behind
    each such trigger's point are held and their days recomputed without them, and again, until
    no critical trigger stands on a new figure. The other figures count at once; what is left
    of the changes goes on to `assess` as usual. Returns the changed days (of both passes: a
    day changed, then changed back, is still checked) and the figures held."""
    new = {f.id: f for f in figures if f.counts and f.destination_id}
    held: list[Figure] = []
    for _ in range(len(new)):
        triggers = would_raise(session, gazetteer, changed, "critical", demo=demo)
        behind = sorted({int(s["figure_id"]) for t in triggers for s in t.current.sources}
                        & set(new))
        if not behind:
            break
        why = "DISPMON_REVIEW=alerting: would raise " + "; ".join(
            sorted({t.summary for t in triggers}))[:1000]
        waiting = hold(session, [new.pop(i) for i in behind], why)
        held += waiting
        again = update_series(session, gazetteer,
                              {(f.destination_id, f.observed_on) for f in waiting
                               if f.destination_id}, settings.freshness_days, demo=demo)
        for place_id, days in again.items():
            changed.setdefault(place_id, set()).update(days)
    return changed, held


@dataclass(frozen=True, slots=True)
class ReviewApplied:
    """What a review changed: the figure's review, the series days per destination, the alerts
    retracted, updated, escalated or opened, and the webhook deliveries written."""

    reviewed: Reviewed
    changed: dict[str, set[date]]
    alerts: list[Alert]
    deliveries: int


def apply_review(session: Session, settings: Settings, gazetteer: Gazetteer, figure_id: int,
                 action: ReviewAction, *, by: str, reason: str | None,
                 correction: Correction | None = None) -> ReviewApplied:
    """Reviews a figure and carries the review through the series, alerts and webhooks (see
    the module's docstring). The same review again changes nothing and recomputes nothing."""
    reviewed = review_figure(session, settings, gazetteer, figure_id, action, by=by,
                             reason=reason, correction=correction)
    if not reviewed.changed:
        return ReviewApplied(reviewed, {}, [], 0)
    touched = {(v.destination_id, v.observed_on) for v in (reviewed.before, reviewed.after)
               if v is not None and v.destination_id}
    # a review moves the series and alerts of its figure's realm, the demo's or the real one
    demo = bool(demo_source_ids(session, {reviewed.figure.source_id}))
    changed = update_series(session, gazetteer, touched, settings.freshness_days, demo=demo)
    summarize(session, changed, demo=demo)
    who = f"review by {by}"
    revision = revise(session, gazetteer, changed, by=who, reason=reason, demo=demo)
    evaluation = assess(session, gazetteer, changed, skip=revision.checked, demo=demo,
                        incident_window=settings.incident_window)
    deliveries = (publish(session, gazetteer, revision.evaluation)
                  + publish(session, gazetteer, evaluation))
    return ReviewApplied(reviewed, changed,
                         revision.evaluation.alerts + evaluation.alerts, deliveries)
