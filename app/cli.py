"""The `dispmon` command: serve, worker, migrate, extract, fetch, replay, rekey, apikey, demo,
summary, gazetteer, corpus.

A command imports what it uses when it runs (the database layer, alembic, FastAPI, the
extractor), never at this module's import: `dispmon apikey create` should not pay for the API
or the gazetteer, nor `dispmon extract` for the database (bench/startup.py measures each).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.errors import DispmonError
from app.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

cli = typer.Typer(help="Displacement Monitor", no_args_is_help=True, add_completion=False)
apikey_cli = typer.Typer(help="Manage API keys", no_args_is_help=True)
cli.add_typer(apikey_cli, name="apikey")
demo_cli = typer.Typer(help="The demo's data, kept apart from real data", no_args_is_help=True)
cli.add_typer(demo_cli, name="demo")
gazetteer_cli = typer.Typer(help="The shipped gazetteer's index", no_args_is_help=True)
cli.add_typer(gazetteer_cli, name="gazetteer")
summary_cli = typer.Typer(help="The per-destination summaries reads use", no_args_is_help=True)
cli.add_typer(summary_cli, name="summary")
corpus_cli = typer.Typer(help="Staff's judgements as an annotated corpus", no_args_is_help=True)
cli.add_typer(corpus_cli, name="corpus")


def _settings(*, secrets: bool = True) -> Settings:
    """The settings from the environment; `secrets` when the command stores or reads secrets
    (everything that opens the database) and so needs DISPMON_SECRET_KEY."""
    try:
        settings = Settings()
        return settings.require_secret_key() if secrets else settings
    except ValueError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _logging(settings: Settings) -> None:
    from app.redaction import install_log_redaction

    install_log_redaction()
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def make_engine(url: str) -> Engine:
    """app.db's, imported when a command opens the database."""
    from app import db

    return db.make_engine(url)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    from app import db

    return db.make_sessionmaker(engine)


