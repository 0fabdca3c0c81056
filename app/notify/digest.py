"""The daily digest: for each daily subscription, at its local hour, what moved in the 24 hours
before within its filters (new destinations, the biggest rises with their sources, alerts opened
and resolved) and the sources failing; nothing is sent when nothing moved, unless the
subscription asks for a digest every day.

The digest is an event like an alert's (`digest.daily`) with one notification, so it is sent,
recorded and retried by the notification job. A subscription's `last_digest_at` is moved to the
hour it covers by a conditional UPDATE only one worker can win: no day is sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert, AlertRule
from app.db import utcnow
from app.gazetteer.index import Gazetteer
from app.gazetteer.service import current_gazetteer
from app.notify import fanout
from app.notify.messages import CREDIBILITY, DIGEST_EVENT, people
from app.notify.models import Rhythm, Subscription
from app.reports.models import Figure
from app.settings import Settings
from app.sources.models import Source
from app.webhooks.service import new_event

DIGEST_JOB = "send-digests"
MAX_LINES = 10
TOP_RISES = 5


def due_at(sub: Subscription, now: datetime) -> datetime:
    """The latest instant at or before `now` when the subscription's local clock read its hour."""
    zone = ZoneInfo(sub.timezone)
    local = now.astimezone(zone)
    at = local.replace(hour=sub.digest_hour, minute=0, second=0, microsecond=0)
    if at > local:
        at = (at - timedelta(days=1)).replace(hour=sub.digest_hour)
    return at.astimezone(UTC)


def is_due(sub: Subscription, now: datetime) -> bool:
    due = due_at(sub, now)
    if sub.last_digest_at is None:
        return sub.created_at <= due  # the first digest covers a whole day after it was added
    return sub.last_digest_at < due


@dataclass(frozen=True, slots=True)
class _Row:
    alert: Alert
    kind: str
    places: list[str]


def _alerts(session: Session, gazetteer: Gazetteer, start: datetime,
            end: datetime) -> list[_Row]:
    """The alerts that opened, rose or resolved in the window: one query for every digest."""
    rows = session.execute(
        select(Alert, AlertRule.kind).join(AlertRule, AlertRule.id == Alert.rule_id).where(or_(
            Alert.opened_at.between(start, end), Alert.last_triggered_at.between(start, end),
            Alert.resolved_at.between(start, end))).order_by(Alert.id))
    return [_Row(alert, kind, [alert.destination_id] + [
        p.id for p in gazetteer.ancestors(alert.destination_id)]) for alert, kind in rows]


