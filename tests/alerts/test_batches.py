"""One evaluation of a batch: a few statements whatever the number of places, and a race lost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.engine import Result
from sqlalchemy.orm import ORMExecuteState, Session

from app.alerts.models import Alert, AlertRule
from app.alerts.service import evaluate
from app.db import utcnow
from app.reports.models import Figure, Report
from app.series.service import update_series
from app.sources.models import Source
from tests.alerts.test_rules import D0, Desk

REGIONS = ["LB-AK", "LB-BH", "SY-LA", "SY-TA", "SY-HI", "SY-ID", "SD-DN", "SD-KA"]


@pytest.fixture
def desk(session: Session) -> Desk:
    return Desk(session)


def _file(desk: Desk, figures: dict[str, int], day: date) -> dict[str, set[date]]:
    """Files one figure per place and updates their series together, like one ingested batch;
    returns what changed, for `evaluate`."""
    session = desk.session
    source = session.scalar(select(Source).where(Source.name == "Batch"))
    if source is None:
        source = Source(name="Batch", kind="manual", params={})
        session.add(source)
        session.flush()
    for place, people in figures.items():
        report = Report(source_id=source.id, text=f"{place} {day} {people}",
                        content_hash=f"{place}{day}{people}".ljust(64, "0")[:64],
                        url=f"https://example.org/{place}/{day}/{people}",
                        extractor_version="test")
        session.add(report)
        session.flush()
        session.add(Figure(
            report_id=report.id, source_id=source.id, count=people, qualifier="exact",
            unit="people", people=people, kind="total", destination_id=place, observed_on=day,
            span_start=0, span_end=1, quote=f"{people} people reached {place}",
            extractor_version="test"))
    session.flush()
    changed = update_series(session, desk.gazetteer, {(p, day) for p in figures}, 14)
    session.flush()
    return changed


def _batch(desk: Desk, figures: dict[str, int], day: date) -> list[Alert]:
    return evaluate(desk.session, desk.gazetteer, _file(desk, figures, day))


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """The statements run meanwhile, but the webhook outbox's (a few per notification)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        if "webhook_" not in args[2]:
            seen.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_an_evaluation_is_a_few_statements_whatever_the_number_of_places(
        desk: Desk, backend: str) -> None:
    session, gazetteer = desk.session, desk.gazetteer
    _batch(desk, dict.fromkeys(REGIONS, 400), D0)
    changed = _file(desk, dict.fromkeys(REGIONS, 12_000), D0 + timedelta(days=1))
    with _statements(session) as opening:
        opened = evaluate(session, gazetteer, changed)
    changed = _file(desk, dict.fromkeys(REGIONS, 60_000), D0 + timedelta(days=2))
    with _statements(session) as updating:
        updated = evaluate(session, gazetteer, changed)
    assert len({a.destination_id for a in opened}) >= len(REGIONS)
    assert len({a.destination_id for a in updated}) >= len(REGIONS)
    assert len(opened) + len(updated) > 30
    # rules, points, highs before, alerts, evidence, silences; the inserts under a savepoint
    # or the updates. SQLite inserts row by row (in process); PostgreSQL in one statement. The
    # alerts' history rows are one more statement, however many alerts changed. Incidents
    # (app.incidents): the ones within the window read, those joined updated, the alerts' links
    # written in one statement each; the new incidents inserted as the alerts are.
    for statements in (opening, updating):
        inserts = [s for s in statements if s.startswith("INSERT")]
        assert len(statements) - len(inserts) <= 13, statements
        history = [s for s in inserts if "alert_events" in s]
        assert len(history) == 1, history
        incidents = [s for s in inserts if "INSERT INTO incidents" in s]
        assert len(incidents) <= (1 if backend == "postgresql" else len(opened)), incidents
        assert len(inserts) - 1 - len(incidents) <= (
            1 if backend == "postgresql" else len(opened)), inserts


def test_an_alert_inserted_meanwhile_by_another_evaluation_is_updated(desk: Desk) -> None:
    desk.only("threshold")
    session = desk.session
    rule = session.scalars(select(AlertRule).where(AlertRule.kind == "threshold")).one()
    now = utcnow()
    armed = True

    def race(state: ORMExecuteState) -> Result[Any] | None:
        # another worker inserts Baalbek-Hermel's alert right after this one's lock query
        nonlocal armed
        if not (armed and state.is_select and state.all_mappers
                and state.all_mappers[0].class_ is Alert):
            return None
        armed = False
        result = state.invoke_statement().freeze()
        state.session.connection().execute(insert(Alert).values(
            fingerprint=f"rule:{rule.id}:LB-BH", rule_id=rule.id, destination_id="LB-BH",
            destination_name="Baalbek-Hermel", country="LB", severity="critical",
            status="firing", summary="from another worker", value=10_000,
            notified_value=10_000, data_day=D0, evidence={}, episode=1, opened_at=now,
            last_triggered_at=now, updated_at=now))
        return result()

    event.listen(session, "do_orm_execute", race)
    try:
        _batch(desk, {"LB-AK": 11_000, "LB-BH": 12_000}, D0)
    finally:
        event.remove(session, "do_orm_execute", race)
    assert not armed
    akkar, baalbek = desk.alert("threshold", "LB-AK"), desk.alert("threshold", "LB-BH")
    assert akkar is not None and akkar.status == "firing" and akkar.value == 10_000
    assert baalbek is not None and baalbek.episode == 1
    # the other worker notified already; this evaluation refreshed it with its evidence
    assert baalbek.summary.startswith("Baalbek-Hermel passed 10,000")
    assert baalbek.evidence["current"]["estimate"] == 12_000
    assert [f["people"] for f in baalbek.evidence["figures"]] == [12_000]
    assert session.scalar(select(Alert.id).where(Alert.destination_id == "LB-BH",
                                                 Alert.id != baalbek.id)) is None
    assert desk.events("LB-AK") == ["alert.firing"]
    # the other worker notified already: no second alert.firing; its text is rewritten here
    # (the stand-in row says "from another worker"), and no alert changes what it says untold
    assert desk.events("LB-BH") == ["alert.updated"]
