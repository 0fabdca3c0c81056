"""The gazetteer as the service sees it: the shipped index plus what staff added in the database.

Additions live in the `places` and `place_aliases` tables. Every process keeps the shipped index
in memory and catches up with the tables before it resolves places (one indexed query), so a
place added through the API takes effect in the API and in every worker without a restart.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.gazetteer.index import Gazetteer, Place, load_gazetteer
from app.gazetteer.models import AliasAddition, PlaceAddition

LEVELS = ("country", "admin1", "admin2", "city", "site")

_lock = threading.Lock()
# How stale another process's additions may be here: reading the two tables on every report
# costs more than the rest of an uneventful ingest's lookups together.
CATCH_UP_SECONDS = 1.0


class _Applied:
    """Which database's additions the shared gazetteer holds, and the last row applied of each
    table (seq and key), so a reset or rolled-back database (seq reused) is noticed."""

    db: str | None = None
    places: tuple[int, str] = (0, "")
    aliases: tuple[int, str] = (0, "")
    dirty = False
    # when the tables were last read; additions through this process force the next read
    checked_at = -CATCH_UP_SECONDS
    force = True


def _forget(db: str | None) -> None:
    if _Applied.dirty:
        load_gazetteer.cache_clear()
    _Applied.db, _Applied.places, _Applied.aliases, _Applied.dirty = db, (0, ""), (0, ""), False
    _Applied.force = True


def _alias_key(row: AliasAddition) -> str:
    return f"{row.place_id}\t{row.alias}"


def _stale(last: tuple[int, str], first_row_key: tuple[int, str] | None) -> bool:
    return bool(last[0]) and first_row_key != last


Marks = tuple[tuple[int, str], tuple[int, str]]


def _rows_since(session: Session, marks: Marks) -> tuple[list[PlaceAddition],
                                                         list[AliasAddition]]:
    places = session.scalars(select(PlaceAddition).where(PlaceAddition.seq >= marks[0][0])
                             .order_by(PlaceAddition.seq)).all()
    aliases = session.scalars(select(AliasAddition).where(AliasAddition.seq >= marks[1][0])
                              .order_by(AliasAddition.seq)).all()
    return list(places), list(aliases)


def _apply(places: list[PlaceAddition], aliases: list[AliasAddition]) -> Gazetteer:
    gazetteer = load_gazetteer()
    for row in places:
        gazetteer.add(Place(id=row.place_id, name=row.name, country=row.country, level=row.level,
                            parent_id=row.parent_id, pcode=row.pcode, aliases=tuple(row.aliases)))
    for alias in aliases:
        place = gazetteer.get(alias.place_id)
        if place is not None and alias.alias not in place.aliases:
            gazetteer.add(replace(place, aliases=(*place.aliases, alias.alias)))
    if places:
        _Applied.places = (places[-1].seq, places[-1].place_id)
    if aliases:
        _Applied.aliases = (aliases[-1].seq, _alias_key(aliases[-1]))
    _Applied.dirty = _Applied.dirty or bool(places or aliases)
    return gazetteer


def current_gazetteer(session: Session) -> Gazetteer:
    """The shipped gazetteer, brought up to date with the committed places and aliases staff
    added (one indexed query per table when nothing changed).

    The lock guards memory only, never a query: a caller may already hold the database's write
    lock (ingestion), and waiting for ours while another thread waits for that would deadlock."""
    db = str(session.get_bind().engine.url)
    with _lock:
        if (_Applied.db == db and not _Applied.force
                and time.monotonic() - _Applied.checked_at < CATCH_UP_SECONDS):
            return load_gazetteer()
    for _ in range(3):
        with _lock:
            if _Applied.db != db:
                # another database (tests, or a CLI run): forget the other one's additions
                _forget(db)
            marks = (_Applied.places, _Applied.aliases)
        places, aliases = _rows_since(session, marks)
        with _lock:
            if _Applied.db != db or (_Applied.places, _Applied.aliases) != marks:
                continue  # another thread applied rows meanwhile: look again from its marks
            if _stale(marks[0], (places[0].seq, places[0].place_id) if places else None) or \
                    _stale(marks[1], (aliases[0].seq, _alias_key(aliases[0])) if aliases else None):
                # memory no longer matches the database (reset, rolled back): start again
                _Applied.dirty = True
                _forget(db)
                continue
            _Applied.checked_at, _Applied.force = time.monotonic(), False
            return _apply(places, aliases)
    return load_gazetteer()


def additions_mark(session: Session) -> Marks:
    """The last place and alias staff added that the gazetteer holds, brought up to date: it
    changes when a name or alias does, so an ETag made with it changes too."""
    current_gazetteer(session)
    with _lock:
        return _Applied.places, _Applied.aliases


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:48]


def add_place(session: Session, *, name: str, country: str, level: str,
              parent_id: str | None = None, pcode: str | None = None,
              aliases: list[str] | None = None) -> Place:
    """Stores a new place (id `custom:<cc>-<slug>`); extraction reads it from the next report."""
    gazetteer = current_gazetteer(session)
    country = country.upper()
    if gazetteer.get(country) is None or len(country) != 2:
        raise InvalidInput(f"country {country!r} is not an ISO 3166-1 alpha-2 code we know")
    if level not in LEVELS or level == "country":
        raise InvalidInput(f"level must be one of {', '.join(LEVELS[1:])}")
    parent = gazetteer.get(parent_id) if parent_id else gazetteer.get(country)
    if parent is None:
        raise InvalidInput(f"parent place {parent_id!r} does not exist")
    if parent.country != country:
        raise InvalidInput(f"parent {parent.id} is in {parent.country}, not in {country}")
    slug = slugify(name) or slugify(" ".join(aliases or [])) or "place"
    place_id = f"custom:{country.lower()}-{slug}"
    if session.scalar(select(PlaceAddition.seq).where(PlaceAddition.place_id == place_id)):
        raise Conflict(f"a place with id {place_id!r} already exists")
    clean_aliases = sorted({a.strip() for a in aliases or [] if a.strip() and a.strip() != name})
    row = PlaceAddition(place_id=place_id, name=name.strip(), country=country, level=level,
                        parent_id=parent.id, pcode=pcode, aliases=clean_aliases)
    session.add(row)
    session.flush()
    _Applied.force = True
    # memory learns it from the table once committed (current_gazetteer), never before
    return Place(id=place_id, name=row.name, country=country, level=level, parent_id=parent.id,
                 pcode=pcode, aliases=tuple(clean_aliases))


def add_alias(session: Session, place_id: str, alias: str) -> Place:
    gazetteer = current_gazetteer(session)
    place = gazetteer.get(place_id)
    if place is None:
        raise NotFound(f"no place with id {place_id!r}")
    alias = alias.strip()
    if not alias:
        raise InvalidInput("an alias cannot be empty")
    if alias == place.name or alias in place.aliases:
        raise Conflict(f"{alias!r} already names {place_id}")
    if session.scalar(select(AliasAddition.seq).where(AliasAddition.place_id == place_id,
                                                      AliasAddition.alias == alias)):
        raise Conflict(f"{alias!r} already names {place_id}")
    session.add(AliasAddition(place_id=place_id, alias=alias))
    session.flush()
    _Applied.force = True
    return replace(place, aliases=(*place.aliases, alias))


def get_place(session: Session, place_id: str) -> Place:
    place = current_gazetteer(session).get(place_id)
    if place is None:
        raise NotFound(f"no destination with id {place_id!r}")
    return place
