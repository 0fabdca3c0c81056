"""The sources table (one row per place reports come from) and the record of every fetch."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, one_of, utcnow

CREDIBILITY_GRADES = ("A", "B", "C", "D", "E", "F")
Credibility = Literal["A", "B", "C", "D", "E", "F"]
"""How far a source's word is trusted: A most, F cannot be judged (the API's literal)."""


class FetchStatus(StrEnum):
    """How a fetch attempt went: still running, or ok, not modified, or failed."""

    RUNNING = "running"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint("credibility IN ('A','B','C','D','E','F')", name="credibility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(Text)
    credibility: Mapped[str] = mapped_column(String(1), default="C")
    lang: Mapped[str | None] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(default=True)
    demo: Mapped[bool] = mapped_column(default=False)
    interval_seconds: Mapped[int] = mapped_column(default=3600)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # scheduling: due when next_fetch_at has passed and no live lease holds it
    next_fetch_at: Mapped[datetime | None] = mapped_column(index=True)
    lease_until: Mapped[datetime | None] = mapped_column()
    leased_by: Mapped[str | None] = mapped_column(String(100))
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    last_fetch_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    # conditional GET validators of the last successful fetch
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    # what a fetcher carries to its next run (a GDELT query's window end), kept on success only
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FetchAttempt(Base):
    """One fetch of a source, whatever its outcome: what staff read to see why a source is quiet."""

    __tablename__ = "fetch_attempts"
    __table_args__ = (
        one_of("status", FetchStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"),
                                           index=True)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=FetchStatus.RUNNING)
    http_status: Mapped[int | None] = mapped_column()
    items_found: Mapped[int] = mapped_column(default=0)
    reports_new: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
