"""Test databases and clients, on SQLite and (when DISPMON_TEST_POSTGRES_URL is set) PostgreSQL.

Each backend gets one database per run, built by running the migrations; every test gets its own
copy of it (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), so tests run the
real application, commits included, and never see each other's data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.cli import alembic_config
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.settings import Settings

# every Settings() of the tests, and of the processes they start, has a key to encrypt with
os.environ.setdefault("DISPMON_SECRET_KEY", "tests-only-secret-key-of-forty-characters")
PG_URL = os.environ.get("DISPMON_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]
_clone_numbers = count(1)


@dataclass
class TemplateDatabase:
    backend: str
    url: str
    server_url: str | None = None  # PostgreSQL: where to CREATE/DROP DATABASE

    def clone(self, tmp: Path) -> str:
        if self.backend == "sqlite":
            target = tmp / "dispmon.db"
            shutil.copyfile(make_url(self.url).database or "", target)
            return f"sqlite:///{target}"
        name = f"{make_url(self.url).database}_{next(_clone_numbers)}"
        _pg_admin(self.server_url or "", f'CREATE DATABASE "{name}" TEMPLATE '
                                        f'"{make_url(self.url).database}"')
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if self.backend == "postgres":
            drop_pg_database(self.server_url or "", make_url(url).database or "")


def _pg_admin(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def drop_pg_database(server_url: str, name: str) -> None:
    _pg_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_empty_database(backend: str, tmp: Path) -> tuple[str, str | None]:
    """An empty database of `backend`: its URL, and for PostgreSQL the server URL to drop it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'empty-{uuid.uuid4().hex[:8]}.db'}", None
    assert PG_URL
    name = f"dispmon_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), PG_URL


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@pytest.fixture(scope="session", params=BACKENDS)
def template_db(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabase]:
    backend: str = request.param
    url, server = new_empty_database(backend, tmp_path_factory.mktemp(backend))
    migrate(url)
    yield TemplateDatabase(backend, url, server)
    if server:
        drop_pg_database(server, make_url(url).database or "")


@pytest.fixture
def backend(template_db: TemplateDatabase) -> str:
    return template_db.backend


@pytest.fixture
def db_url(template_db: TemplateDatabase, tmp_path: Path) -> Iterator[str]:
    url = template_db.clone(tmp_path)
    yield url
    template_db.drop(url)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, scheduler="off", demo=False, public_read=False)


@pytest.fixture
def factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _key_headers(factory: sessionmaker[Session], scope: str) -> dict[str, str]:
    with factory.begin() as session:
        _, plain = create_key(session, f"test {scope}", scope)
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(factory: sessionmaker[Session]) -> dict[str, str]:
    return _key_headers(factory, "admin")


@pytest.fixture
def writer(factory: sessionmaker[Session]) -> dict[str, str]:
    return _key_headers(factory, "write")


@pytest.fixture
def reader(factory: sessionmaker[Session]) -> dict[str, str]:
    return _key_headers(factory, "read")
