"""The gazetteer as the service sees it: the shipped index plus what staff added in the database.

Additions live in the `places` and `place_aliases` tables. Every process keeps the shipped index
in memory and catches up with the tables before it resolves places (one indexed query), so a
place added through the API takes effect in the API and in every worker without a restart.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.gazetteer.index import Gazetteer, Place, load_gazetteer
from app.gazetteer.models import AliasAddition, PlaceAddition

LEVELS = ("country", "admin1", "admin2", "city", "site")

_lock = threading.Lock()
# Per database URL: the last (seq, key) applied from each table, so a database that was reset or
# rolled back (seq reused for another row) is noticed and replayed from the start.
_applied: dict[tuple[str, str], tuple[int, str]] = {}


def _db_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def _catch_up_places(session: Session, gazetteer: Gazetteer, db: str) -> None:
    last_seq, last_key = _applied.get((db, "places"), (0, ""))
    rows = session.scalars(
        select(PlaceAddition).where(PlaceAddition.seq >= last_seq).order_by(PlaceAddition.seq)
    ).all()
    if last_seq and (not rows or rows[0].seq != last_seq or rows[0].place_id != last_key):
        rows = session.scalars(select(PlaceAddition).order_by(PlaceAddition.seq)).all()
    for row in rows:
        gazetteer.add(Place(
            id=row.place_id, name=row.name, country=row.country, level=row.level,
            parent_id=row.parent_id, pcode=row.pcode, aliases=tuple(row.aliases),
        ))
    if rows:
        _applied[(db, "places")] = (rows[-1].seq, rows[-1].place_id)


def _alias_key(row: AliasAddition) -> str:
    return f"{row.place_id}\t{row.alias}"


def _catch_up_aliases(session: Session, gazetteer: Gazetteer, db: str) -> None:
    last_seq, last_key = _applied.get((db, "aliases"), (0, ""))
    rows = session.scalars(
        select(AliasAddition).where(AliasAddition.seq >= last_seq).order_by(AliasAddition.seq)
    ).all()
    if last_seq and (not rows or rows[0].seq != last_seq or _alias_key(rows[0]) != last_key):
        rows = session.scalars(select(AliasAddition).order_by(AliasAddition.seq)).all()
    for row in rows:
        place = gazetteer.get(row.place_id)
        if place is not None and row.alias not in place.aliases:
            gazetteer.add(replace(place, aliases=(*place.aliases, row.alias)))
    if rows:
        _applied[(db, "aliases")] = (rows[-1].seq, _alias_key(rows[-1]))


def current_gazetteer(session: Session) -> Gazetteer:
    """The shipped gazetteer, brought up to date with the places and aliases staff added."""
    gazetteer = load_gazetteer()
    db = _db_key(session)
    with _lock:
        _catch_up_places(session, gazetteer, db)
        _catch_up_aliases(session, gazetteer, db)
    return gazetteer


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
    if gazetteer.get(place_id) is not None or session.scalar(
        select(PlaceAddition.seq).where(PlaceAddition.place_id == place_id)
    ):
        raise Conflict(f"a place with id {place_id!r} already exists")
    clean_aliases = sorted({a.strip() for a in aliases or [] if a.strip() and a.strip() != name})
    row = PlaceAddition(place_id=place_id, name=name.strip(), country=country, level=level,
                        parent_id=parent.id, pcode=pcode, aliases=clean_aliases)
    session.add(row)
    session.flush()
    return current_gazetteer(session).get(place_id) or Place(
        id=place_id, name=row.name, country=country, level=level, parent_id=parent.id,
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
    session.add(AliasAddition(place_id=place_id, alias=alias))
    session.flush()
    updated = current_gazetteer(session).get(place_id)
    return updated or place


def get_place(session: Session, place_id: str) -> Place:
    place = current_gazetteer(session).get(place_id)
    if place is None:
        raise NotFound(f"no destination with id {place_id!r}")
    return place
