"""Reports and their figures: every figure row knows its report, source, quote and date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.sources.models import Source


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("source_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"),
                                           index=True)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    published_at: Mapped[datetime | None] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    extractor_version: Mapped[str] = mapped_column(String(32))
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Source] = relationship(lazy="raise")
    figures: Mapped[list[Figure]] = relationship(
        back_populates="report", lazy="raise", order_by="Figure.span_start",
        cascade="all, delete-orphan", passive_deletes=True,
    )


class Figure(Base):
    """One displacement figure as CONTRACT.md defines it, plus where and when it was read."""

    __tablename__ = "figures"
    __table_args__ = (
        Index("ix_figures_destination_observed", "destination_id", "observed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"),
                                           index=True)
    count: Mapped[int] = mapped_column()
    low: Mapped[int | None] = mapped_column()
    high: Mapped[int | None] = mapped_column()
    qualifier: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(16))
    people: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(8))
    destination_id: Mapped[str | None] = mapped_column(String(64))
    destination_name: Mapped[str | None] = mapped_column(String(200))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    destination_level: Mapped[str | None] = mapped_column(String(16))
    origin_id: Mapped[str | None] = mapped_column(String(64))
    origin_name: Mapped[str | None] = mapped_column(String(200))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    origin_level: Mapped[str | None] = mapped_column(String(16))
    # as_of is what the text says; observed_on is the day the series files it under
    # (as_of, else the report's publication date, else the day it was ingested).
    as_of: Mapped[date | None] = mapped_column()
    observed_on: Mapped[date] = mapped_column()
    span_start: Mapped[int] = mapped_column()
    span_end: Mapped[int] = mapped_column()
    quote: Mapped[str] = mapped_column(Text)
    extractor_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="figures", lazy="raise")
