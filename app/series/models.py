"""Series points: one row per destination and day, recomputed when a figure lands."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, TypedDict

from sqlalchemy import JSON, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class PointSource(TypedDict):
    """A figure behind a point, as `SeriesPoint.sources` keeps it; series, alerts and the
    dashboard read it, so a renamed key fails in mypy."""

    source_id: int
    source: str  # the source's name
    figure_id: int
    people: int
    day: str  # ISO date the figure refers to


class PointValues(Protocol):
    """What a summary reads of a point: a stored row, or a plain row of these columns."""

    @property
    def day(self) -> date: ...
    @property
    def estimate(self) -> int: ...
    @property
    def low(self) -> int: ...
    @property
    def high(self) -> int: ...
    @property
    def new_arrivals(self) -> int: ...
    @property
    def sources(self) -> list[PointSource]: ...
    @property
    def fresh_until(self) -> date | None: ...
    @property
    def stale(self) -> bool: ...


class PointLike(PointValues, Protocol):
    """What a read shows of a point: its values and the columns that summarise its sources."""

    @property
    def source_count(self) -> int: ...
    @property
    def top_sources(self) -> list[PointSource]: ...
    @property
    def source_names(self) -> str: ...


class SeriesPoint(Base):
    __tablename__ = "series_points"
    __table_args__ = (UniqueConstraint("destination_id", "day", "demo"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[str] = mapped_column(String(64))
    # the gazetteer parent, so a parent's sum reads its children's points with one indexed query
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    day: Mapped[date] = mapped_column()
    # the demo's series of a destination, beside its real one and never summed with it (app.demo)
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    estimate: Mapped[int] = mapped_column()
    low: Mapped[int] = mapped_column()
    high: Mapped[int] = mapped_column()
    new_arrivals: Mapped[int] = mapped_column(default=0)
    # the figures behind the estimate, for traceability
    sources: Mapped[list[PointSource]] = mapped_column(JSON, default=list)
    # what an answer shows of them, kept beside the list so that no answer decodes it: their
    # number, the few that set the estimate (app.series.service.leading) and the distinct
    # source names as the CSV writes them; set with `sources`, always
    source_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    top_sources: Mapped[list[PointSource]] = mapped_column(JSON, default=list,
                                                           server_default=text("'[]'"))
    source_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the last day the newest figure behind the point is fresh; past it the point holds the
    # estimate (stale) rather than letting it fall because no one reported again
    fresh_until: Mapped[date | None] = mapped_column()
    stale: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
