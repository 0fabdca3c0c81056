"""The schema is built only by the migrations, and the migrations match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.cli import alembic_config
from app.db import make_engine
from app.models import Base
from tests.conftest import TemplateDatabase, drop_pg_database, migrate, new_empty_database


def test_upgrade_to_head_then_downgrade_to_base(template_db: TemplateDatabase,
                                                tmp_path: Path) -> None:
    url, server = new_empty_database(template_db.backend, tmp_path)
    try:
        migrate(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
        from alembic import command

        command.downgrade(alembic_config(url), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate(url)  # and back up again: downgrades leave nothing behind that blocks it
        engine.dispose()
    finally:
        if server:
            drop_pg_database(server, url.rsplit("/", 1)[-1])


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_migration_files_are_named_by_date_and_slug() -> None:
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    names = sorted(p.name for p in versions.glob("*.py"))
    assert names
    for name in names:
        date_part, _, slug = name.partition("_")
        assert len(date_part) == len("2026-11-21-2307"), name
        assert slug.endswith(".py") and slug[:-3].replace("_", "").isalnum(), name
