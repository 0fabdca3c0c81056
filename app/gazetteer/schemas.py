"""What the places and destinations API takes and returns."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.limits import MAX_LIST, InputModel, Name, PlaceId, Text


class LatestPoint(BaseModel):
    date: date
    estimate: int
    low: int
    high: int


class DestinationOut(BaseModel):
    id: str
    name: str
    country: str
    level: str
    parent_id: str | None
    pcode: str | None
    aliases: list[str]
    latest: LatestPoint | None = None


class PlaceIn(InputModel):
    name: Name
    country: Text = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    level: Text = Field(max_length=16, description="admin1, admin2, city or site")
    parent_id: PlaceId | None = Field(default=None, description="defaults to the country")
    pcode: Text | None = Field(default=None, max_length=32)
    aliases: list[Name] = Field(default_factory=list, max_length=MAX_LIST)


class AliasIn(InputModel):
    alias: Name