def alembic_config(database_url: str) -> Config:
    """Alembic's config: alembic.ini in the working directory, else beside the package."""
    from alembic.config import Config

    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (root / "alembic.ini").is_file() and (root / "migrations").is_dir():
            config = Config(str(root / "alembic.ini"))
            config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
            return config
    raise DispmonError("alembic.ini and migrations/ not found: run from the project folder")


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Brings the database schema up to date (creates an SQLite file if needed)."""
    from alembic import command

    settings = _settings()
    make_engine(settings.database_url).dispose()  # creates the SQLite file's folder
    command.upgrade(alembic_config(settings.database_url), revision)
    typer.echo(f"database at {revision}: {settings.database_url.split('@')[-1]}", err=True)


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="server processes, each "
                                               "with its own DISPMON_DB_POOL_SIZE")] = 1) -> None:
    """Runs the API (and the scheduler when DISPMON_SCHEDULER=embedded)."""
    import uvicorn

    from app.main import create_app

    settings = _settings()
    _logging(settings)
    if workers > 1:
        if settings.scheduler == "embedded":
            # each process would run the jobs: harmless (sources are leased) but wasteful
            typer.echo("note: with --workers, consider DISPMON_SCHEDULER=off and one "
                       "`dispmon worker`", err=True)
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=settings.log_level.lower())
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@cli.command()
def worker() -> None:
    """Runs the scheduled jobs (fetching sources...) without the API, until SIGTERM or Ctrl-C."""
    from app.http import close_connections
    from app.scheduler import Scheduler

    settings = _settings()
    _logging(settings)
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    if settings.sources_file:  # the sources' service (and all it drives) only when needed
        from app.sources.service import declare_configured_sources

        try:
            declare_configured_sources(factory, settings)
        except DispmonError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(2) from exc
    scheduler = Scheduler(factory, settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    logging.getLogger(__name__).info("worker %s started", scheduler.worker)
    stop.wait()
    scheduler.shutdown()
    engine.dispose()
    close_connections()


@cli.command()
def extract(file: Annotated[Path | None, typer.Argument(help="JSONL reports; stdin if absent")]
            = None) -> None:
    """Reads JSONL reports and writes one JSONL line of figures per report (CONTRACT.md)."""
    from app.extract import extract_jsonl

    settings = _settings(secrets=False)
    out = sys.stdout
    if file is None:
        extract_jsonl(sys.stdin, out, household_size=settings.household_size,
                      household_sizes=settings.household_sizes)
        return
    with file.open(encoding="utf-8", errors="replace") as handle:
        extract_jsonl(handle, out, household_size=settings.household_size,
                      household_sizes=settings.household_sizes)


def _run(source_id: int, settings: Settings | None = None) -> None:
    from app.scheduler import worker_id
    from app.sources.models import FetchStatus
    from app.sources.service import run_source

    settings = settings or _settings()
    _logging(settings)
    engine = make_engine(settings.database_url)
    outcome = run_source(make_sessionmaker(engine), settings, source_id, worker_id())
    engine.dispose()
    typer.echo(f"{outcome.status}: {outcome.items_found} items, {outcome.reports_new} new reports"
               + (f"; {outcome.error}" if outcome.error else ""))
    if outcome.status == FetchStatus.ERROR:
        raise typer.Exit(1)


@cli.command()
def fetch(source: Annotated[str, typer.Argument(help="source id or name")]) -> None:
    """Fetches one source now and ingests what it finds."""
    from sqlalchemy import select

    from app.sources.models import Source

    engine = make_engine(_settings().database_url)
    with make_sessionmaker(engine)() as session:
        found = session.scalar(select(Source.id).where(
            Source.id == int(source) if source.isdigit() else Source.name == source))
    engine.dispose()
    if found is None:
        typer.echo(f"no source {source!r}", err=True)
        raise typer.Exit(1)
    _run(found)


@cli.command()
def replay(path: Annotated[Path, typer.Argument(help="a JSONL file or a folder of them")],
           source: Annotated[str | None, typer.Option(help="source name")] = None) -> None:
    """Ingests a JSONL of reports in date order, through the same code as the API."""
    from app.sources.service import replay_source

    resolved = path.resolve()
    settings = _settings()
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine).begin() as session:
        source_id = replay_source(session, source or f"Replay: {resolved.name}", str(resolved)).id
    engine.dispose()
    # whoever runs the command can read the file anyway: this run may read it wherever it is.
    # The source it leaves is disabled; fetched later, it is held to DISPMON_REPLAY_DIR.
    _run(source_id, settings.model_copy(
        update={"replay_dir": resolved if resolved.is_dir() else resolved.parent}))


@cli.command()
def rekey() -> None:
    """Re-encrypts every stored secret with DISPMON_SECRET_KEY (rotation: set the old key as
    DISPMON_SECRET_KEY_PREVIOUS, run this, then drop it)."""
    from app.crypto import secret_box
    from app.notify.service import rekey as rekey_subscriptions
    from app.webhooks.service import rekey as rekey_webhooks

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            count = rekey_webhooks(session, secret_box(settings))
            addresses = rekey_subscriptions(session, secret_box(settings))
    except DispmonError as exc:
        typer.echo(f"error: {exc.detail}; nothing was changed", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo(f"re-encrypted {count} webhook secrets and {addresses} subscription addresses "
               "with DISPMON_SECRET_KEY", err=True)


@apikey_cli.command("create")
def apikey_create(name: Annotated[str, typer.Option(help="who or what uses the key")],
                  scope: Annotated[str, typer.Option(help="read, write or admin")] = "read",
                  ) -> None:
    """Creates an API key and prints it once; only its hash is stored."""
    from app.auth.service import create_key

    engine = make_engine(_settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            key, plain = create_key(session, name, scope)
            typer.echo(f"created key {key.id} ({key.name}, scope {key.scope}); it is shown once:",
                       err=True)
    except DispmonError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo(plain)


@apikey_cli.command("list")
def apikey_list() -> None:
    """Lists keys: id, name, scope, prefix, when last used, and whether revoked."""
    from app.auth.service import list_keys

    engine = make_engine(_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            for key in list_keys(session):
                used = key.last_used_at.isoformat() if key.last_used_at else "never"
                state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
                typer.echo(f"{key.id}\t{key.name}\t{key.scope}\t{key.prefix}...\t"
                           f"last used {used}\t{state}")
    finally:
        engine.dispose()


@apikey_cli.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(help="the key's id (see `apikey list`)")],
                  ) -> None:
    """Revokes a key: it stops working at once, and so does every dashboard sign-in made with it."""
    from app.auth.service import revoke_key_by_id

    engine = make_engine(_settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            key = revoke_key_by_id(session, key_id)
            typer.echo(f"revoked key {key.id} ({key.name})", err=True)
    except DispmonError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


@demo_cli.command("reset")
def demo_reset() -> None:
    """Deletes the demo: its sources, reports, figures, series and alerts (with their webhook
    events), and nothing else. A process started with DISPMON_DEMO loads it again."""
    from app.demo import reset
    from app.gazetteer.service import current_gazetteer

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            removed = reset(session, current_gazetteer(session), settings.freshness_days)
    finally:
        engine.dispose()
    typer.echo(f"removed the demo: {removed.sources} sources, {removed.reports} reports, "
               f"{removed.series_points} series points, {removed.alerts} alerts", err=True)


@summary_cli.command("rebuild")
def summary_rebuild() -> None:
    """Recomputes every destination's summary (what the overview and /api/v1/destinations
    read) from the stored series; the migration that adds them runs it once. Safe to rerun."""
    from app.summary.service import rebuild

    settings = _settings(secrets=False)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            written = rebuild(session)
    finally:
        engine.dispose()
    typer.echo(f"rebuilt {written} destination summaries", err=True)


@gazetteer_cli.command("build")
def gazetteer_build() -> None:
    """Builds the gazetteer's index from the shipped data (`make install` and the image run it;
    otherwise the first command that needs it does), and prints where it is."""
    from app.gazetteer.store import index_path

    path = index_path()
    if path is None:
        typer.echo("error: no folder to write the index to; the gazetteer loads in memory",
                   err=True)
        raise typer.Exit(1)
    typer.echo(str(path))


@corpus_cli.command("export")
def corpus_export(
    since: Annotated[str | None, typer.Option(help="only reviews on or after this day "
                                                   "(YYYY-MM-DD)")] = None,
    out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
) -> None:
    """Writes the reports staff reviewed as JSONL in the annotated corpora's format (confirmed
    and corrected figures as gold, rejected ones' numbers as distractors), for eval/score.py."""
    import json
    from datetime import UTC, date, datetime

    from app.reports.corpus import export

    try:
        start = (datetime.combine(date.fromisoformat(since), datetime.min.time(), tzinfo=UTC)
                 if since else None)
    except ValueError as exc:
        typer.echo(f"--since {since!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(_settings().database_url)
    count = 0
    try:
        with make_sessionmaker(engine)() as session, (
                out.open("w", encoding="utf-8") if out else _stdout()) as sink:
            for line in export(session, start):
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    finally:
        engine.dispose()
    typer.echo(f"exported {count} reviewed reports", err=True)


def _stdout() -> Any:
    """stdout as a context manager that leaves it open."""
    from contextlib import nullcontext

    return nullcontext(sys.stdout)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
