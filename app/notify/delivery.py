"""The notification job: claims due notifications, renders each event once per batch, sends
through the subscription's channel, stores every attempt, and retries on the webhooks'
schedule (`app.webhooks.service.next_delay`: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
with jitter, and never sooner than a Retry-After asks).

Claims work as the webhook deliveries do (`FOR UPDATE SKIP LOCKED`, then a conditional UPDATE
of a lease only one worker can win), so any number of workers run it and none sends the same
notification at once; a dead worker's lease expires and its notification is sent again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.enums import OPEN_STATUSES, AlertEvent
from app.alerts.outbox import alert_out
from app.crypto import SecretBox, secret_box
from app.dashboard.service import series_of
from app.db import utcnow
from app.errors import SecretUnreadable
from app.gazetteer.service import current_gazetteer
from app.incidents import service as incidents
from app.notify.channels import CHANNELS, Sent, Target
from app.notify.fanout import figure_ids, is_demo, matches
from app.notify.messages import (
    DIGEST_EVENT,
    INCIDENT_OPENED,
    INCIDENT_RESOLVED,
    INCIDENT_UPDATED,
    TEST_EVENT,
    Context,
    IncidentAlert,
    Message,
    build,
    incident_message,
)
from app.notify.models import (
    ChannelKind,
    Notification,
    NotificationAttempt,
    Subscription,
    TestStatus,
)
from app.reports.models import Figure
from app.settings import Settings
from app.sources.models import Source
from app.webhooks.models import WebhookEvent
from app.webhooks.service import UNREADABLE_SECRET_WAIT, after_failure

log = logging.getLogger(__name__)


def _claimable(now: datetime, wait: timedelta = timedelta(0)) -> list[ColumnElement[bool]]:
    return [
        Notification.status == "pending",
        Notification.next_attempt_at <= now,
        or_(Notification.lease_until.is_(None), Notification.lease_until < now),
        # an incident's message waits for the alerts that join it
        or_(Notification.incident_id.is_(None), Notification.created_at <= now - wait),
    ]


def claim(session: Session, worker: str, now: datetime, lease: timedelta,
          limit: int, wait: timedelta = timedelta(0)) -> list[Notification]:
    """Leases up to `limit` due notifications to `worker`: three statements, however many. The
    lease is one UPDATE only rows still claimable take, marked with a token of this claim, so
    the rows read back are exactly those this worker won."""
    candidates = session.scalars(
        select(Notification.id).where(*_claimable(now, wait))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit).with_for_update(skip_locked=True)).all()
    if not candidates:
        return []
    token = f"{worker[:80]}#{secrets.token_hex(8)}"
    result = session.execute(
        update(Notification).where(Notification.id.in_(candidates), *_claimable(now, wait))
        .values(lease_until=now + lease, leased_by=token)
        .execution_options(synchronize_session=False))
    if isinstance(result, CursorResult) and result.rowcount == 0:
        return []
    return list(session.scalars(
        select(Notification).where(Notification.id.in_(candidates),
                                   Notification.leased_by == token)
        .order_by(Notification.next_attempt_at, Notification.id)
        .execution_options(populate_existing=True)))


def subscriptions_of(session: Session, rows: Iterable[Notification]) -> dict[int, Subscription]:
    """The subscriptions of a batch in one query. The caller keeps the rows and this dict while
    it works on them: the session holds unchanged objects only weakly, and one dropped is read
    again (a SELECT, and an autoflush before it) at each `session.get`."""
    ids = {n.subscription_id for n in rows}
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(select(Subscription)
                                             .where(Subscription.id.in_(ids)))}


def context_of(session: Session, settings: Settings, event: WebhookEvent) -> Context:
    """What the database adds to the event's data (see `messages.Context`)."""
    if event.type in (TEST_EVENT, DIGEST_EVENT):
        return Context(demo=settings.demo or bool(event.data.get("demo")))
    return context_of_alert(session, settings, event.data)


def context_of_alert(session: Session, settings: Settings, data: Mapping[str, Any]) -> Context:
    """What the database adds to an alert's data (see `messages.Context`)."""
    destination = data.get("destination") or {}
    gazetteer = current_gazetteer(session)
    place_id = str(destination.get("id") or "")
    parents = tuple(p.name for p in gazetteer.ancestors(place_id))
    country_code = destination.get("country")
    country = gazetteer.get(country_code) if country_code else None
    ids = figure_ids(data)
    credibility: dict[int, str] = {}
    if ids:
        for figure_id, grade in session.execute(
                select(Figure.id, Source.credibility).join(Source, Source.id == Figure.source_id)
                .where(Figure.id.in_(ids))):
            credibility[figure_id] = grade
    return Context(parents=parents, country=country.name if country else country_code,
                   credibility=credibility, demo=settings.demo or is_demo(session, data),
                   series=tuple(series_of(session, place_id)) if place_id else ())


