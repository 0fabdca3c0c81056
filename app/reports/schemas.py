"""What the reports API takes and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar

from annotated_types import MaxLen
from pydantic import BaseModel, Field, field_validator

from app.limits import MAX_NAME, MAX_TEXT, ContentText, InputModel, Name, Text, Url, as_utc
from app.sources.models import Credibility


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


class FigureOut(BaseModel):
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
