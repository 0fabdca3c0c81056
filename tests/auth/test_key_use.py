"""Recording a key's use never queues its concurrent requests behind one another (issue 13,
item 1): each request used to write the key's row and hold its lock to the end."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.auth.models import ApiKey
from app.auth.service import authenticate, create_key


def test_a_key_in_use_by_an_open_transaction_does_not_block_another(
        backend: str, factory: sessionmaker[Session]) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has one writer: two write transactions never overlap")
    with factory.begin() as session:
        _, plain = create_key(session, "busy", "read")
    with factory() as first, factory() as second:
        authenticate(first, plain)
        first.flush()  # the first request holds the row, as it would until its end
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        authenticate(second, plain)
        second.commit()  # used to fail: lock timeout on the key's row
        first.commit()


def test_use_is_recorded_at_most_once_a_minute(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        _, plain = create_key(session, "used", "read")
    with factory.begin() as session:
        key = authenticate(session, plain)
    with factory() as session:
        first = session.get_one(ApiKey, key.id).last_used_at
    assert first is not None
    with factory.begin() as session:
        authenticate(session, plain)
    with factory() as session:
        assert session.get_one(ApiKey, key.id).last_used_at == first
