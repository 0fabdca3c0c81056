"""HTTP routes for series."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from app.auth.deps import ReadAccess
from app.db import SessionDep
from app.errors import InvalidInput
from app.gazetteer.router import destination_out
from app.gazetteer.service import get_place
from app.series.schemas import PointOut, SeriesOut, SeriesSource
from app.series.service import series_points, sources_are_demo

router = APIRouter(prefix="/api/v1", tags=["series"])


@router.get("/destinations/{place_id}/series", response_model=SeriesOut)
def read_series(place_id: str, session: SessionDep, _key: ReadAccess,
                start: date | None = None, end: date | None = None) -> SeriesOut:
    """Per day: the estimate of people displaced to the place, its range, new arrivals, and the
    figures behind it."""
    if start and end and start > end:
        raise InvalidInput("start must be on or before end")
    place = get_place(session, place_id)
    points = series_points(session, place.id, start, end)
    source_ids = {s["source_id"] for p in points for s in p.sources}
    return SeriesOut(
        destination=destination_out(place),
        points=[PointOut(date=p.day, estimate=p.estimate, low=p.low, high=p.high,
                         new_arrivals=p.new_arrivals,
                         sources=[SeriesSource.model_validate(s) for s in p.sources])
                for p in points],
        demo=sources_are_demo(session, source_ids),
    )
