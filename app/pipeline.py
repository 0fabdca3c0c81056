"""The route of a report, from its text to the webhook outbox, in one place.

    ingest_many  store reports -> extract figures -> record_figures
    record_figures  store figures -> update series -> assess alerts -> publish to the outbox

A report, or a batch of a fetch's reports, is one unit of work: the caller opens the transaction
and commits it, every stage only flushes, so the reports, their figures, the series points and
alerts they change and the outbox rows land whole or not at all. Each stage takes values and
returns values; the SQL stays in the service of its domain (reports, series, alerts, webhooks).
Once the transaction commits, the outbox rows wake the delivery job (`app.wakeups`).

Structured rows (`app.sources.structured`) bring their figures ready-made and join the route at
`record_figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.alerts.service import assess, publish
from app.demo import demo_source_ids
from app.extract import extract
from app.gazetteer.index import Gazetteer
from app.gazetteer.service import current_gazetteer
from app.reports.models import Figure, Report
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


@dataclass(frozen=True, slots=True)
class Recorded:
    """What new figures changed: the series days per destination, the alerts opened, escalated
    or refreshed, and the webhook deliveries written."""

    figures: list[Figure]
    changed: dict[str, set[date]]
    alerts: list[Alert]
    deliveries: int


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
    changed days raise, the webhooks those alerts notify."""
    figures = store_figures(session, rows)
    demo_sources = demo_source_ids(session, {f.source_id for f in figures})
    changed: dict[str, set[date]] = {}
    alerts: list[Alert] = []
    deliveries = 0
    # the demo's figures make the demo's series and alerts, real ones the real: never both
    for demo in (False, True):
        touched = {(f.destination_id, f.observed_on) for f in figures
                   if f.destination_id and (f.source_id in demo_sources) == demo}
        if not touched:
            continue
        realm = update_series(session, gazetteer, touched, settings.freshness_days, demo=demo)
        evaluation = assess(session, gazetteer, realm, demo=demo)
        deliveries += publish(session, gazetteer, evaluation)
        alerts += evaluation.alerts
        for place_id, days in realm.items():
            changed.setdefault(place_id, set()).update(days)
    return Recorded(figures, changed, alerts, deliveries)
