"""What the places and destinations API takes and returns."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


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


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    level: str = Field(description="admin1, admin2, city or site")
    parent_id: str | None = Field(default=None, description="defaults to the country")
    pcode: str | None = Field(default=None, max_length=32)
    aliases: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50)


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    alias: str = Field(min_length=1, max_length=200)
