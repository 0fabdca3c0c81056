"""The FastAPI application: routers, error handlers, and the resources its lifespan owns."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import health
from app.alerts.router import router as alerts_router
from app.dashboard.router import SignInRequired, signin_redirect
from app.dashboard.router import router as dashboard_router
from app.db import DbSlots, make_engine, make_sessionmaker, pool_options
from app.errors import install_handlers
from app.gazetteer.index import load_gazetteer
from app.gazetteer.router import router as places_router
from app.http import close_connections
from app.limits import BodySizeLimit
from app.notify.router import router as subscriptions_router
from app.redaction import install_log_redaction
from app.reports.models import Report
from app.reports.router import router as reports_router
from app.scheduler import Scheduler, worker_id
from app.security_headers import SecurityHeaders
from app.series.router import router as series_router
from app.settings import Settings, get_settings
from app.sources.router import router as sources_router
from app.sources.service import declare_configured_sources, ensure_demo_sources, run_source
from app.webhooks.router import router as webhooks_router

log = logging.getLogger(__name__)


def load_demo(factory: sessionmaker[Session], settings: Settings) -> None:
    """Declares the demo source and, when it has no report yet (a new database, or after
    `dispmon demo reset`), replays it at once: into the demo's own series and alerts, apart
    from any real data (app.demo)."""
    with factory.begin() as session:
        empty = [source.id for source in ensure_demo_sources(session)
                 if session.scalar(select(Report.id).where(Report.source_id == source.id)
                                   .limit(1)) is None]
    for source_id in empty:  # the news, then the agency's counts beside them
        outcome = run_source(factory, settings, source_id, worker_id())
        log.info("demo data loaded: %s reports (labelled DEMO)", outcome.reports_new)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url,
                             **pool_options(settings.database_url, settings.db_pool_size))
        factory = make_sessionmaker(engine)
        app.state.db_slots = DbSlots(settings.db_pool_size, settings.db_wait_seconds)
        # every slot holder needs a thread now and then; never let the pool outnumber them
        threads = anyio.to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, 2 * settings.db_pool_size + 10)
        app.state.engine = engine
        app.state.sessionmaker = factory
        load_gazetteer()  # pay the load once, before the first request
        declare_configured_sources(factory, settings)
        if settings.demo:
            load_demo(factory, settings)
        scheduler = Scheduler(factory, settings) if settings.scheduler == "embedded" else None
        app.state.scheduler = scheduler
        if scheduler:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler:
                scheduler.shutdown()
            engine.dispose()
            close_connections()

    app = FastAPI(
        title="Displacement Monitor",
        version="0.1.0",
        description="How many people fled where, on whose word: figures, series per destination "
                    "and alerts. Every number links to its quote, source and date.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, https=settings.https)
    # outermost: the security headers see (and hash the docs' scripts in) the plain body, and
    # only large answers are worth the CPU; streamed answers are compressed as they stream
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)
    app.include_router(health.router)
    app.include_router(reports_router)
    app.include_router(places_router)
    app.include_router(series_router)
    app.include_router(sources_router)
    app.include_router(alerts_router)
    app.include_router(webhooks_router)
    app.include_router(subscriptions_router)
    app.add_exception_handler(SignInRequired, signin_redirect)
    app.mount("/static", StaticFiles(packages=[("app.dashboard", "static")]), name="static")
    app.include_router(dashboard_router)
    return app
