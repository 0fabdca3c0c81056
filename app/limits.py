"""Limits on what the service accepts: the request body cap, enforced before the body is read
into memory, and the bounded types every router and schema takes its input as.

The types keep every input within what both databases store, so that a number, a text or a date
a client sends is refused with 422 at the door rather than by the database with a 500:

- integers fit the 32-bit INTEGER columns (`Id`, `Count`, `PositiveCount`);
- text carries no NUL character, which PostgreSQL cannot store (`Text`, `Name`, `PlaceId`...),
  or has it removed where the text is content (`strip_nul`, a report's text);
- numbers are finite (`FiniteFloat`): JSON columns on PostgreSQL refuse Infinity and NaN;
- dates and date-times fall between 1900 and 2199, also once shifted to UTC (`Day`, `Moment`);
- URLs, names, aliases and lists have a length cap.

`InputModel` is the base of every request body: it refuses unknown fields, and NUL or a
non-finite number anywhere in it, free-form `params` included.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, ClassVar, TypeVar

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")

INT_MAX = 2**31 - 1  # a 32-bit INTEGER column, on both databases
YEAR_MIN, YEAR_MAX = 1900, 2199
MAX_NAME = 200
MAX_URL = 2000
MAX_TEXT = 2000  # notes, reasons, descriptions
MAX_PLACE_ID = 64  # the place id columns
MAX_LIST = 100  # place ids in a rule or a webhook, aliases of a place
MAX_LEVELS = 50  # levels of a threshold rule
MAX_PAGE = 500  # items on one page of a list


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain a NUL character")
    return value


def strip_nul(value: str) -> str:
    """Text that is content (a report's) with its NUL characters removed."""
    return value.replace("\x00", "")


def _strip_nul_any(value: Any) -> Any:
    return strip_nul(value) if isinstance(value, str) else value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("number must be finite")
    return value


def _year_in_range(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueError(f"year must be between {YEAR_MIN} and {YEAR_MAX}")


def _bounded_day(value: date) -> date:
    _year_in_range(value.year)
    return value


def as_utc(value: datetime | date) -> datetime:
    """A date-time in UTC (a naive one is taken as UTC, a date as its midnight), its year within
    bounds before and after the shift."""
    _year_in_range(value.year)
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC)
    shifted = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    _year_in_range(shifted.year)
    return shifted


def _not_null(value: T | None) -> T:
    if value is None:
        raise ValueError("may be left out but not null")
    return value


# integers that fit the columns they are compared with or stored in
Id = Annotated[int, Ge(1), Le(INT_MAX)]
Count = Annotated[int, Ge(0), Le(INT_MAX)]
PositiveCount = Annotated[int, Ge(1), Le(INT_MAX)]
FiniteFloat = Annotated[float, AfterValidator(_finite)]

# text
Text = Annotated[str, AfterValidator(_no_nul)]
ShortText = Annotated[str, MaxLen(MAX_TEXT), AfterValidator(_no_nul)]
Name = Annotated[str, MinLen(1), MaxLen(MAX_NAME), AfterValidator(_no_nul)]
PlaceId = Annotated[str, MinLen(1), MaxLen(MAX_PLACE_ID), AfterValidator(_no_nul)]
Url = Annotated[str, MaxLen(MAX_URL), AfterValidator(_no_nul)]
ContentText = Annotated[str, BeforeValidator(_strip_nul_any)]
PlaceIds = Annotated[list[PlaceId], MaxLen(MAX_LIST)]

# dates
Day = Annotated[date, AfterValidator(_bounded_day)]
Moment = Annotated[datetime, AfterValidator(as_utc)]

# a PATCH field that may be left out but not set to null
NotNull = AfterValidator(_not_null)


def _walk(value: Any, path: str, strip: bool) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            if strip:
                return strip_nul(value)
            raise ValueError(f"{path or 'body'}: text must not contain a NUL character")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path or 'body'}: number must be finite")
    if isinstance(value, dict):
        return {_walk(k, path, strip=False): _walk(v, f"{path}.{k}" if path else str(k), strip)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, f"{path}[{i}]", strip) for i, v in enumerate(value)]
    return value


class InputModel(BaseModel):
    """A request body: unknown fields refused, no NUL and no Infinity or NaN anywhere in it
    (free-form dictionaries included), except NUL in `content_fields`, which is removed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    content_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: _walk(value, str(key), strip=key in cls.content_fields)
                for key, value in data.items()}


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 when Content-Length, or the bytes actually received, exceed `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(send)
                return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # answer now: the app may catch the exception below while parsing the body
                    # (FastAPI turns any failure to read it into a 400) and answer something else
                    if not started and not rejected:
                        rejected = True
                        await self._reject(send)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 is the answer; whatever the app says after it is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started and not rejected:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps({
            "type": "https://dispmon.org/problems/payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body is over {self.max_bytes:,} bytes",
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
