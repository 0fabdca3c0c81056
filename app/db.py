"""The database: declarative base, engine set-up for SQLite and PostgreSQL, the request session,
and the unit of work's after-commit hook (`after_commit`).

Under load, a request waits for one of DISPMON_DB_POOL_SIZE database slots in the event loop
(`app.deps._db_slot`), before its session dependency and handler take a server thread. Waiting in a
thread instead let waiters fill every thread while the connections' holders waited for one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from app.deps import DbSlots as DbSlots
    from app.deps import SessionDep as SessionDep

log = logging.getLogger(__name__)


def __getattr__(name: str) -> object:
    # FastAPI's pieces live in app/deps.py, imported only by the web layer: a command that
    # opens the database (`dispmon apikey create`) starts without importing FastAPI
    if name in ("SessionDep", "DbSlots"):
        from app import deps

        return getattr(deps, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


SQLITE_LOCK_TIMEOUT = 30.0  # seconds a transaction waits for SQLite's single writer
_WRITER = "dispmon_sqlite_writer"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy reads it as is)


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK that `column` holds one of the enum's values (named `column` unless told): the
    enum is the one list of them, for the database as for the API."""
    listed = ",".join(f"'{value}'" for value in values)
    # the values are kept for tests/test_migrations.py, which checks the migrated database
    # allows the same (autogenerate does not compare CHECK constraints)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column,
                           info={"one_of": tuple(str(v) for v in values)})


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas SQLite needs to behave like a server database.

    Statement parameters are never put in errors or logs (`hide_parameters`): they hold
    webhook secrets, key hashes and reports' text."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True,
                               **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # let SQLAlchemy, not the driver, begin transactions (SAVEPOINT works, see "begin")
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_TIMEOUT * 1000:.0f}")
            cursor.close()

        # SQLite has one writer. Threads of this process queue on a lock that wakes the next
        # one at commit, instead of SQLite's busy handler, which polls with growing sleeps and
        # lets a stream of API requests starve the scheduler's jobs.
        writer = threading.Lock()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            if not writer.acquire(timeout=SQLITE_LOCK_TIMEOUT):
                raise OperationalError("BEGIN IMMEDIATE", None,
                                       Exception("database is locked by another thread"))
            conn.info[_WRITER] = True
            try:
                # take the write lock up front: a deferred transaction that reads, then writes
                # after another writer committed, would fail at once instead of waiting
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                del conn.info[_WRITER]
                writer.release()
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _release_writer(conn: Any) -> None:
            if conn.info.pop(_WRITER, False):
                writer.release()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


POOL_RESERVE = 10
"""Connections beyond the requests' slots: the embedded scheduler, /readyz, a fetch run from a
request (which opens its own sessions)."""


def pool_options(url: str, pool_size: int) -> dict[str, int]:
    """The engine's pool for `pool_size` request slots and the reserve beside them (an
    in-memory SQLite database has one connection per thread and no pool to size)."""
    if is_sqlite(url) and make_url(url).database in (None, "", ":memory:"):
        return {}
    return {"pool_size": pool_size, "max_overflow": POOL_RESERVE}


# -- the unit of work's after-commit hook ---------------------------------------------------

_AFTER_COMMIT = "dispmon_after_commit"
"""`session.info` key: the callbacks waiting for the transaction, each with the transaction
(the root or a savepoint) that was innermost when it was registered."""


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Runs `callback` once, after the session's transaction commits; never if it rolls back.

    For work that must only start once the data it needs is visible to others (kicking the
    webhook delivery job after deliveries were written). A callback registered inside a
    savepoint that rolls back is dropped with it. A callback that raises is logged: the
    transaction is committed by then, and the caller's result stands. A callback equal to one
    already waiting is not added again: ten outbox rows kick the delivery job once."""
    waiting = session.info.setdefault(_AFTER_COMMIT, [])
    if any(callback == other for _, other in waiting):
        return
    innermost = session.get_nested_transaction() or session.get_transaction() or session.begin()
    waiting.append((innermost, callback))


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    # also dispatched when a savepoint is released: only the outermost commit counts
    if session.in_nested_transaction():
        return
    for _, callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            log.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A savepoint or the transaction rolled back: its callbacks, and those of the savepoints
    within it, are dropped."""
    waiting = session.info.get(_AFTER_COMMIT)
    if waiting:
        session.info[_AFTER_COMMIT] = [(t, cb) for t, cb in waiting if not _within(t, previous)]


@event.listens_for(Session, "after_transaction_end")
def _drop_unfinished(session: Session, transaction: SessionTransaction) -> None:
    # the outermost transaction ended without a commit (closed, or its connection lost)
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
