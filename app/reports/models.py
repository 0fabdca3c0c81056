"""Reports and their figures: every figure row knows its report, source, quote and date, how
sure the extractor was, and what staff said of it (its review state, a correction kept apart
from what was read, and every review in `figure_reviews`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.sources.models import Source


class ReviewState(StrEnum):
    """Where a figure stands with staff. `auto`: counted as read, no one looked; `pending`:
    waits for a person (DISPMON_REVIEW) and counts for nothing until then; `confirmed`: counted
    as read; `rejected`: counts for nothing; `corrected`: counted with the corrected values."""

    AUTO = "auto"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CORRECTED = "corrected"


COUNTED_STATES = (ReviewState.AUTO, ReviewState.CONFIRMED, ReviewState.CORRECTED)
"""The states in which a figure counts in series and alerts."""


class ReviewAction(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"
    CORRECT = "correct"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({','.join(repr(v.value) for v in values)})"


@dataclass(frozen=True, slots=True)
class FigureValues:
    """What a figure says, as read or as corrected: the fields a review may change and those
    that follow from them (people, through the household size; the day it counts for)."""

    count: int
    low: int | None
    high: int | None
    unit: str
    qualifier: str
    kind: str
    people: int
    destination_id: str | None
    destination_name: str | None
    destination_country: str | None
    destination_level: str | None
    as_of: date | None
    observed_on: date

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count, "low": self.low, "high": self.high, "unit": self.unit,
            "qualifier": self.qualifier, "kind": self.kind, "people": self.people,
            "destination": self.destination_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "observed_on": self.observed_on.isoformat(),
        }


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
        Index("ix_figures_corrected_destination_observed", "corrected_destination_id",
              "corrected_observed_on"),
        # the review queue, oldest first
        Index("ix_figures_review_state_id", "review_state", "id"),
        CheckConstraint(_in("review_state", ReviewState), name="review_state"),
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
    # the extractor's confidence in [0, 1]; null for figures not read from text (HXL, HAPI)
    confidence: Mapped[float | None] = mapped_column()
    review_state: Mapped[str] = mapped_column(String(16), default=ReviewState.AUTO.value,
                                              server_default=ReviewState.AUTO.value)
    # a correction: every field filled while the state is `corrected` (the corrected values
    # and the rest as read), empty otherwise; the columns above stay as the extractor read them
    corrected_count: Mapped[int | None] = mapped_column()
    corrected_unit: Mapped[str | None] = mapped_column(String(16))
    corrected_qualifier: Mapped[str | None] = mapped_column(String(16))
    corrected_kind: Mapped[str | None] = mapped_column(String(8))
    corrected_people: Mapped[int | None] = mapped_column()
    corrected_destination_id: Mapped[str | None] = mapped_column(String(64))
    corrected_destination_name: Mapped[str | None] = mapped_column(String(200))
    corrected_destination_country: Mapped[str | None] = mapped_column(String(2))
    corrected_destination_level: Mapped[str | None] = mapped_column(String(16))
    corrected_as_of: Mapped[date | None] = mapped_column()
    corrected_observed_on: Mapped[date | None] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column()

    report: Mapped[Report] = relationship(back_populates="figures", lazy="raise")

    @property
    def counts(self) -> bool:
        return self.review_state in COUNTED_STATES

    def original(self) -> FigureValues:
        """The figure as the extractor read it (never changed by a review)."""
        return FigureValues(
            count=self.count, low=self.low, high=self.high, unit=self.unit,
            qualifier=self.qualifier, kind=self.kind, people=self.people,
            destination_id=self.destination_id, destination_name=self.destination_name,
            destination_country=self.destination_country,
            destination_level=self.destination_level, as_of=self.as_of,
            observed_on=self.observed_on,
        )

    def current(self) -> FigureValues:
        """The figure as it counts: corrected, or as read."""
        if self.review_state != ReviewState.CORRECTED or self.corrected_count is None:
            return self.original()
        assert self.corrected_unit and self.corrected_qualifier and self.corrected_kind
        assert self.corrected_people is not None and self.corrected_observed_on is not None
        return FigureValues(
            count=self.corrected_count, low=None, high=None, unit=self.corrected_unit,
            qualifier=self.corrected_qualifier, kind=self.corrected_kind,
            people=self.corrected_people, destination_id=self.corrected_destination_id,
            destination_name=self.corrected_destination_name,
            destination_country=self.corrected_destination_country,
            destination_level=self.corrected_destination_level, as_of=self.corrected_as_of,
            observed_on=self.corrected_observed_on,
        )

    def set_correction(self, values: FigureValues | None) -> None:
        """Writes (or, with None, clears) the correction columns."""
        self.corrected_count = values.count if values else None
        self.corrected_unit = values.unit if values else None
        self.corrected_qualifier = values.qualifier if values else None
        self.corrected_kind = values.kind if values else None
        self.corrected_people = values.people if values else None
        self.corrected_destination_id = values.destination_id if values else None
        self.corrected_destination_name = values.destination_name if values else None
        self.corrected_destination_country = values.destination_country if values else None
        self.corrected_destination_level = values.destination_level if values else None
        self.corrected_as_of = values.as_of if values else None
        self.corrected_observed_on = values.observed_on if values else None


class FigureReview(Base):
    """One change of a figure's review state or correction: who, when, why, before and after.
    Rows are only ever added."""

    __tablename__ = "figure_reviews"
    __table_args__ = (
        CheckConstraint(_in("action", ReviewAction) + " OR action = 'policy'", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    figure_id: Mapped[int] = mapped_column(ForeignKey("figures.id", ondelete="CASCADE"),
                                           index=True)
    # confirm | reject | correct by a person, or `policy`: DISPMON_REVIEW held it back
    action: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    # {"state": ..., "values": FigureValues.as_json()} on each side
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)