@dataclass(frozen=True, slots=True)
class _Outgoing:
    notification_id: int
    number: int
    channel: ChannelKind
    target: Target
    message: Message


def _prepare(session: Session, settings: Settings, box: SecretBox, notification: Notification,
             sub: Subscription, messages: dict[MessageKey, Message],
             secrets_of: dict[int, tuple[str, str | None]]) -> _Outgoing | None:
    if not sub.enabled:
        notification.status = "failed"
        notification.last_error = f"subscription disabled: {sub.disabled_reason}"
        notification.lease_until = notification.leased_by = None
        return None
    try:
        if sub.id not in secrets_of:  # once per subscription and batch
            secrets_of[sub.id] = (box.decrypt(sub.address_encrypted), box.decrypt(
                sub.token_encrypted) if sub.token_encrypted else None)
        address, token = secrets_of[sub.id]
    except SecretUnreadable as exc:
        log.error("subscription %s: %s; notification %s waits", sub.id, exc.detail,
                  notification.id)
        notification.next_attempt_at = utcnow() + UNREADABLE_SECRET_WAIT
        notification.lease_until = notification.leased_by = None
        return None
    key = (notification.event_id, notification.incident_id, notification.is_update,
           _filters(sub) if notification.incident_id is not None else None)
    if key not in messages:
        event = session.get_one(WebhookEvent, notification.event_id)
        messages[key] = (incident(session, settings, notification.incident_id,
                                  notification.is_update, event, sub)
                         if notification.incident_id is not None else
                         build(event.type, event.data, context_of(session, settings, event),
                               settings.public_url))
    return _Outgoing(notification.id, notification.attempts + 1, ChannelKind(sub.channel),
                     Target(address, token, f"dispmon-notification-{notification.id}"),
                     messages[key])


Filters = tuple[tuple[str, ...] | None, tuple[str, ...] | None, tuple[str, ...] | None, str,
                bool | None]
MessageKey = tuple[int, int | None, bool, Filters | None]


def _filters(sub: Subscription) -> Filters:
    """What of a subscription decides which of an incident's alerts its message shows."""
    def of(values: list[str] | None) -> tuple[str, ...] | None:
        return tuple(values) if values is not None else None
    return (of(sub.destinations), of(sub.countries), of(sub.rule_kinds), sub.min_severity,
            sub.demo)


def incident(session: Session, settings: Settings, incident_id: int, is_update: bool,
             event: WebhookEvent, sub: Subscription) -> Message:
    """An incident's message, as it stands: an incident of one alert reads as that alert's
    latest event. One of several opens with its most severe alert, every rule and place folded
    in; an update leads with the alert whose change it tells (a rule that joined reads as the
    incident updated), and the incident reads as resolved once none of its alerts is open."""
    gazetteer = current_gazetteer(session)
    # only the alerts the subscription's filters let through
    rows = [(a, rule) for a, rule in incidents.alerts_of(session, [incident_id])[incident_id]
            if matches(sub, {"destination": {"country": a.country}, "rule": {"kind": rule.kind}},
                       [a.destination_id, *(p.id for p in gazetteer.ancestors(a.destination_id))],
                       a.severity, a.demo)]
    if len(rows) <= 1:
        return build(event.type, event.data, context_of(session, settings, event),
                     settings.public_url)
    if all(a.status not in OPEN_STATUSES for a, _ in rows):
        event_type, lead = INCIDENT_RESOLVED, event.data
    elif is_update:
        event_type = INCIDENT_UPDATED if event.type == AlertEvent.FIRING else event.type
        lead = event.data
    else:
        event_type, lead = INCIDENT_OPENED, alert_out(*rows[0]).model_dump(mode="json")
    listed = [IncidentAlert(rule.name, rule.kind, a.destination_name, a.severity, a.status,
                            a.value, a.summary) for a, rule in rows]
    return incident_message(event_type, lead, listed, context_of_alert(session, settings, lead),
                            settings.public_url)


@dataclass(frozen=True, slots=True)
class _Outcome:
    outgoing: _Outgoing
    started: datetime
    finished: datetime
    sent: Sent


