"""The schema is built only by the migrations, and the migrations match the models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.cli import alembic_config
from app.crypto import secret_box
from app.db import make_engine
from app.models import Base
from app.settings import Settings
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


def test_enum_check_constraints_allow_what_the_enums_list(db_url: str) -> None:
    """A state or kind added to an enum (app.db.one_of) needs a migration of its CHECK."""
    engine = create_engine(db_url)
    checked = 0
    with engine.connect() as conn:
        inspector = inspect(conn)
        for table in Base.metadata.sorted_tables:
            db = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
            for constraint in table.constraints:
                if "one_of" not in constraint.info:
                    continue
                name = str(constraint.name)
                assert name in db, f"{name} is not in the migrated database"
                allowed = set(re.findall(r"'([^']*)'", db[name]))
                assert allowed == set(constraint.info["one_of"]), (
                    f"{name}: the database allows {sorted(allowed)}, the enum lists "
                    f"{sorted(constraint.info['one_of'])}; write a migration")
                checked += 1
    engine.dispose()
    assert checked >= 6  # alerts' kinds, severities, states; webhooks'; fetch attempts'


def test_migration_files_are_named_by_date_and_slug() -> None:
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    names = sorted(p.name for p in versions.glob("*.py"))
    assert names
    for name in names:
        date_part, _, slug = name.partition("_")
        assert len(date_part) == len("2026-11-21-2307"), name
        assert slug.endswith(".py") and slug[:-3].replace("_", "").isalnum(), name


def test_webhook_secrets_are_encrypted_on_the_way_up_and_kept_on_the_way_down(
        template_db: TemplateDatabase, tmp_path: Path) -> None:
    from alembic import command

    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQy"
    url, server = new_empty_database(template_db.backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(url, "0004")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO webhook_endpoints (url, secret, min_severity, enabled, created_at,"
                " updated_at) VALUES ('https://h.example/', :secret, 'info', true, :now, :now)"),
                {"secret": secret, "now": datetime.now(UTC)})
        migrate(url, "0005")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT secret_encrypted FROM webhook_endpoints")).scalar()
            assert "secret" not in {c["name"] for c in inspect(conn).get_columns(
                "webhook_endpoints")}
        assert stored and secret[6:] not in stored
        assert secret_box(Settings(database_url=url)).decrypt(stored) == secret
        command.downgrade(alembic_config(url), "0004")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT secret FROM webhook_endpoints")).scalar() == secret
    finally:
        engine.dispose()
        if server:
            drop_pg_database(server, url.rsplit("/", 1)[-1])
