"""Groups alerts into incidents as they open, and reads an incident with its alerts.

An incident is a place and the alerts within it or at its parents. An alert joins the newest
incident of its realm (demo or real) opened within the grouping window whose place is the
alert's place, one of its parents or within it, or shares a parent with it below the country
level (two towns of one governorate, a town and a camp of one region); the incident's place is
then the nearest place holding all its alerts' places but their parents (it narrows to a deeper
place, or widens to the nearest common parent). Two first-level regions of a country, or two
countries, are never one incident. Else the alert opens one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.enums import OPEN_STATUSES
from app.alerts.models import Alert, AlertRule
from app.gazetteer.index import Gazetteer
from app.gazetteer.service import current_gazetteer
from app.incidents.models import Incident

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
DEFAULT_WINDOW = timedelta(minutes=60)
"""The grouping window when the caller gives none (DISPMON_INCIDENT_WINDOW_MINUTES's default)."""


_OPENED = "incidents.opened"


def opened_here(session: Session) -> set[int]:
    """The incidents this transaction opened (no one has heard of them before it)."""
    transaction = session.get_transaction()
    cached = session.info.get(_OPENED)
    if cached is None or cached[0] is not transaction:
        return set()
    return {i.id for i in cached[1] if i.id is not None}


def _chain(gazetteer: Gazetteer, place_id: str) -> list[str]:
    return [place_id] + [p.id for p in gazetteer.ancestors(place_id)]


class _Places:
    """The parent chains of places, read once per call from the gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.chains: dict[str, list[str]] = {}

    def chain(self, place_id: str) -> list[str]:
        """The place, then its parents up to its country."""
        if place_id not in self.chains:
            self.chains[place_id] = _chain(self.gazetteer, place_id)
        return self.chains[place_id]

    def common(self, a: str, b: str) -> str | None:
        """The nearest place holding both `a` and `b` (either may be it), if any."""
        other = set(self.chain(b))
        return next((p for p in self.chain(a) if p in other), None)

    def groups(self, place: str, alert_place: str) -> bool:
        """Whether an alert of `alert_place` joins an incident of `place`: one holds the other,
        or a parent below the country level holds both."""
        common = self.common(place, alert_place)
        if common is None:
            return False
        if common in (place, alert_place):
            return True
        found = self.gazetteer.get(common)
        return found is not None and found.level != "country"

    def deepest(self, places: set[str]) -> str:
        """The nearest place holding every one of `places` but their parents: the deepest
        place of one chain, or the nearest common parent of several."""
        inner = sorted(p for p in places
                       if not any(p in self.chain(q)[1:] for q in places if q != p))
        place = inner[0]
        for other in inner[1:]:
            place = self.common(place, other) or place
        return place


def link(session: Session, gazetteer: Gazetteer, alerts: Sequence[Alert], now: datetime,
         window: timedelta = DEFAULT_WINDOW) -> None:
    """Puts each alert that (re)opened into its incident, opening incidents as needed; one
    query for the incidents within the window and, when some of them are the alerts', one for
    their alerts' places, whatever the number of alerts. The caller flushes."""
    if not alerts:
        return
    realms = {a.demo for a in alerts}
    candidates = list(session.scalars(
        select(Incident).where(Incident.demo.in_(realms), Incident.opened_at >= now - window)
        .order_by(Incident.opened_at.desc(), Incident.id.desc())))
    places = _Places(gazetteer)
    # the places of the alerts of the incidents these alerts may join (widening never makes
    # an incident join an alert it did not group with before): mostly none, no query
    held: dict[int, set[str]] = {}  # by incident, its alerts' places
    if known := [i.id for i in candidates if i.id is not None and any(
            a.demo == i.demo and places.groups(i.destination_id, a.destination_id)
            for a in alerts)]:
        for incident_id, place_id in session.execute(
                select(Alert.incident_id, Alert.destination_id).distinct()
                .where(Alert.incident_id.in_(known))):
            if incident_id is not None:
                held.setdefault(incident_id, set()).add(place_id)
    places_of = {i: held.get(i.id, {i.destination_id}) for i in candidates}
    transaction = session.get_transaction()
    cached = session.info.get(_OPENED)
    if cached is None or cached[0] is not transaction:
        cached = (transaction, [])
        session.info[_OPENED] = cached
    opened: list[Incident] = cached[1]

    for alert in alerts:
        incident = next((i for i in candidates if i.demo == alert.demo
                         and places.groups(i.destination_id, alert.destination_id)), None)
        if incident is None:
            incident = Incident(destination_id=alert.destination_id,
                                destination_name=alert.destination_name, country=alert.country,
                                demo=alert.demo, severity=alert.severity, opened_at=now,
                                last_joined_at=now)
            session.add(incident)
            candidates.insert(0, incident)
            places_of[incident] = {alert.destination_id}
            opened.append(incident)
        else:
            held_places = places_of.setdefault(incident, {incident.destination_id})
            held_places.add(alert.destination_id)
            place = places.deepest(held_places)
            if place != incident.destination_id:
                incident.destination_id = place
                incident.destination_name = _name(gazetteer, place, alert)
            if SEVERITY_RANK.get(alert.severity, 0) > SEVERITY_RANK.get(incident.severity, 0):
                incident.severity = alert.severity
            incident.last_joined_at = now
        # through the relationship: the new incidents and the alerts' links go in one flush
        alert.incident = incident


def _name(gazetteer: Gazetteer, place_id: str, alert: Alert) -> str:
    if place_id == alert.destination_id:
        return alert.destination_name
    found = gazetteer.get(place_id)
    return found.name if found is not None else place_id


def alerts_of(session: Session, incident_ids: Sequence[int],
              gazetteer: Gazetteer | None = None) -> dict[int, list[tuple[Alert, AlertRule]]]:
    """The alerts of each incident with their rules: the most severe first, and of those the
    ones at or within the incident's place before its parents', then the largest."""
    out: dict[int, list[tuple[Alert, AlertRule]]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return out
    gazetteer = gazetteer if gazetteer is not None else current_gazetteer(session)
    rows = session.execute(
        select(Alert, AlertRule, Incident.destination_id)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .join(Incident, Incident.id == Alert.incident_id)
        .where(Alert.incident_id.in_(incident_ids)))
    parents: dict[str, set[str]] = {}
    ranked: dict[int, list[tuple[tuple[int, bool, int, int], Alert, AlertRule]]] = {}
    for alert, rule, place in rows:
        if place not in parents:
            parents[place] = set(_chain(gazetteer, place)[1:])
        key = (-SEVERITY_RANK.get(alert.severity, 0), alert.destination_id in parents[place],
               -alert.value, alert.id)
        ranked.setdefault(alert.incident_id or 0, []).append((key, alert, rule))
    for incident_id, items in ranked.items():
        out[incident_id] = [(a, r) for _, a, r in sorted(items, key=lambda t: t[0])]
    return out


def recent(session: Session, limit: int = 10, *, demo: bool = False) -> list[Incident]:
    """The incidents with an open alert, the newest first."""
    open_ids = select(Alert.incident_id).where(Alert.incident_id.is_not(None),
                                               Alert.status.in_(OPEN_STATUSES))
    return list(session.scalars(
        select(Incident).where(Incident.demo.is_(demo), Incident.id.in_(open_ids))
        .order_by(Incident.last_joined_at.desc(), Incident.id.desc()).limit(limit)))


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """An incident as the overview shows it: its open alerts with their rules, and its places
    (the deepest first)."""

    incident: Incident
    alerts: list[tuple[Alert, AlertRule]]

    @property
    def places(self) -> list[str]:
        return list(dict.fromkeys(a.destination_name for a, _ in self.alerts))

    @property
    def lead(self) -> Alert:
        return self.alerts[0][0]


def open_incidents(session: Session, limit: int = 20, *, demo: bool = False,
                   gazetteer: Gazetteer | None = None) -> list[OpenIncident]:
    """The incidents with open alerts, the latest joined first, each with its open alerts:
    two queries."""
    found = recent(session, limit, demo=demo)
    alerts = alerts_of(session, [i.id for i in found], gazetteer)
    out = []
    for incident in found:
        still = [(a, r) for a, r in alerts[incident.id] if a.status in OPEN_STATUSES]
        if still:
            out.append(OpenIncident(incident, still))
    return out
