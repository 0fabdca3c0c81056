"""The summary of a destination's series in one realm, rewritten with the series itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from sqlalchemy import JSON, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SparkPoint(TypedDict):
    """A point of the last 60 days, as the overview's sparkline draws it (ISO dates)."""

    day: str
    estimate: int
    low: int
    high: int
    new_arrivals: int
    fresh_until: str | None


class DestinationSummary(Base):
    """One row per destination and realm. `latest_day` is None once the series has no point
    left (the row stays, so its `version` keeps counting and an ETag never comes back)."""

    __tablename__ = "destination_summaries"
    __table_args__ = (
        UniqueConstraint("demo", "destination_id"),
        # the overview: the realm's destinations by latest movement
        Index("ix_destination_summaries_demo_as_of", "demo", "as_of", "estimate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[str] = mapped_column(String(64))
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the series' last point
    latest_day: Mapped[date | None] = mapped_column()
    latest_estimate: Mapped[int] = mapped_column(default=0)
    latest_low: Mapped[int] = mapped_column(default=0)
    latest_high: Mapped[int] = mapped_column(default=0)
    fresh_until: Mapped[date | None] = mapped_column()
    last_report: Mapped[date | None] = mapped_column()
    # the last day the estimate moved or people arrived, within the last 60 days, and the point
    # there, with the changes of fresh values over 3 and 7 days before it
    as_of: Mapped[date | None] = mapped_column()
    estimate: Mapped[int] = mapped_column(default=0)
    low: Mapped[int] = mapped_column(default=0)
    high: Mapped[int] = mapped_column(default=0)
    change_3d: Mapped[int | None] = mapped_column()
    change_7d: Mapped[int | None] = mapped_column()
    # the sparkline: the points of the last 60 days up to `as_of`
    points: Mapped[list[SparkPoint]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
