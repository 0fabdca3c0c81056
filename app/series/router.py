"""HTTP routes for series: one destination, several at once, and CSV with HXL hashtags.

An answer's cost is bounded by the answer, not by the history behind it: without `start` a
series covers its last DISPMON_SERIES_DAYS days, one answer carries at most
DISPMON_SERIES_MAX_POINTS points (`next_cursor` for the rest), and a point lists the few
figures that set its estimate with their number (`sources=all` for every one). Each answer
carries an ETag and a Last-Modified from the summaries of its destinations (app.summary): asked
again with either, an unchanged series is a 304. The CSV is streamed, a chunk of rows at a time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from app.auth.deps import ReadAccess
from app.db import SessionDep
from app.demo import DemoFlag
from app.errors import PROBLEM_RESPONSES, InvalidInput
from app.gazetteer.index import Gazetteer, Place
from app.gazetteer.router import destination_out
from app.gazetteer.service import additions_mark, current_gazetteer, get_place
from app.limits import Day, PlaceId, Text
from app.pagination import MAX_CURSOR, decode_cursor, encode_cursor
from app.series.models import PointLike
from app.series.schemas import MultiSeriesOut, PointOut, SeriesOut, SeriesSource
from app.series.service import Period, Shown, by_interval, places_with_points, series_page
from app.settings import Settings, SettingsDep
from app.summary import conditional
from app.summary import service as summary

router = APIRouter(prefix="/api/v1", tags=["series"], responses=PROBLEM_RESPONSES)

Interval = Annotated[Literal["day", "week"], Query(
    description="day, or week: the week's last estimate and its summed new arrivals, dated by "
                "the week's Monday")]
Destinations = Annotated[Text | None, Query(description="place ids, comma-separated",
                                            max_length=4000)]
Sources = Annotated[Literal["top", "all"], Query(
    description="top: per point, the figures of the source whose word sets the estimate (a "
                "few); all: every figure behind the point")]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR,
                                     description="an answer's `next_cursor`: the next points")]
MAX_DESTINATIONS = 100
CSV_CHUNK = 1000  # points read and written at a time

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


def _series_out(place: Place, periods: list[Period], demo: bool, every_source: bool,
                next_cursor: str | None = None) -> SeriesOut:
    return SeriesOut(
        destination=destination_out(place),
        points=[PointOut(date=p.day, estimate=p.estimate, low=p.low, high=p.high,
                         new_arrivals=p.new_arrivals, fresh_until=p.fresh_until, stale=p.stale,
                         source_count=p.source_count,
                         sources=[SeriesSource.model_validate(s) for s in
                                  (p.sources if every_source else p.top_sources)])
                for p in periods],
        demo=demo, next_cursor=next_cursor,
    )


@dataclass(frozen=True, slots=True)
class _Page:
    points: list[PointLike]
    next_day: date | None  # where the next answer starts, when this one is cut


def _page(session: Session, place_id: str, start: date | None, end: date | None,
          interval: str, limit: int, demo: bool, shown: Shown) -> _Page:
    """At most `limit` points from `start`; cut at a week's start when weekly, so that no week
    is split across two answers (unless the cap is shorter than a week)."""
    points = series_page(session, place_id, start, end, limit + 1, demo=demo, shown=shown)
    if len(points) <= limit:
        return _Page(points, None)
    cut = points[limit].day
    if interval == "week":
        monday = cut - timedelta(days=cut.weekday())
        kept = [p for p in points[:limit] if p.day < monday]
        if kept:
            return _Page(kept, monday)
    return _Page(points[:limit], cut)


def _default_start(start: date | None, end: date | None, last: date | None,
                   settings: Settings) -> date | None:
    """Without `start`: the last DISPMON_SERIES_DAYS days up to `end`, or up to the last point."""
    if start is not None:
        return start
    anchor = end or last
    return anchor - timedelta(days=settings.series_days - 1) if anchor else None


def _cursor_day(value: object) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput("the cursor is not one this service gave out") from exc


@router.get("/destinations/{place_id}/series", response_model=SeriesOut)
def read_series(place_id: PlaceId, request: Request, session: SessionDep,
                settings: SettingsDep, _key: ReadAccess,
                start: Day | None = None, end: Day | None = None,
                interval: Interval = "day", demo: DemoFlag = False, sources: Sources = "top",
                cursor: Cursor = None) -> SeriesOut | Response:
    """Per day (or week): the estimate of people displaced to the place, its range, new
    arrivals, and the figures behind it. Without `start`, the last DISPMON_SERIES_DAYS days."""
    _check_range(start, end)
    place = get_place(session, place_id)
    row = summary.summaries(session, [place.id], demo=demo).get(place.id)
    tag = conditional.etag("series", place.id, demo, row.version if row else 0,
                           row.updated_at if row else None, additions_mark(session),
                           request.url.query)
    modified = row.updated_at if row else None
    if (cached := conditional.not_modified(request, tag, modified)) is not None:
        return cached
    first = _default_start(start, end, row.latest_day if row else None, settings)
    if cursor is not None:
        value = decode_cursor(cursor)
        if not isinstance(value, dict) or not value.get("d"):
            raise InvalidInput("the cursor is not one this service gave out")
        first = _cursor_day(value["d"])
    page = _page(session, place.id, first, end, interval, settings.series_max_points, demo,
                 sources)
    out = _series_out(place, by_interval(page.points, interval), demo, sources == "all",
                      encode_cursor({"d": page.next_day.isoformat()}) if page.next_day else None)
    response = Response(out.model_dump_json(), media_type="application/json")
    conditional.stamp(response, tag, modified)
    return response


@router.get("/series", response_model=MultiSeriesOut)
def read_many(request: Request, session: SessionDep, settings: SettingsDep, _key: ReadAccess,
              destination: Destinations = None,
              start: Day | None = None, end: Day | None = None,
              interval: Interval = "day", demo: DemoFlag = False, sources: Sources = "top",
              cursor: Cursor = None) -> MultiSeriesOut | Response:
    """The series of several destinations at once, in the order asked; without `start`, the
    last DISPMON_SERIES_DAYS days up to `end` or to the last point of any of them. One answer
    carries at most DISPMON_SERIES_MAX_POINTS points, `next_cursor` the rest."""
    _check_range(start, end)
    places = _places(session, destination)
    rows = summary.summaries(session, [p.id for p in places], demo=demo)
    state = summary.state(session, [p.id for p in places], demo=demo)
    tag = conditional.etag("series", demo, state.tag, additions_mark(session),
                           request.url.query)
    if (cached := conditional.not_modified(request, tag, state.updated_at)) is not None:
        return cached
    last = max((r.latest_day for r in rows.values() if r.latest_day), default=None)
    first = _default_start(start, end, last, settings)
    at, day = 0, first
    if cursor is not None:
        value = decode_cursor(cursor)
        if not (isinstance(value, dict) and isinstance(value.get("i"), int)
                and 0 <= value["i"] < len(places)):
            raise InvalidInput("the cursor is not one this service gave out")
        at, day = value["i"], _cursor_day(value.get("d"))
    left = settings.series_max_points
    series: list[SeriesOut] = []
    next_cursor = None
    for index in range(at, len(places)):
        place = places[index]
        page = _page(session, place.id, day, end, interval, left, demo, sources)
        series.append(_series_out(place, by_interval(page.points, interval), demo,
                                  sources == "all"))
        left -= len(page.points)
        day = first
        if page.next_day is not None:
            next_cursor = encode_cursor({"i": index, "d": page.next_day.isoformat()})
            break
        if left <= 0 and index + 1 < len(places):
            next_cursor = encode_cursor({"i": index + 1, "d": first.isoformat() if first
                                         else None})
            break
    out = MultiSeriesOut(series=series, next_cursor=next_cursor)
    response = Response(out.model_dump_json(), media_type="application/json")
    conditional.stamp(response, tag, state.updated_at)
    return response


def _csv_rows(factory: sessionmaker[Session], gazetteer: Gazetteer, order: list[str],
              start: date | None, end: date | None, interval: str, demo: bool
              ) -> Iterator[str]:
    """The CSV, a chunk of points at a time: its own session (the request's is closed once the
    handler returns), each destination read by day in chunks, a week held back until its last
    day is read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in CSV_COLUMNS])
    writer.writerow([tag for _, tag in CSV_COLUMNS])
    yield out.getvalue()
    out.seek(0)
    out.truncate()
    with factory() as session:
        for place_id in order:
            place = gazetteer.get(place_id)
            day, held = start, list[PointLike]()
            while True:
                chunk = series_page(session, place_id, day, end, CSV_CHUNK, demo=demo,
                                    shown="names")
                points = held + chunk
                done = len(chunk) < CSV_CHUNK
                if not done and interval == "week" and points:
                    monday = points[-1].day - timedelta(days=points[-1].day.weekday())
                    held = [p for p in points if p.day >= monday]
                    points = [p for p in points if p.day < monday]
                for p in by_interval(points, interval):
                    writer.writerow([
                        p.day.isoformat(), place.name if place else place_id, place_id,
                        place.country if place else "", p.estimate, p.low, p.high,
                        p.new_arrivals, p.source_names, "true" if demo else "false",
                        p.fresh_until.isoformat() if p.fresh_until else "",
                        "true" if p.stale else "false",
                    ])
                yield out.getvalue()
                out.seek(0)
                out.truncate()
                if done:
                    break
                day = chunk[-1].day + timedelta(days=1)


@router.get("/series.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}},
                             "description": "a header row, an HXL hashtag row, then the points"}})
def read_csv(request: Request, session: SessionDep, _key: ReadAccess,
             destination: Destinations = None, start: Day | None = None,
             end: Day | None = None, interval: Interval = "day",
             demo: DemoFlag = False) -> Response:
    """Series as CSV with an HXL hashtag row under the header; every destination with points
    when `destination` is absent. Streamed, a chunk of rows at a time."""
    _check_range(start, end)
    places = _places(session, destination) if destination else None
    order = ([p.id for p in places] if places
             else places_with_points(session, start, end, demo=demo))
    state = summary.state(session, order, demo=demo)
    tag = conditional.etag("csv", demo, state.tag, additions_mark(session), request.url.query)
    if (cached := conditional.not_modified(request, tag, state.updated_at)) is not None:
        return cached
    response = StreamingResponse(
        _csv_rows(request.app.state.sessionmaker, current_gazetteer(session), order, start, end,
                  interval, demo),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="series.csv"'})
    conditional.stamp(response, tag, state.updated_at)
    return response
