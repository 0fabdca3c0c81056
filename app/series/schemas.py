"""What the series API returns."""

from __future__ import annotations

import datetime
from datetime import date

from pydantic import BaseModel, Field

from app.gazetteer.schemas import DestinationOut


class SeriesSource(BaseModel):
    source_id: int
    source: str
    figure_id: int
    people: int
    day: date


class PointOut(BaseModel):
    date: date
    estimate: int
    low: int
    high: int
    new_arrivals: int
    source_count: int = Field(description="how many figures the point rests on")
    sources: list[SeriesSource] = Field(
        description="the figures of the source whose word sets the estimate (its latest total "
                    "and the arrivals it reported since, the newest few); every figure with "
                    "`sources=all`")
    # datetime.date: `date` is the name of a field here
    fresh_until: datetime.date | None = Field(
        default=None, description="the last day the newest figure behind the point is fresh")
    stale: bool = Field(
        default=False, description="no fresh figure on this day: the estimate is held from "
                                   "before (a missing day holds the point before it)")


class SeriesOut(BaseModel):
    destination: DestinationOut
    points: list[PointOut]
    demo: bool = False
    next_cursor: str | None = Field(
        default=None, description="more points than one answer carries: pass it as `cursor` "
                                  "with the same parameters for the next ones")


class MultiSeriesOut(BaseModel):
    series: list[SeriesOut]
    next_cursor: str | None = Field(
        default=None, description="more points than one answer carries: pass it as `cursor` "
                                  "with the same parameters for the next ones")
