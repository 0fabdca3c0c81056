"""Which subscriptions an event reaches, and their outbox rows: called by the webhook outbox
(`app.webhooks.service.enqueue`) in the transaction that writes the event, so a notification
exists exactly when the alert change it reports does.

Imports nothing of `app.webhooks.service`, which imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.alerts.models import Alert
from app.db import utcnow
from app.incidents.service import opened_here
from app.notify.models import Notification, Rhythm, Subscription
from app.reports.models import Figure
from app.sources.models import Source
from app.wakeups import wake_after_commit
from app.webhooks.models import WebhookEvent

NOTIFY_JOB = "deliver-notifications"
"""The job that sends the notifications (`app.notify.delivery.deliver_notifications`)."""
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def figure_ids(data: Mapping[str, Any]) -> list[int]:
    return [int(f["figure_id"]) for f in (data.get("evidence") or {}).get("figures") or []
            if f.get("figure_id")]


def is_demo(session: Session, data: Mapping[str, Any]) -> bool:
    """The alert rests on figures of a demo source."""
    ids = figure_ids(data)
    return bool(ids) and session.scalar(
        select(Source.demo).join(Figure, Figure.source_id == Source.id)
        .where(Figure.id.in_(ids), Source.demo.is_(True)).limit(1)) is not None


def matches(sub: Subscription, data: Mapping[str, Any], places: Sequence[str],
             severity: str, demo: bool | None) -> bool:
    if SEVERITY_RANK.get(severity, 0) < SEVERITY_RANK[sub.min_severity]:
        return False
    if sub.destinations is not None and not any(p in sub.destinations for p in places):
        return False
    country = (data.get("destination") or {}).get("country")
    if sub.countries is not None and country not in sub.countries:
        return False
    kind = (data.get("rule") or {}).get("kind")
    if sub.rule_kinds is not None and kind not in sub.rule_kinds:
        return False
    return sub.demo is None or sub.demo == demo


_CACHE = "notify.immediate_subscriptions"


def _immediate(session: Session) -> list[Subscription]:
    """The enabled immediate subscriptions, read once per transaction: an evaluation that
    notifies of dozens of alerts costs one query here, not one per alert."""
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is not None and transaction is not None and cached[0] is transaction:
        subs: list[Subscription] = cached[1]
        return subs
    subs = list(session.scalars(
        select(Subscription).where(Subscription.enabled.is_(True),
                                   Subscription.rhythm == Rhythm.IMMEDIATE)
        .order_by(Subscription.id)))
    session.info[_CACHE] = (transaction, subs)
    return subs


def forget(session: Session) -> None:
    """Drops the cached subscriptions: one was added, changed or removed."""
    session.info.pop(_CACHE, None)


def matching(session: Session, event_type: str, data: Mapping[str, Any], *,
             places: Sequence[str], severity: str) -> list[Subscription]:
    """The enabled subscriptions, at once, whose filters let this alert event through (the
    daily ones read it in their digest); one query when
    there are none, two when one filters on demo data."""
    if not event_type.startswith("alert."):
        return []
    subs = _immediate(session)
    if not subs:
        return []
    demo = is_demo(session, data) if any(s.demo is not None for s in subs) else None
    return [s for s in subs if matches(s, data, places, severity, demo)]


_WAITING = "notify.incident_notifications"
_CREATED = "_dispmon_created_here"
"""Marks, in a notification's `__dict__`, one this transaction wrote (no worker can claim it)."""


def _of_incident(session: Session, incident_id: int) -> dict[int, list[Notification]]:
    """The notifications of an incident by subscription, kept up to date as this transaction
    adds to them. One query per transaction for the incidents of every alert the session holds
    (an evaluation's), however many there are; none for the incidents it opened."""
    transaction = session.get_transaction()
    cached = session.info.get(_WAITING)
    if cached is None or transaction is None or cached[0] is not transaction:
        cached = (transaction, {})
        session.info[_WAITING] = cached
    by_incident: dict[int, dict[int, list[Notification]]] = cached[1]
    if incident_id not in by_incident:
        wanted = {incident_id} | {
            a.incident_id for a in list(session.identity_map.values())
            if isinstance(a, Alert) and a.incident_id is not None
            and a.incident_id not in by_incident}
        new = opened_here(session)
        for i in wanted:
            by_incident[i] = {}
        if old := wanted - new:
            for n in session.scalars(select(Notification).where(
                    Notification.incident_id.in_(old)).order_by(Notification.id)):
                if n.incident_id is not None:
                    by_incident[n.incident_id].setdefault(n.subscription_id, []).append(n)
    return by_incident[incident_id]


def _waiting(rows: Sequence[Notification]) -> Notification | None:
    """The subscription's message of the incident not yet tried, which a change joins."""
    return next((n for n in rows if n.status == "pending" and n.attempts == 0
                 and n.lease_until is None), None)


def _join(session: Session, event: WebhookEvent, waiting: Sequence[Notification]) -> set[int]:
    """Points the waiting messages of earlier transactions at `event`, but those a worker
    claimed meanwhile (one conditional UPDATE: on PostgreSQL it waits for the claim's lock and
    then sees the lease); returns the ids it could not join."""
    ids = [n.id for n in waiting]
    result = session.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.status == "pending",
                                   Notification.attempts == 0,
                                   Notification.lease_until.is_(None))
        .values(event_id=event.id).execution_options(synchronize_session=False))
    taken: set[int] = set()
    if not (isinstance(result, CursorResult) and result.rowcount == len(ids)):
        taken = set(session.scalars(select(Notification.id).where(
            Notification.id.in_(ids), Notification.event_id != event.id)))
    for n in waiting:
        if n.id in taken:  # sent or being sent: no later change joins it
            set_committed_value(n, "lease_until", utcnow())
        else:
            set_committed_value(n, "event_id", event.id)
    return taken


def write(session: Session, event: WebhookEvent, subscriptions: Sequence[Subscription],
          *, is_test: bool = False) -> list[Notification]:
    """One pending notification per subscription, but per incident for an alert's change: a
    change joins the incident's message still waiting to be sent (which then tells the latest
    event), else it is the incident's first message or an update. The delivery job is woken on
    commit."""
    alert = session.get(Alert, event.alert_id) if event.alert_id is not None else None
    incident_id = alert.incident_id if alert is not None and not is_test else None
    if incident_id is None:
        rows = [Notification(subscription_id=s.id, event_id=event.id, is_test=is_test,
                             status="pending", next_attempt_at=event.created_at)
                for s in subscriptions]
    else:
        known = _of_incident(session, incident_id)
        rows = []
        joining: dict[int, Notification] = {}  # subscription -> its message of a commit before
        for s in subscriptions:
            earlier = known.setdefault(s.id, [])
            if (waiting := _waiting(earlier)) is None:
                continue
            if waiting.id is None or waiting in session.new or _CREATED in waiting.__dict__:
                waiting.event_id = event.id  # written by this transaction: no one else sees it
            else:
                joining[s.id] = waiting
        taken = _join(session, event, list(joining.values())) if joining else set()
        for s in subscriptions:
            earlier = known[s.id]
            waiting = _waiting(earlier) if s.id not in joining else joining[s.id]
            if waiting is not None and waiting.id not in taken:
                continue
            row = Notification(subscription_id=s.id, event_id=event.id, status="pending",
                               next_attempt_at=event.created_at, incident_id=incident_id,
                               is_update=bool(earlier))
            row.__dict__[_CREATED] = True
            earlier.append(row)
            rows.append(row)
    session.add_all(rows)
    session.flush()
    if rows:
        wake_after_commit(session, NOTIFY_JOB)
    return rows
