"""Groups alerts into incidents as they open, and reads an incident with its alerts.

An alert joins the newest incident of its realm (demo or real) opened within the grouping
window whose place is the alert's place or one of its parents, or whose place has the alert's
place among its parents (the incident then narrows to the deeper place); else it opens one.
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


def link(session: Session, gazetteer: Gazetteer, alerts: Sequence[Alert], now: datetime,
         window: timedelta = DEFAULT_WINDOW) -> None:
    """Puts each alert that (re)opened into its incident, opening incidents as needed; one query
    for the incidents within the window, whatever the number of alerts. The caller flushes."""
    if not alerts:
        return
    realms = {a.demo for a in alerts}
    candidates = list(session.scalars(
        select(Incident).where(Incident.demo.in_(realms), Incident.opened_at >= now - window)
        .order_by(Incident.opened_at.desc(), Incident.id.desc())))
    chains: dict[str, list[str]] = {}
    transaction = session.get_transaction()
    cached = session.info.get(_OPENED)
    if cached is None or cached[0] is not transaction:
        cached = (transaction, [])
        session.info[_OPENED] = cached
    opened: list[Incident] = cached[1]

    def chain(place_id: str) -> list[str]:
        if place_id not in chains:
            chains[place_id] = _chain(gazetteer, place_id)
        return chains[place_id]

    for alert in alerts:
        mine = chain(alert.destination_id)
        incident = next((i for i in candidates if i.demo == alert.demo and (
            i.destination_id in mine or alert.destination_id in chain(i.destination_id))), None)
        if incident is None:
            incident = Incident(destination_id=alert.destination_id,
                                destination_name=alert.destination_name, country=alert.country,
                                demo=alert.demo, severity=alert.severity, opened_at=now,
                                last_joined_at=now)
            session.add(incident)
            candidates.insert(0, incident)
            opened.append(incident)
        else:
            if incident.destination_id in mine[1:]:  # the alert's place lies within it
                incident.destination_id = alert.destination_id
                incident.destination_name = alert.destination_name
            if SEVERITY_RANK.get(alert.severity, 0) > SEVERITY_RANK.get(incident.severity, 0):
                incident.severity = alert.severity
            incident.last_joined_at = now
        # through the relationship: the new incidents and the alerts' links go in one flush
        alert.incident = incident


def alerts_of(session: Session, incident_ids: Sequence[int]) -> dict[int, list[tuple[Alert,
                                                                                AlertRule]]]:
    """The alerts of each incident with their rules: the most severe first, and of those the
    incident's own place's before its parents', then the largest."""
    out: dict[int, list[tuple[Alert, AlertRule]]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return out
    rows = session.execute(
        select(Alert, AlertRule, Incident.destination_id)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .join(Incident, Incident.id == Alert.incident_id)
        .where(Alert.incident_id.in_(incident_ids)))
    ranked: dict[int, list[tuple[tuple[int, bool, int, int], Alert, AlertRule]]] = {}
    for alert, rule, place in rows:
        key = (-SEVERITY_RANK.get(alert.severity, 0), alert.destination_id != place,
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


def open_incidents(session: Session, limit: int = 20, *,
                   demo: bool = False) -> list[OpenIncident]:
    """The incidents with open alerts, the latest joined first, each with its open alerts:
    two queries."""
    found = recent(session, limit, demo=demo)
    alerts = alerts_of(session, [i.id for i in found])
    out = []
    for incident in found:
        still = [(a, r) for a, r in alerts[incident.id] if a.status in OPEN_STATUSES]
        if still:
            out.append(OpenIncident(incident, still))
    return out
