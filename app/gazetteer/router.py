"""HTTP routes for destinations (search the gazetteer) and for places staff add."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.deps import AdminAccess, ReadAccess
from app.db import SessionDep
from app.demo import DemoFlag
from app.errors import PROBLEM_RESPONSES
from app.gazetteer import service
from app.gazetteer.index import Place
from app.gazetteer.schemas import AliasIn, DestinationOut, LatestPoint, PlaceIn
from app.limits import MAX_NAME, MAX_PAGE, PlaceId, Text
from app.pagination import MAX_CURSOR, Page, decode_int_cursor, encode_cursor
from app.settings import SettingsDep
from app.summary import conditional
from app.summary import service as summary

router = APIRouter(prefix="/api/v1", tags=["places"], responses=PROBLEM_RESPONSES)


def _latest(session: Session, ids: list[str], demo: bool) -> dict[str, LatestPoint]:
    """The last point of each destination, from its summary (app.summary): one indexed row
    each, whatever the length of its history."""
    return {pid: LatestPoint(date=row.latest_day, estimate=row.latest_estimate,
                             low=row.latest_low, high=row.latest_high)
            for pid, row in summary.summaries(session, ids, demo=demo).items()
            if row.latest_day is not None}


def destination_out(place: Place, latest: LatestPoint | None = None) -> DestinationOut:
    return DestinationOut(id=place.id, name=place.name, country=place.country, level=place.level,
                          parent_id=place.parent_id, pcode=place.pcode,
                          aliases=list(place.aliases), latest=latest)


@router.get("/destinations", response_model=Page[DestinationOut])
def list_destinations(
    request: Request, session: SessionDep, settings: SettingsDep, _key: ReadAccess,
    q: Annotated[Text | None, Query(max_length=MAX_NAME,
                                    description="matches names and aliases")] = None,
    country: Annotated[Text | None, Query(min_length=2, max_length=2)] = None,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR)] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE)] = None,
    demo: DemoFlag = False,
) -> Page[DestinationOut] | Response:
    """Places matching `q` or `country`; with neither, the destinations that have a series.
    An ETag and Last-Modified from the realm's summaries: asked again unchanged, a 304."""
    state = summary.state(session, None, demo=demo)
    tag = conditional.etag("destinations", demo, state.tag, service.additions_mark(session),
                           settings.page_size, request.url.query)
    if (cached := conditional.not_modified(request, tag, state.updated_at)) is not None:
        return cached
    size = limit or settings.page_size
    offset = decode_int_cursor(cursor) or 0
    gazetteer = service.current_gazetteer(session)
    if q or country:
        found = gazetteer.search(q, country.upper() if country else None, limit=offset + size + 1)
        more, window = len(found) > offset + size, found[offset: offset + size]
    else:
        ids = summary.with_series(session, offset, size + 1, demo=demo)
        more = len(ids) > size
        window = [p for p in map(gazetteer.get, ids[:size]) if p is not None]
    latest = _latest(session, [p.id for p in window], demo)
    page: Page[DestinationOut] = Page(
        items=[destination_out(p, latest.get(p.id)) for p in window],
        next_cursor=encode_cursor(offset + size) if more else None,
    )
    response = Response(page.model_dump_json(), media_type="application/json")
    conditional.stamp(response, tag, state.updated_at)
    return response


@router.get("/destinations/{place_id}", response_model=DestinationOut)
def read_destination(place_id: PlaceId, session: SessionDep, _key: ReadAccess,
                     demo: DemoFlag = False) -> DestinationOut:
    place = service.get_place(session, place_id)
    return destination_out(place, _latest(session, [place.id], demo).get(place.id))


@router.post("/places", response_model=DestinationOut, status_code=status.HTTP_201_CREATED)
def create_place(body: PlaceIn, session: SessionDep, _key: AdminAccess) -> DestinationOut:
    """Adds a place to the gazetteer; extraction resolves it from the next report on."""
    place = service.add_place(session, name=body.name, country=body.country, level=body.level,
                              parent_id=body.parent_id, pcode=body.pcode, aliases=body.aliases)
    return destination_out(place)


@router.post("/places/{place_id}/aliases", response_model=DestinationOut,
             status_code=status.HTTP_201_CREATED)
def create_alias(place_id: PlaceId, body: AliasIn, session: SessionDep,
                 _key: AdminAccess) -> DestinationOut:
    """Gives any place (shipped or added) another name."""
    return destination_out(service.add_alias(session, place_id, body.alias))
