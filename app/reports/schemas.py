"""What the reports API takes and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from annotated_types import MaxLen
from pydantic import BaseModel, Field, field_validator, model_validator

from app.limits import (
    MAX_NAME,
    MAX_TEXT,
    ContentText,
    Count,
    Day,
    InputModel,
    Name,
    PlaceId,
    ShortText,
    Text,
    Url,
    as_utc,
)
from app.sources.models import Credibility

Unit = Literal["people", "families", "households"]
Qualifier = Literal["exact", "at_least", "more_than", "about", "up_to", "less_than", "vague"]
Kind = Literal["total", "new"]
ReviewStateName = Literal["auto", "pending", "confirmed", "rejected", "corrected"]


class SubmittedSource(InputModel):
    """The outlet or team a report comes from, with how far its word is trusted."""

    name: Name = Field(description="Name of the submitting outlet or team")
    credibility: Credibility | None = Field(
        default=None, description="A (most reliable) to F (cannot be judged). Sets it for a new "
        "source; for an existing one it must match, unless the key is an admin's, which changes "
        "it (as PATCH /api/v1/sources/{id} does)")


class ReportIn(InputModel):
    """A report as field staff or a partner system submits it; NUL characters in its text and
    title are removed."""

    content_fields: ClassVar[frozenset[str]] = frozenset({"text", "title"})

    text: ContentText = Field(min_length=1, description="The report's full text")
    title: ContentText | None = Field(default=None, max_length=MAX_TEXT)
    url: Url | None = None
    published_at: datetime | date | None = Field(
        default=None, description="When the report was published (ISO date or date-time)"
    )
    source: Annotated[Text, MaxLen(MAX_NAME)] | SubmittedSource | None = Field(
        default=None, description="Name of the submitting outlet or team, or "
        '{"name": ..., "credibility": "A".."F"}'
    )
    lang: Text | None = Field(default=None, max_length=8, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z]+)?$")

    @field_validator("published_at")
    @classmethod
    def _as_utc(cls, value: datetime | date | None) -> datetime | None:
        return None if value is None else as_utc(value)

    def submitted_source(self) -> SubmittedSource | None:
        if isinstance(self.source, str):
            return SubmittedSource(name=self.source) if self.source else None
        return self.source

    def published(self) -> datetime | None:
        value = self.published_at
        assert value is None or isinstance(value, datetime)  # normalised by the validator
        return value


class PlaceRef(BaseModel):
    id: str
    name: str
    country: str
    level: str


class AsRead(BaseModel):
    """A corrected figure as the extractor read it (never changed by a review)."""

    count: int
    low: int | None
    high: int | None
    qualifier: str
    unit: str
    people: int
    kind: str
    destination: PlaceRef | None
    as_of: date | None
    observed_on: date


class FigureOut(BaseModel):
    """A figure as it counts: corrected where staff corrected it (`as_read` then holds what the
    extractor read), with its review state; a `pending` or `rejected` one counts for nothing."""

    id: int
    report_id: int
    source_id: int
    source: str | None = None
    credibility: str = Field(description="the source's credibility, A (most reliable) to F")
    count: int
    low: int | None
    high: int | None
    qualifier: str
    unit: str
    people: int
    kind: str
    destination: PlaceRef | None
    origin: PlaceRef | None
    as_of: date | None
    observed_on: date
    span: tuple[int, int]
    quote: str
    extractor_version: str
    demo: bool = False
    confidence: float | None = None
    review: ReviewStateName = "auto"
    as_read: AsRead | None = None


class ReviewIn(InputModel):
    """A review of a figure: `confirm` it as read, `reject` it (it counts for nothing), or
    `correct` it with the fields that change (the others stay as the figure says now)."""

    action: Literal["confirm", "reject", "correct"]
    reason: ShortText | None = Field(
        default=None, description="why; required to reject or correct")
    count: Count | None = None
    unit: Unit | None = None
    qualifier: Qualifier | None = None
    kind: Kind | None = None
    destination: PlaceId | None = Field(default=None, description="a place id")
    as_of: Day | None = Field(default=None, description="the day the figure refers to")

    @model_validator(mode="after")
    def _coherent(self) -> ReviewIn:
        fields = ("count", "unit", "qualifier", "kind", "destination", "as_of")
        given = [f for f in fields if getattr(self, f) is not None]
        if self.action != "correct" and given:
            raise ValueError(f"{self.action!r} takes no corrected fields ({', '.join(given)}); "
                             "use 'correct'")
        if self.action == "correct" and not given:
            raise ValueError("'correct' needs at least one of " + ", ".join(fields))
        if self.action != "confirm" and not (self.reason and self.reason.strip()):
            raise ValueError(f"{self.action!r} needs a reason")
        return self


class ReviewEntryOut(BaseModel):
    """One change of a figure's review: who (an API key's name, or `policy`), when, why, and
    the figure before and after (`state` and `values` as it counted)."""

    id: int
    figure_id: int
    action: str
    by: str
    reason: str | None
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]


class ReviewOut(BaseModel):
    """The figure after the review; `changed` false when it already stood so (nothing moved)."""

    changed: bool
    figure: FigureOut
    review: ReviewEntryOut | None
    series_changed: dict[str, list[date]]
    alerts: list[int]
    deliveries: int


class SourceRef(BaseModel):
    id: int
    name: str
    kind: str
    credibility: str
    demo: bool


class ReportSummary(BaseModel):
    id: int
    title: str | None
    url: str | None
    published_at: datetime | None
    lang: str | None
    source: SourceRef
    duplicate_of: int | None
    ingested_at: datetime
    figure_count: int
    demo: bool


class ReportOut(ReportSummary):
    text: str
    extractor_version: str
    figures: list[FigureOut]


class IngestOut(BaseModel):
    id: int
    figures: list[FigureOut]
    duplicate_of: int | None
    created: bool
