"""API shapes of sources and fetch attempts, with the parameters each kind accepts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)

from app.errors import FetchFailed, InvalidInput
from app.limits import InputModel, Moment, Name, NotNull, Text, Url
from app.sources.fetchers.replay import confine
from app.sources.models import Credibility, FetchStatus

Kind = Literal["rss", "reliefweb", "html", "hxl", "hapi", "dtm", "unhcr", "idmc", "replay", "gdelt"]
# the agencies that count displaced people: their sources are graded A unless staff say otherwise
AGENCY_KINDS = ("dtm", "unhcr", "idmc")
KINDS_NEEDING_URL = ("rss", "html", "hxl", "replay")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RssParams(_Params):
    full_text: bool = Field(False, description="fetch each entry's article page for its text")
    max_items: int = Field(100, ge=1, le=1000)


class HtmlParams(_Params):
    pass


class ReliefWebFilters(_Params):
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-3 codes")
    date_from: Moment | None = None
    date_to: Moment | None = None

    @field_validator("countries")
    @classmethod
    def _iso3(cls, value: list[str]) -> list[str]:
        for code in value:
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 code")
        return [c.upper() for c in value]


class ReliefWebParams(_Params):
    appname: str = Field(min_length=3, max_length=100,
                         description="the appname ReliefWeb approved for this service")
    query: str | None = Field(None, max_length=1000)
    operator: Literal["AND", "OR"] = "OR"
    filters: ReliefWebFilters = Field(default_factory=ReliefWebFilters)
    limit: int = Field(50, ge=1, le=1000)
    max_pages: int = Field(4, ge=1, le=50)


class HxlParams(_Params):
    country: str | None = Field(None, min_length=2, max_length=3,
                                description="the country of rows that name none (ISO code)")


class HapiParams(_Params):
    app_identifier: Text = Field(min_length=4, max_length=500,
                                 description="base64 of 'application:email'")
    endpoint: Literal["idps", "refugees-persons-of-concern"] = "idps"
    filters: dict[str, str | int] = Field(default_factory=dict,
                                          description="query filters, e.g. location_code")
    population_groups: list[Text] = Field(default_factory=lambda: ["REF", "ASY", "ROC"],
                                          max_length=20)
    limit: int = Field(1000, ge=1, le=10000)
    max_pages: int = Field(10, ge=1, le=100)


class DtmParams(_Params):
    level: Literal["admin0", "admin1", "admin2"] = "admin1"
    filters: dict[str, str | int] = Field(
        default_factory=dict, description="the API's query filters, e.g. Admin0Pcode, "
        "Operation, FromReportingDate, ToReportingDate (one of Admin0Pcode, CountryName or "
        "Operation is required by DTM)")


UnhcrGroup = Literal["refugees", "asylum_seekers", "returned_refugees", "idps", "returned_idps",
                     "stateless", "ooc", "oip", "hst"]


class UnhcrParams(_Params):
    yearFrom: int | None = Field(None, ge=1951, le=2100)  # the API's own names
    yearTo: int | None = Field(None, ge=1951, le=2100)
    coo: str | None = Field(None, min_length=3, max_length=3,
                            description="country of origin, ISO 3166-1 alpha-3")
    coa: str | None = Field(None, min_length=3, max_length=3,
                            description="country of asylum, ISO 3166-1 alpha-3")
    population_groups: list[UnhcrGroup] = Field(
        default_factory=lambda: list[UnhcrGroup](["refugees", "asylum_seekers"]), min_length=1)
    mid_year: bool = Field(False, description="mid-year statistics: figures as of 30 June")
    limit: int = Field(1000, ge=1, le=10000)
    max_pages: int = Field(10, ge=1, le=100)


class IdmcParams(_Params):
    client_id: Text = Field(min_length=4, max_length=200,
                            description="the client id IDMC gave this installation")
    countries: list[str] = Field(default_factory=list, max_length=300,
                                 description="keep only events in these (ISO 3166-1 alpha-3)")


class ReplayParams(_Params):
    pass


GdeltTerm = Annotated[str, Field(min_length=2, max_length=200)]


class GdeltParams(_Params):
    terms: list[GdeltTerm] = Field(
        default_factory=list, max_length=100,
        description="any of these words or phrases, in any language (phrases are quoted)")
    query: str | None = Field(None, max_length=1000,
                              description="more of the query in GDELT's syntax, ANDed")
    source_countries: list[str] = Field(
        default_factory=list, max_length=50,
        description="outlets' countries, GDELT's FIPS codes (LE Lebanon, SY Syria) or names")
    source_langs: list[str] = Field(default_factory=list, max_length=50,
                                    description="outlets' languages (GDELT's names: arabic)")
    first_window_hours: int = Field(24, ge=1, le=90 * 24,
                                    description="how far back the first run looks")
    overlap_minutes: int = Field(15, ge=0, le=24 * 60,
                                 description="each window starts this long before the last end"
                                             " (GDELT indexes some articles late)")
    maxrecords: int = Field(75, ge=1, le=250, description="articles per run (GDELT's cap: 250)")

    @field_validator("source_countries", "source_langs")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.replace(" ", "").isalpha() or len(item) > 40:
                raise ValueError(f"{item!r} is not a GDELT country or language name or code")
        return value

    @field_validator("terms")
    @classmethod
    def _no_quotes(cls, value: list[str]) -> list[str]:
        for term in value:
            if '"' in term.strip('"'):
                raise ValueError(f"{term!r}: a term cannot hold quotes (phrases are quoted)")
        return [t.strip() for t in value]

    @model_validator(mode="after")
    def _something_to_find(self) -> GdeltParams:
        if not self.terms and not self.query:
            raise ValueError("give terms or a query")
        return self


PARAMS: dict[str, type[_Params]] = {
    "rss": RssParams, "html": HtmlParams, "reliefweb": ReliefWebParams, "hxl": HxlParams,
    "hapi": HapiParams, "dtm": DtmParams, "unhcr": UnhcrParams, "idmc": IdmcParams,
    "replay": ReplayParams, "gdelt": GdeltParams,
}


def validate_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The kind's parameters checked and with defaults filled in; InvalidInput (422) naming each
    bad field otherwise."""
    model = PARAMS.get(kind)
    if model is None:
        raise InvalidInput(f"kind must be one of {', '.join(PARAMS)}")
    try:
        return model.model_validate(params).model_dump(mode="json")
    except ValidationError as exc:
        errors = [{"field": ".".join(["params", *map(str, e["loc"])]), "message": e["msg"]}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise InvalidInput(f"invalid params for a {kind} source: {detail}",
                           errors=errors) from exc


def validate_url(kind: str, url: str | None, replay_dir: Path | None) -> str | None:
    if url is None:
        if kind in KINDS_NEEDING_URL:
            raise InvalidInput(f"a {kind} source needs a url")
        return None
    if kind == "replay":
        try:
            confine(url, replay_dir)
        except FetchFailed as exc:  # outside the allowed folders, or no path at all
            raise InvalidInput(exc.detail) from exc
        return url
    try:
        return str(HttpUrl(url))
    except ValidationError as exc:
        raise InvalidInput(f"url {url!r} is not an http(s) URL") from exc


class SourceIn(InputModel):
    model_config = ConfigDict(str_strip_whitespace=False)

    name: Name
    kind: Kind
    url: Url | None = None
    interval_seconds: int = Field(3600, ge=60, le=30 * 86400)
    credibility: Credibility = "C"
    lang: Text | None = Field(None, min_length=2, max_length=8)
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


class SourcePatch(InputModel):
    """Only the fields given change; `url` and `lang` may be null, the others not."""

    model_config = ConfigDict(str_strip_whitespace=False)

    name: Annotated[Name | None, NotNull] = None
    url: Url | None = None
    interval_seconds: Annotated[int | None, Field(ge=60, le=30 * 86400), NotNull] = None
    credibility: Annotated[Credibility | None, NotNull] = None
    lang: Text | None = Field(None, min_length=2, max_length=8)
    enabled: Annotated[bool | None, NotNull] = None
    params: Annotated[dict[str, Any] | None, NotNull] = None


class SourceOut(BaseModel):
    id: int
    name: str
    kind: str
    url: str | None
    interval_seconds: int
    credibility: str
    lang: str | None
    enabled: bool
    demo: bool
    params: dict[str, Any]
    created_at: datetime
    next_fetch_at: datetime | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int


class AttemptOut(BaseModel):
    id: int
    source_id: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    status: FetchStatus
    http_status: int | None
    items_found: int
    reports_new: int
    error: str | None


class FetchOut(BaseModel):
    source_id: int
    status: FetchStatus
    items_found: int
    reports_new: int
    error: str | None
