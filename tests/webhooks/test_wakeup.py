"""An ingested report's webhook deliveries wake the delivery job once its transaction commits,
through the unit of work's after-commit hook: never before the commit, never after a rollback,
and with no listener of the scheduler's on the session factory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from app import wakeups
from app.crypto import secret_box
from app.pipeline import ingest
from app.reports.service import NewReport, manual_source
from app.scheduler import Scheduler
from app.settings import Settings
from app.webhooks.models import WebhookDelivery
from app.webhooks.service import DELIVERY_JOB, create_endpoint

APRIL_20 = datetime(2025, 4, 20, tzinfo=UTC)


def _report(people: str) -> NewReport:
    # crosses the default rules' 10,000 threshold (critical) in a new destination (warning)
    return NewReport(text=f"Some {people} people have arrived in Hermel district of Lebanon.",
                     published_at=APRIL_20)


def _deliveries(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count(WebhookDelivery.id))) or 0


@pytest.fixture
def subscribed(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory.begin() as session:
        # never sent: no delivery job runs in these tests
        create_endpoint(session, secret_box(settings), url="http://127.0.0.1:9/hook",
                        description=None, destinations=None, min_severity="info", secret=None)


@pytest.fixture
def woken(factory: sessionmaker[Session]) -> Iterator[list[tuple[str, int]]]:
    """The jobs woken on the test's database, each with the deliveries another session saw
    at that moment."""
    calls: list[tuple[str, int]] = []
    engine: Engine = factory.kw["bind"]

    def wake(job: str) -> None:
        calls.append((job, _deliveries(factory)))

    wakeups.listen(engine, wake)
    yield calls
    wakeups.stop_listening(engine, wake)


@pytest.mark.usefixtures("subscribed")
def test_an_ingested_reports_deliveries_wake_the_job_after_commit(
        factory: sessionmaker[Session], settings: Settings,
        woken: list[tuple[str, int]]) -> None:
    with factory() as session:
        ingest(session, settings, manual_source(session, "Field team"), _report("12,000"))
        written = session.scalar(select(func.count(WebhookDelivery.id)))
        assert written == 2  # alert.firing for the new destination and the threshold
        assert woken == []
        session.commit()
    # once for the transaction, however many deliveries, and they were visible by then
    assert woken == [(DELIVERY_JOB, 2)]


@pytest.mark.usefixtures("subscribed")
def test_a_rolled_back_ingest_wakes_nothing(factory: sessionmaker[Session], settings: Settings,
                                            woken: list[tuple[str, int]]) -> None:
    with factory() as session:
        ingest(session, settings, manual_source(session, "Field team"), _report("12,000"))
        assert session.scalar(select(func.count(WebhookDelivery.id))) == 2
        session.rollback()
    with factory.begin() as session:  # a later commit with no deliveries
        manual_source(session, "Another team")
    assert woken == []
    assert _deliveries(factory) == 0


@pytest.mark.usefixtures("subscribed")
def test_the_scheduler_is_woken_without_a_listener_on_the_session_factory(
        factory: sessionmaker[Session], settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    kicked: list[str] = []
    # the jobs never run: started, the scheduler only kicks, and its tick is an hour away
    monkeypatch.setattr(Scheduler, "kick", lambda _self, name: kicked.append(name))
    scheduler = Scheduler(factory, settings.model_copy(update={"scheduler_tick_seconds": 3600}))
    assert not event.contains(factory, "after_commit", scheduler.kick)
    scheduler.start()
    try:
        kicked.clear()  # start kicks every job once
        with factory.begin() as session:
            ingest(session, settings, manual_source(session, "Field team"), _report("12,000"))
            assert kicked == []
        assert kicked == [DELIVERY_JOB]
    finally:
        scheduler.shutdown()
    with factory.begin() as session:  # a stopped scheduler is not woken
        ingest(session, settings, manual_source(session, "Field team"), _report("60,000"))
    # the threshold alert escalated past 50,000; the new destination's now says 60,000 (updated)
    assert _deliveries(factory) == 4
    assert kicked == [DELIVERY_JOB]
