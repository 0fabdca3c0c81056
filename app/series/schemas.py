"""What the series API returns."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

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
    sources: list[SeriesSource]


class SeriesOut(BaseModel):
    destination: DestinationOut
    points: list[PointOut]
    demo: bool = False


class MultiSeriesOut(BaseModel):
    series: list[SeriesOut]