def _send(settings: Settings, outgoing: _Outgoing) -> _Outcome:
    """One send through the channel; no database here, so sends run side by side."""
    started = utcnow()
    try:
        sent = CHANNELS[outgoing.channel].send(settings, outgoing.target, outgoing.message)
    except Exception as exc:  # a bug must cost one attempt, not the whole batch
        log.exception("sending notification %s failed unexpectedly", outgoing.notification_id)
        sent = Sent(None, f"unexpected error: {type(exc).__name__}: {exc}")
    return _Outcome(outgoing, started, utcnow(), sent)


def _disable(session: Session, sub: Subscription, reason: str) -> None:
    sub.enabled = False
    sub.disabled_reason = reason
    session.execute(
        update(Notification)
        .where(Notification.subscription_id == sub.id, Notification.status == "pending")
        .values(status="failed", last_error=f"subscription disabled: {reason}",
                lease_until=None, leased_by=None))
    log.warning("subscription %s (%s) disabled: %s", sub.id, sub.address_hint, reason)


def _record(session: Session, settings: Settings, worker: str, outcome: _Outcome,
            notification: Notification, sub: Subscription, now: datetime | None) -> bool:
    out, sent = outcome.outgoing, outcome.sent
    success = sent.error is None
    session.add(NotificationAttempt(
        notification_id=notification.id, number=out.number, worker=worker,
        started_at=outcome.started, finished_at=outcome.finished, status_code=sent.status_code,
        success=success, error=sent.error, response_excerpt=sent.excerpt,
        retry_after_seconds=sent.retry_after))
    notification.attempts = out.number
    notification.last_status_code = sent.status_code
    notification.last_error = sent.error
    notification.lease_until = notification.leased_by = None
    if notification.is_test:
        sub.test_status = TestStatus.PASSED if success else TestStatus.FAILED
        sub.test_error = sent.error
        sub.tested_at = outcome.finished
    if notification.status != "pending":  # its subscription was disabled meanwhile
        return success
    if success:
        notification.status = "succeeded"
        notification.delivered_at = outcome.finished
        notification.next_attempt_at = None
        sub.failing_since = None
        return True
    why = after_failure(notification, sub, sent.status_code, sent.retry_after,
                        now or outcome.finished, settings)
    if why is not None:
        _disable(session, sub, why)
    session.flush()
    return False


def _record_all(session: Session, settings: Settings, worker: str, outcomes: list[_Outcome],
                now: datetime | None) -> None:
    """Stores a batch's outcomes: its rows read in two queries, not two per notification, and
    the attempts and changes written together at the next flush."""
    rows = {n.id: n for n in session.scalars(select(Notification).where(
        Notification.id.in_([o.outgoing.notification_id for o in outcomes])))}
    subs = subscriptions_of(session, rows.values())
    for outcome in outcomes:
        row = rows[outcome.outgoing.notification_id]
        _record(session, settings, worker, outcome, row, subs[row.subscription_id], now)
    session.flush()


def deliver_notifications(factory: sessionmaker[Session], settings: Settings, worker: str,
                          now: datetime | None = None, limit: int = 100) -> int:
    """One run of the job: claim and send until nothing is due; returns the sends made.
    `now` replaces the clock for scheduling (tests walk through the retries with it).

    One transaction per batch records the outcomes of the batch before and claims the next:
    on SQLite, whose single writer a burst of reports keeps busy, each batch waits for it once.
    A claim that fails leaves the outcomes recorded (a savepoint), so none is sent again.
    """
    lease = timedelta(seconds=max(settings.webhook_lease_seconds,
                                  settings.smtp_timeout_seconds + 1))
    box = secret_box(settings)
    wait = timedelta(seconds=settings.incident_wait_seconds)
    sent = 0
    outcomes: list[_Outcome] = []
    with ThreadPoolExecutor(max_workers=settings.webhook_concurrency,
                            thread_name_prefix="notify") as pool:
        while True:
            with factory.begin() as session:
                if outcomes:
                    _record_all(session, settings, worker, outcomes, now)
                    sent += len(outcomes)
                try:
                    with session.begin_nested():
                        claimed = claim(session, worker, now or utcnow(), lease, limit, wait)
                        session.flush()
                        subs = subscriptions_of(session, claimed)
                        messages: dict[MessageKey, Message] = {}
                        decrypted: dict[int, tuple[str, str | None]] = {}
                        prepared = [_prepare(session, settings, box, n, subs[n.subscription_id],
                                             messages, decrypted) for n in claimed]
                        outgoing = [o for o in prepared if o is not None]
                except Exception:  # a bug or a database error: the attempts made are kept
                    if not outcomes:
                        raise
                    log.exception("claiming notifications failed; the next run tries again")
                    claimed = []
            if not claimed:
                return sent
            outcomes = list(pool.map(lambda o: _send(settings, o), outgoing))
