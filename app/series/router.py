"""HTTP routes for series: one destination, several at once, and CSV with HXL hashtags."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.deps import ReadAccess
from app.db import SessionDep
from app.demo import DemoFlag
from app.errors import PROBLEM_RESPONSES, InvalidInput
from app.gazetteer.index import Place
from app.gazetteer.router import destination_out
from app.gazetteer.service import current_gazetteer, get_place
from app.limits import Day, PlaceId, Text
from app.series.schemas import MultiSeriesOut, PointOut, SeriesOut, SeriesSource
from app.series.service import Period, by_interval, series_of

router = APIRouter(prefix="/api/v1", tags=["series"], responses=PROBLEM_RESPONSES)

Interval = Annotated[Literal["day", "week"], Query(
    description="day, or week: the week's last estimate and its summed new arrivals, dated by "
                "the week's Monday")]
Destinations = Annotated[Text | None, Query(description="place ids, comma-separated",
                                            max_length=4000)]
MAX_DESTINATIONS = 100

# the header row, then the HXL hashtag row humanitarian tools read (hxlstandard.org)
CSV_COLUMNS = [
    ("date", "#date"), ("destination", "#adm1+name"), ("destination_id", "#adm1+code"),
    ("country", "#country+code"), ("estimate", "#affected+displaced+ind"),
    ("low", "#affected+displaced+ind+min"), ("high", "#affected+displaced+ind+max"),
    ("new_arrivals", "#affected+displaced+ind+new"), ("sources", "#meta+source"),
    ("demo", "#meta+demo"), ("fresh_until", "#date+fresh"), ("stale", "#meta+stale"),
]


def _check_range(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise InvalidInput("start must be on or before end")


def _places(session: Session, destination: str | None) -> list[Place]:
    ids = [p.strip() for p in (destination or "").split(",") if p.strip()]
    if not ids:
        raise InvalidInput("destination: give one or more place ids, comma-separated")
    if len(ids) > MAX_DESTINATIONS:
        raise InvalidInput(f"destination: at most {MAX_DESTINATIONS} places at once")
    return [get_place(session, place_id) for place_id in dict.fromkeys(ids)]


def _series_out(place: Place, periods: list[Period], demo: bool) -> SeriesOut:
    return SeriesOut(
        destination=destination_out(place),
        points=[PointOut(date=p.day, estimate=p.estimate, low=p.low, high=p.high,
                         new_arrivals=p.new_arrivals, fresh_until=p.fresh_until, stale=p.stale,
                         sources=[SeriesSource.model_validate(s) for s in p.sources])
                for p in periods],
        demo=demo,
    )


@router.get("/destinations/{place_id}/series", response_model=SeriesOut)
def read_series(place_id: PlaceId, session: SessionDep, _key: ReadAccess,
                start: Day | None = None, end: Day | None = None,
                interval: Interval = "day", demo: DemoFlag = False) -> SeriesOut:
    """Per day (or week): the estimate of people displaced to the place, its range, new
    arrivals, and the figures behind it."""
    _check_range(start, end)
    place = get_place(session, place_id)
    points = series_of(session, [place.id], start, end, demo=demo).get(place.id, [])
    return _series_out(place, by_interval(points, interval), demo)


@router.get("/series", response_model=MultiSeriesOut)
def read_many(session: SessionDep, _key: ReadAccess, destination: Destinations = None,
              start: Day | None = None, end: Day | None = None,
              interval: Interval = "day", demo: DemoFlag = False) -> MultiSeriesOut:
    """The series of several destinations at once, in the order asked."""
    _check_range(start, end)
    places = _places(session, destination)
    points = series_of(session, [p.id for p in places], start, end, demo=demo)
    return MultiSeriesOut(series=[
        _series_out(place, by_interval(points.get(place.id, []), interval), demo)
        for place in places])


@router.get("/series.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}},
                             "description": "a header row, an HXL hashtag row, then the points"}})
def read_csv(session: SessionDep, _key: ReadAccess,
             destination: Destinations = None, start: Day | None = None,
             end: Day | None = None, interval: Interval = "day",
             demo: DemoFlag = False) -> Response:
    """Series as CSV with an HXL hashtag row under the header; every destination with points
    when `destination` is absent."""
    _check_range(start, end)
    places = _places(session, destination) if destination else None
    points = series_of(session, [p.id for p in places] if places else None, start, end,
                       demo=demo)
    gazetteer = current_gazetteer(session)
    order = [p.id for p in places] if places else sorted(points)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in CSV_COLUMNS])
    writer.writerow([tag for _, tag in CSV_COLUMNS])
    for place_id in order:
        place = gazetteer.get(place_id)
        for p in by_interval(points.get(place_id, []), interval):
            names = sorted({str(s["source"]) for s in p.sources})
            writer.writerow([
                p.day.isoformat(), place.name if place else place_id, place_id,
                place.country if place else "", p.estimate, p.low, p.high, p.new_arrivals,
                "; ".join(names), "true" if demo else "false",
                p.fresh_until.isoformat() if p.fresh_until else "",
                "true" if p.stale else "false",
            ])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="series.csv"'})
