"""Sources under test: a fake web on 127.0.0.1 the gate may reach, and helpers to read results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.settings import Settings
from app.sources.models import FetchAttempt, Source
from tests.fakeweb import FakeWeb, fake_web

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, scheduler="off", demo=False, public_read=False,
                    outbound_allowlist="127.0.0.1/32", outbound_timeout_seconds=3)


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with fake_web() as server:
        yield server


def add_source(factory: sessionmaker[Session], name: str, kind: str, url: str | None,
               **extra: Any) -> int:
    with factory.begin() as session:
        source = Source(name=name, kind=kind, url=url, params=extra.pop("params", {}), **extra)
        session.add(source)
        session.flush()
        return source.id


def attempts(factory: sessionmaker[Session], source_id: int) -> list[FetchAttempt]:
    with factory() as session:
        return list(session.scalars(select(FetchAttempt).where(FetchAttempt.source_id == source_id)
                                    .order_by(FetchAttempt.id)))


def source_row(factory: sessionmaker[Session], source_id: int) -> Source:
    with factory() as session:
        return session.get_one(Source, source_id)


def reports_of(factory: sessionmaker[Session], source_id: int | None = None) -> list[Report]:
    with factory() as session:
        query = select(Report).order_by(Report.id)
        if source_id is not None:
            query = query.where(Report.source_id == source_id)
        return list(session.scalars(query))


def figures_of(factory: sessionmaker[Session], source_id: int | None = None) -> list[Figure]:
    with factory() as session:
        query = select(Figure).order_by(Figure.id)
        if source_id is not None:
            query = query.where(Figure.source_id == source_id)
        return list(session.scalars(query))


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def point(factory: sessionmaker[Session], place: str, day: Any) -> SeriesPoint | None:
    with factory() as session:
        return session.scalar(select(SeriesPoint).where(SeriesPoint.destination_id == place,
                                                        SeriesPoint.day == day))
