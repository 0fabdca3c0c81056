"""The unit of work's after-commit hook: a callback runs once, after its transaction commits."""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import after_commit
from app.sources.models import Source


def _source(session: Session, name: str) -> None:
    session.add(Source(name=name, kind="manual", credibility="C", params={}))
    session.flush()


def _sources(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count(Source.id))) or 0


def test_a_callback_runs_once_after_the_commit(factory: sessionmaker[Session]) -> None:
    calls: list[int] = []
    with factory() as session:
        _source(session, "Desk A")
        # what the callback sees: the rows are committed, visible to another session
        after_commit(session, lambda: calls.append(_sources(factory)))
        session.flush()
        assert calls == []
        session.commit()
        assert calls == [1]
        _source(session, "Desk B")
        session.commit()  # the next transaction of the same session does not run it again
    assert calls == [1]


def test_an_equal_callback_waits_once(factory: sessionmaker[Session]) -> None:
    calls: list[str] = []
    ping = functools.partial(calls.append, "ping")
    with factory() as session:
        _source(session, "Desk A")
        for _ in range(3):
            after_commit(session, ping)
        after_commit(session, lambda: calls.append("other"))
        session.commit()
    assert calls == ["ping", "other"]


def test_a_callback_never_runs_after_a_rollback(factory: sessionmaker[Session]) -> None:
    calls: list[str] = []
    with factory() as session:
        _source(session, "Desk A")
        after_commit(session, lambda: calls.append("rolled back"))
        session.rollback()
        _source(session, "Desk B")
        session.commit()
    with factory() as session:
        _source(session, "Desk C")
        after_commit(session, lambda: calls.append("closed"))
    # closed without a commit: dropped, not left for the session's next transaction
    with factory.begin() as session:
        _source(session, "Desk D")
    assert calls == []


def test_a_savepoint_keeps_or_drops_its_callbacks(factory: sessionmaker[Session]) -> None:
    calls: list[str] = []
    with factory() as session:
        _source(session, "Desk A")
        with session.begin_nested():
            after_commit(session, lambda: calls.append("released"))
        assert calls == []  # a released savepoint is no commit
        savepoint = session.begin_nested()
        after_commit(session, lambda: calls.append("rolled back"))
        savepoint.rollback()
        after_commit(session, lambda: calls.append("outer"))
        session.commit()
    assert calls == ["released", "outer"]


def test_a_failing_callback_leaves_the_commit_standing(factory: sessionmaker[Session],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("scheduler gone")

    with factory() as session:
        _source(session, "Desk A")
        after_commit(session, broken)
        after_commit(session, lambda: calls.append("next"))
        session.commit()
    assert calls == ["next"]
    assert _sources(factory) == 1
    assert "after-commit callback" in caplog.text