def _in_window(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _where(gazetteer: Gazetteer, alert: Alert) -> str:
    return ", ".join([alert.destination_name] + [
        p.name for p in gazetteer.ancestors(alert.destination_id)])


def _rise(alert: Alert, gazetteer: Gazetteer, credibility: dict[int, str]) -> str:
    evidence = alert.evidence or {}
    change = (evidence.get("change") or {}).get("people")
    current = (evidence.get("current") or {}).get("estimate", alert.value)
    line = f"{_where(gazetteer, alert)}: {people(int(current))} people"
    if change is not None:
        line += f" ({'+' if change >= 0 else '−'}{people(abs(int(change)))})"
    figures = evidence.get("figures") or []
    if figures:
        f = figures[0]
        grade = credibility.get(int(f.get("figure_id") or 0))
        rated = f", credibility {grade} ({CREDIBILITY.get(grade, '?')})" if grade else ""
        line += f" – {f.get('source')}{rated}, {f.get('date')}: “{f.get('quote')}”"
    return line


def _scope(sub: Subscription) -> str:
    parts = []
    if sub.destinations:
        parts.append(f"places {', '.join(sub.destinations)}")
    if sub.countries:
        parts.append(f"countries {', '.join(sub.countries)}")
    if sub.rule_kinds:
        parts.append(f"rules {', '.join(sub.rule_kinds)}")
    parts.append(f"{sub.min_severity} and above")
    if sub.demo is not None:
        parts.append("demo data only" if sub.demo else "real data only")
    return "; ".join(parts)


def _credibility(session: Session, rows: Sequence[_Row]) -> dict[int, str]:
    ids = {int(f["figure_id"]) for r in rows
           for f in (r.alert.evidence or {}).get("figures") or [] if f.get("figure_id")}
    grades: dict[int, str] = {}
    if ids:
        for figure_id, grade in session.execute(
                select(Figure.id, Source.credibility)
                .join(Source, Source.id == Figure.source_id).where(Figure.id.in_(ids))):
            grades[figure_id] = grade
    return grades


def _failing_sources(session: Session) -> list[str]:
    return [f"{s.name}: {s.consecutive_failures} failed fetches in a row"
            + (f", last success {s.last_success_at:%Y-%m-%d %H:%M} UTC" if s.last_success_at
               else ", never fetched")
            for s in session.scalars(
                select(Source).where(Source.enabled.is_(True), Source.kind != "manual",
                                     Source.consecutive_failures > 0)
                .order_by(Source.consecutive_failures.desc()).limit(MAX_LINES))]


def build(session: Session, gazetteer: Gazetteer, sub: Subscription, start: datetime,
          end: datetime, rows: Sequence[_Row], credibility: dict[int, str],
          failing: list[str]) -> tuple[bool, dict[str, Any]]:
    """Whether anything moved for this subscription, and the digest's data."""
    demo_of: dict[int, bool] = {}
    mine: list[Alert] = []
    for row in rows:
        data = {"destination": {"country": row.alert.country}, "rule": {"kind": row.kind},
                "evidence": row.alert.evidence}
        demo = None
        if sub.demo is not None:  # the alert's realm: no query per alert and subscription
            demo = demo_of.setdefault(row.alert.id, row.alert.demo)
        if fanout.matches(sub, data, row.places, row.alert.severity, demo):
            mine.append(row.alert)
    kinds = {row.alert.id: row.kind for row in rows}
    opened = [a for a in mine if _in_window(a.opened_at, start, end)]
    resolved = [a for a in mine if _in_window(a.resolved_at, start, end)]
    new = [a for a in opened if kinds[a.id] == "new_destination"]
    rising = sorted((a for a in mine if _in_window(a.last_triggered_at, start, end)),
                    key=lambda a: -int(((a.evidence or {}).get("change") or {}).get("people")
                                       or 0))
    seen: set[str] = set()
    rises: list[str] = []
    for alert in rising:  # one line per place: its biggest rise
        if alert.destination_id not in seen and len(rises) < TOP_RISES:
            seen.add(alert.destination_id)
            rises.append(_rise(alert, gazetteer, credibility))
    moved = bool(opened or resolved or rises)
    summary = (f"{len(opened)} alerts opened, {len(resolved)} resolved, "
               f"{len(new)} new destinations" if moved else "nothing moved")
    zone = sub.timezone
    local = f"{start.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} to " \
            f"{end.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"
    sections = [
        ("New destinations", [f"{_where(gazetteer, a)}: {people(a.value)} people"
                              for a in new][:MAX_LINES]),
        ("Biggest rises", rises),
        ("Alerts opened", [f"{a.severity}: {a.summary}" for a in opened][:MAX_LINES]),
        ("Alerts resolved", [f"{a.summary} ({a.resolution or 'resolved'})"
                             for a in resolved][:MAX_LINES]),
        ("Sources failing", failing),
    ]
    return moved, {
        "subscription_id": sub.id, "period": local, "start": start.isoformat(),
        "end": end.isoformat(), "summary": summary, "scope": _scope(sub),
        "sections": [[title, lines] for title, lines in sections if lines],
        "demo": bool(sub.demo) or any(demo_of.values()),
    }


def send_digests(factory: sessionmaker[Session], settings: Settings, worker: str,
                 now: datetime | None = None) -> int:
    """One run of the digest job: every daily subscription whose hour has come gets its digest
    queued (or, with nothing to say, skipped); returns the digests queued."""
    now = now or utcnow()
    queued = 0
    with factory.begin() as session:
        subs = [s for s in session.scalars(
            select(Subscription).where(Subscription.enabled.is_(True),
                                       Subscription.rhythm == Rhythm.DAILY)
            .order_by(Subscription.id)) if is_due(s, now)]
        if not subs:
            return 0
        gazetteer = current_gazetteer(session)
        failing = _failing_sources(session)
        windows: dict[datetime, tuple[list[_Row], dict[int, str]]] = {}
        for sub in subs:
            end = due_at(sub, now)
            won = session.execute(
                update(Subscription).where(
                    Subscription.id == sub.id,
                    or_(Subscription.last_digest_at.is_(None), Subscription.last_digest_at < end))
                .values(last_digest_at=end).execution_options(synchronize_session=False))
            if not (isinstance(won, CursorResult) and won.rowcount == 1):
                continue  # another worker built this one
            start = end - timedelta(days=1)
            if end not in windows:
                rows = _alerts(session, gazetteer, start, end)
                windows[end] = rows, _credibility(session, rows)
            rows, credibility = windows[end]
            moved, data = build(session, gazetteer, sub, start, end, rows, credibility,
                                failing)
            if moved or sub.digest_when_quiet:
                fanout.write(session, new_event(session, DIGEST_EVENT, data, None), [sub])
                queued += 1
    return queued
