"""The report form of the pages: what field staff typed, read into the API's own `ReportIn`,
and the figures the extractor reads in it before anything is stored. Saving is
`app.pipeline.ingest`'s, as for `POST /api/v1/reports`: the pages have no second way in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pydantic import ValidationError

from app.extract import ExtractedFigure, extract
from app.gazetteer.index import Gazetteer
from app.reports.schemas import ReportIn, SubmittedSource
from app.reports.service import NewReport, check
from app.settings import Settings
from app.sources.models import Source

_LABELS = {"text": "Text", "title": "Title", "url": "Link", "published_at": "Published",
           "source": "Source", "name": "Source", "credibility": "Credibility",
           "lang": "Language"}


@dataclass(frozen=True, slots=True)
class ReportForm:
    """The form as it was posted: kept whole to show it again, refused or previewed."""

    text: str = ""
    title: str = ""
    url: str = ""
    published: str = ""
    lang: str = ""
    source: str = ""
    credibility: str = ""
    message: str = ""
    status: int = 200

    def refused(self, message: str, status: int = 422) -> ReportForm:
        return replace(self, message=message, status=status)

    def body(self) -> ReportIn:
        """The form as the API's report body; FormRefused saying what to mend in every field
        that is wrong. An empty field is one the report does not give."""
        problems: list[str] = []
        source: SubmittedSource | None = None
        if self.source.strip() or self.credibility:
            try:
                source = SubmittedSource.model_validate(
                    {"name": self.source.strip() or "Manual submissions",
                     "credibility": self.credibility or None})
            except ValidationError as exc:
                problems.append(explain(exc))
        fields: dict[str, Any] = {
            "text": self.text, "title": self.title.strip() or None,
            "url": self.url.strip() or None, "published_at": self.published.strip() or None,
            "lang": self.lang.strip() or None}
        try:
            body = ReportIn.model_validate(fields)
        except ValidationError as exc:
            problems.append(explain(exc))
        if problems:
            raise FormRefused("; ".join(problems))
        return body.model_copy(update={"source": source})


class FormRefused(Exception):
    """A form that cannot be read as a report: the message says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Preview:
    """What the form's text says before it is filed, and where it would be filed."""

    figures: list[ExtractedFigure]
    new: NewReport
    source_name: str
    existing: Source | None  # None: a new source is made on saving
    today: date

    def observed_on(self, figure: ExtractedFigure) -> date:
        """The day a figure would count for: its own date, else the report's, else today."""
        return figure.as_of or (self.new.published_at.date() if self.new.published_at
                                else self.today)


def new_report(body: ReportIn) -> NewReport:
    return NewReport(text=body.text, title=body.title, url=body.url,
                     published_at=body.published(), lang=body.lang)


def read_figures(settings: Settings, gazetteer: Gazetteer, new: NewReport,
                 source_lang: str | None) -> list[ExtractedFigure]:
    """The figures the extractor reads in `new` as `app.pipeline.extract_figures` would once it
    is stored (its text checked and trimmed, its language else its source's), storing nothing."""
    checked = check(settings, new)
    published = new.published_at.date() if new.published_at else None
    return extract(checked.text, published, new.lang or source_lang, gazetteer=gazetteer,
                   household_size=settings.household_size,
                   household_sizes=settings.household_sizes)


def explain(exc: ValidationError) -> str:
    """The validator's complaints in a sentence a person can act on."""
    out = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        field = next((_LABELS[str(p)] for p in reversed(error["loc"]) if str(p) in _LABELS),
                     None)
        out.append(f"{field}: {message}" if field else message)
    return "; ".join(dict.fromkeys(out)) or "the form could not be read"
