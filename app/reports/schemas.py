"""What the reports API takes and returns."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReportIn(BaseModel):
    """A report as field staff or a partner system submits it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, description="The report's full text")
    title: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=4000)
    published_at: datetime | date | None = Field(
        default=None, description="When the report was published (ISO date or date-time)"
    )
    source: str | None = Field(
        default=None, max_length=200, description="Name of the submitting outlet or team"
    )
    lang: str | None = Field(default=None, max_length=8, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z]+)?$")

    @field_validator("published_at")
    @classmethod
    def _as_utc(cls, value: datetime | date | None) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            return datetime.combine(value, time(), tzinfo=UTC)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

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
