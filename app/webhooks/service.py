"""Webhook subscriptions, the outbox, and delivery: signed, retried, every attempt recorded.

A notification is written in the caller's transaction: one event row and one delivery row per
matching endpoint (the outbox), so it exists exactly when the alert change it reports does. The
delivery job, woken as soon as that transaction commits, then claims due deliveries like the
fetchers claim sources (`FOR UPDATE SKIP LOCKED`, then a conditional UPDATE of a lease that
only one worker can win, atomic on SQLite too), sends each through the outbound gate with
Standard Webhooks headers, and records the attempt. The `webhook-id` is the delivery's
`message_id`, fixed when the outbox row is written: a retry, a redelivery or a resend after a
worker died carries the same one, so receivers can deduplicate. A dead worker's lease expires
and its delivery is sent again (at least once).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from app.alerts.enums import Severity
from app.crypto import SecretBox, secret_box
from app.db import utcnow
from app.errors import Conflict, FetchFailed, InvalidInput, NotFound, SecretUnreadable
from app.http import retry_after_seconds, send
from app.notify import fanout as notify_fanout
from app.settings import Settings
from app.wakeups import wake_after_commit
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

# after the first attempt (sent at once), the waits before each retry
RETRY_SCHEDULE = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=10),
)
MAX_RETRY_AFTER = timedelta(hours=24)
MAX_PAYLOAD_BYTES = 20_000
MAX_RESPONSE_BYTES = 64_000
SEVERITY_RANK: dict[str, int] = {severity: rank for rank, severity in enumerate(Severity)}
DELIVERY_JOB = "deliver-webhooks"
"""The job that sends the outbox (`deliver_due`): a transaction that writes deliveries wakes it
once committed."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    if not secret.startswith("whsec_"):
        raise InvalidInput("a webhook secret starts with whsec_")
    try:
        raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError as exc:
        raise InvalidInput("a webhook secret is whsec_ followed by base64") from exc
    if not 24 <= len(raw) <= 64:
        raise InvalidInput("a webhook secret holds 24 to 64 random bytes")
    return secret


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


# -- endpoints ------------------------------------------------------------------------------

def create_endpoint(session: Session, box: SecretBox, *, url: str, description: str | None,
                    destinations: list[str] | None, min_severity: str,
                    secret: str | None, include_demo: bool = False) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret in clear, which only this return ever shows."""
    plain = check_secret(secret) if secret else new_secret()
    endpoint = WebhookEndpoint(
        url=url, description=description, destinations=destinations, min_severity=min_severity,
        include_demo=include_demo, secret_encrypted=box.encrypt(plain),
    )
    session.add(endpoint)
    session.flush()
    return endpoint, plain


def rekey(session: Session, box: SecretBox) -> int:
    """Re-encrypts every endpoint's secret with the current key; returns how many. Raises
    SecretUnreadable, changing nothing, when one was encrypted with neither key."""
    endpoints = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    for endpoint in endpoints:
        endpoint.secret_encrypted = box.rotate(endpoint.secret_encrypted)
    session.flush()
    return len(endpoints)


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook with id {endpoint_id}")
    return endpoint


def list_endpoints(session: Session, before_id: int | None, limit: int) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(WebhookEndpoint.id < before_id)
    return list(session.scalars(query))


def update_endpoint(session: Session, endpoint_id: int, changes: dict[str, Any]) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes.get("enabled"):
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    session.flush()
    return endpoint


def delete_endpoint(session: Session, endpoint_id: int) -> None:
    session.delete(get_endpoint(session, endpoint_id))
    session.flush()


# -- the outbox -----------------------------------------------------------------------------

def _matches(endpoint: WebhookEndpoint, places: Sequence[str], severity: str) -> bool:
    if SEVERITY_RANK[severity] < SEVERITY_RANK[endpoint.min_severity]:
        return False
    return endpoint.destinations is None or any(p in endpoint.destinations for p in places)


PAYLOAD_SLACK = 200
"""Bytes kept free under MAX_PAYLOAD_BYTES for the timestamp and the envelope's punctuation."""
_TRIM_STEPS = (1000, 300, 100, 30, 10, 3)


def payload_size(event_type: str, data: Any) -> int:
    body = {"type": event_type, "timestamp": "", "data": data}
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def _trimmed(value: Any, keep: int) -> Any:
    """`value` with every string cut to `keep` characters and every list to `keep` items."""
    if isinstance(value, str):
        return value if len(value) <= keep else value[:keep - 1] + "…"
    if isinstance(value, list):
        return [_trimmed(v, keep) for v in value[:keep]]
    if isinstance(value, dict):
        return {k: _trimmed(v, keep) for k, v in value.items()}
    return value


def fit_payload(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` as it is when it fits in MAX_PAYLOAD_BYTES; else with its long strings and lists
    cut shorter and shorter until it does, and `"truncated": true`. An oversized event never
    refuses the report that raised it: receivers get what fits, and the API has the rest."""
    limit = MAX_PAYLOAD_BYTES - PAYLOAD_SLACK
    if payload_size(event_type, data) <= limit:
        return data
    for keep in _TRIM_STEPS:
        trimmed = {**_trimmed(data, keep), "truncated": True}
        if payload_size(event_type, trimmed) <= limit:
            return trimmed
    # only a dict with thousands of keys gets here: keep the top level's small values
    return {**{k: v for k, v in data.items() if isinstance(v, int | float | bool) or v is None
               or (isinstance(v, str) and len(v) <= 100)}, "truncated": True}


def enabled_endpoints(session: Session, *, demo: bool) -> list[WebhookEndpoint]:
    """The endpoints an event may go to: the enabled ones, and of those only the ones with
    `include_demo` for a `demo` event (of the demo's alerts)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
    if demo:
        query = query.where(WebhookEndpoint.include_demo.is_(True))
    return list(session.scalars(query))


def enqueue(session: Session, event_type: str, data: dict[str, Any], *, places: Sequence[str],
            severity: str, alert_id: int | None = None, demo: bool = False,
            endpoints: Sequence[WebhookEndpoint] | None = None) -> int:
    """Writes `data` to the outbox for every enabled endpoint whose filters match: `places` is
    the destination and its ancestors (a subscription to a country hears about its regions).
    A `demo` event (of the demo's alerts) goes only to endpoints with `include_demo`.
    `endpoints`: `enabled_endpoints` as the caller read them for several events of one
    transaction, else read here. Returns the number of deliveries written."""
    if endpoints is None:
        endpoints = enabled_endpoints(session, demo=demo)
    matching = [e for e in endpoints if _matches(e, places, severity)]
    # --- e-mail and chat subscriptions (app/notify): the same event, for those it reaches ---
    subscriptions = notify_fanout.matching(session, event_type, data, places=places,
                                           severity=severity)
    if not matching and not subscriptions:
        return 0
    event = new_event(session, event_type, data, alert_id)
    notify_fanout.write(session, event, subscriptions)
    # --- end of the subscriptions' hook ---
    return len(_deliveries(session, event, matching))


def new_event(session: Session, event_type: str, data: dict[str, Any],
              alert_id: int | None) -> WebhookEvent:
    """The event row every channel sends (its data cut to fit a webhook payload)."""
    event = WebhookEvent(type=event_type, alert_id=alert_id,
                         data=fit_payload(event_type, data), created_at=utcnow())
    session.add(event)
    session.flush()
    return event


def _write(session: Session, event_type: str, data: dict[str, Any],
           endpoints: Iterable[WebhookEndpoint], alert_id: int | None) -> list[WebhookDelivery]:
    return _deliveries(session, new_event(session, event_type, data, alert_id), endpoints)


def _deliveries(session: Session, event: WebhookEvent,
                endpoints: Iterable[WebhookEndpoint]) -> list[WebhookDelivery]:
    deliveries = [
        WebhookDelivery(message_id=new_message_id(), endpoint_id=e.id, event_id=event.id,
                        status=DeliveryStatus.PENDING, next_attempt_at=event.created_at)
        for e in endpoints
    ]
    if not deliveries:
        return []
    session.add_all(deliveries)
    session.flush()
    wake_after_commit(session, DELIVERY_JOB)
    return deliveries


def send_test(session: Session, endpoint_id: int) -> WebhookDelivery:
    """A webhook.test event for one endpoint, whatever its filters."""
    endpoint = get_endpoint(session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict(f"webhook {endpoint_id} is disabled ({endpoint.disabled_reason}); "
                       "enable it first")
    data = {"webhook_id": endpoint.id, "message": "Test notification from Displacement Monitor"}
    return _write(session, "webhook.test", data, [endpoint], None)[0]


def redeliver(session: Session, delivery_id: int) -> WebhookDelivery:
    """Sends a delivery again, with its `webhook-id`, from the start of the retry schedule."""
    delivery = get_delivery(session, delivery_id)
    endpoint = get_endpoint(session, delivery.endpoint_id)
    if not endpoint.enabled:
        raise Conflict(f"webhook {endpoint.id} is disabled ({endpoint.disabled_reason}); "
                       "enable it first")
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict(f"delivery {delivery_id} is still pending: it will be sent")
    delivery.status = DeliveryStatus.PENDING
    delivery.retries = 0
    delivery.next_attempt_at = utcnow()
    delivery.delivered_at = None
    session.flush()
    wake_after_commit(session, DELIVERY_JOB)
    return delivery


def get_delivery(session: Session, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    return delivery


def list_deliveries(session: Session, endpoint_id: int, before_id: int | None, limit: int,
                    ) -> list[tuple[WebhookDelivery, WebhookEvent, list[WebhookAttempt]]]:
    """The endpoint's deliveries newest first, each with its event and every attempt."""
    get_endpoint(session, endpoint_id)
    query = (select(WebhookDelivery, WebhookEvent)
             .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
             .where(WebhookDelivery.endpoint_id == endpoint_id)
             .order_by(WebhookDelivery.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    rows = session.execute(query).all()
    attempts: dict[int, list[WebhookAttempt]] = {d.id: [] for d, _ in rows}
    if attempts:
        for attempt in session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(attempts))
            .order_by(WebhookAttempt.number, WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, e, attempts[d.id]) for d, e in rows]


# -- delivery -------------------------------------------------------------------------------

def _claimable(now: datetime) -> list[ColumnElement[bool]]:
    return [
        WebhookDelivery.status == DeliveryStatus.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
    ]


def claim_deliveries(session: Session, worker: str, now: datetime, lease: timedelta,
                     limit: int = 20) -> list[int]:
    """Leases up to `limit` due deliveries to `worker`, oldest first; the caller commits."""
    candidates = session.scalars(
        select(WebhookDelivery.id).where(*_claimable(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit).with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for delivery_id in candidates:
        result = session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, *_claimable(now))
            .values(lease_until=now + lease, leased_by=worker)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            claimed.append(delivery_id)
    return claimed


def payload(event: WebhookEvent) -> bytes:
    """The body of every send of `event`: the same bytes on each retry."""
    body = {"type": event.type, "timestamp": event.created_at.astimezone(UTC).isoformat(),
            "data": event.data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(secret: str, message_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers; the timestamp is the send's, so each attempt is fresh."""
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def next_delay(retries: int, retry_after: float | None) -> timedelta | None:
    """The wait before retry number `retries` + 1, with jitter; None when the schedule is over."""
    if retries >= len(RETRY_SCHEDULE):
        return None
    delay = RETRY_SCHEDULE[retries] * random.uniform(0.9, 1.1)
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


class Retried(Protocol):
    """A queued send (a webhook delivery, a notification) as the retry schedule sees it."""

    status: str
    retries: int
    next_attempt_at: datetime | None


class Receiver(Protocol):
    """Where sends go (a webhook endpoint, a subscription): failing since when."""

    failing_since: datetime | None


def after_failure(row: Retried, target: Receiver, status_code: int | None,
                  retry_after: float | None, clock: datetime, settings: Settings) -> str | None:
    """A failed send: the row is retried on the schedule (`next_delay`) or fails; returns why
    its receiver is to be disabled (a 410, or failing for DISPMON_WEBHOOK_DISABLE_AFTER_DAYS),
    else None. Webhook deliveries and notifications share it."""
    target.failing_since = target.failing_since or clock
    delay = next_delay(row.retries, retry_after)
    if status_code == 410:
        row.status = DeliveryStatus.FAILED
        return "the receiver answered 410 Gone"
    if clock - target.failing_since >= timedelta(days=settings.webhook_disable_after_days):
        row.status = DeliveryStatus.FAILED
        return f"failing since {target.failing_since.isoformat()}"
    if delay is None:
        row.status = DeliveryStatus.FAILED
        row.next_attempt_at = None
    else:
        row.retries += 1
        row.next_attempt_at = clock + delay
    return None


@dataclass(frozen=True, slots=True)
class _Outgoing:
    delivery_id: int
    number: int
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class _Outcome:
    outgoing: _Outgoing
    started: datetime
    finished: datetime
    status_code: int | None
    error: str | None
    excerpt: str | None
    retry_after: float | None


UNREADABLE_SECRET_WAIT = timedelta(minutes=5)


def _batch(session: Session, ids: Sequence[int]
           ) -> tuple[list[WebhookDelivery], dict[int, WebhookEndpoint]]:
    """The deliveries `ids` (in that order) and their endpoints, in two queries. The caller
    keeps both while it works on them: the session holds unchanged objects only weakly, and one
    dropped is read again (a SELECT, and an autoflush before it) at each `session.get`."""
    if not ids:
        return [], {}
    rows = {d.id: d for d in session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))}
    endpoints = {e.id: e for e in session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.id.in_({d.endpoint_id for d in rows.values()})))}
    return [rows[i] for i in ids], endpoints


def _prepare(session: Session, box: SecretBox, delivery: WebhookDelivery,
             endpoint: WebhookEndpoint) -> _Outgoing | None:
    """The signed request for a delivery this worker just leased (None: endpoint disabled, or
    its secret cannot be decrypted)."""
    if not endpoint.enabled:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = f"endpoint disabled: {endpoint.disabled_reason}"
        delivery.lease_until = delivery.leased_by = None
        return None
    try:
        secret = box.decrypt(endpoint.secret_encrypted)
    except SecretUnreadable as exc:
        # a key misconfigured: not the receiver's fault, so no attempt is spent; it waits
        log.error("webhook %s: %s; delivery %s waits", endpoint.id, exc.detail, delivery.id)
        delivery.next_attempt_at = utcnow() + UNREADABLE_SECRET_WAIT
        delivery.lease_until = delivery.leased_by = None
        return None
    event = session.get_one(WebhookEvent, delivery.event_id)
    body = payload(event)
    return _Outgoing(delivery.id, delivery.attempts + 1, endpoint.url,
                     signed_headers(secret, delivery.message_id, body, utcnow()), body)


def _send(settings: Settings, outgoing: _Outgoing) -> _Outcome:
    """One POST through the outbound gate; no database here, so sends run side by side."""
    started = utcnow()
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None
    try:
        response = send("POST", outgoing.url, settings=settings, headers=outgoing.headers,
                        content=outgoing.body, follow_redirects=False,
                        timeout=settings.webhook_timeout_seconds, max_bytes=MAX_RESPONSE_BYTES)
        status_code = response.status_code
        excerpt = response.content[:1000].decode("utf-8", "replace") or None
        retry_after = retry_after_seconds(response.headers.get("retry-after"), started)
        if not 200 <= status_code < 300:
            error = f"the receiver answered {status_code}"
    except FetchFailed as exc:
        error = exc.detail
        retry_after = exc.retry_after
    except Exception as exc:  # a bug must cost one attempt, not the whole batch
        log.exception("sending delivery %s failed unexpectedly", outgoing.delivery_id)
        error = f"unexpected error: {type(exc).__name__}: {exc}"
    return _Outcome(outgoing, started, utcnow(), status_code, error, excerpt, retry_after)


def _disable(session: Session, endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id,
               WebhookDelivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, last_error=f"endpoint disabled: {reason}",
                lease_until=None, leased_by=None)
    )
    log.warning("webhook %s (%s) disabled: %s", endpoint.id, endpoint.url, reason)


def _record(session: Session, settings: Settings, worker: str, outcome: _Outcome,
            delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime | None) -> bool:
    """Stores the attempt and decides what comes next: done, a retry, or a disabled endpoint."""
    out = outcome.outgoing
    success = outcome.error is None
    session.add(WebhookAttempt(
        delivery_id=delivery.id, number=out.number, worker=worker, started_at=outcome.started,
        finished_at=outcome.finished, status_code=outcome.status_code, success=success,
        error=outcome.error, response_excerpt=outcome.excerpt,
        retry_after_seconds=outcome.retry_after,
    ))
    delivery.attempts = out.number
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.lease_until = delivery.leased_by = None
    if delivery.status != DeliveryStatus.PENDING:  # its endpoint was disabled by an earlier outcome
        return success
    if success:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = outcome.finished
        delivery.next_attempt_at = None
        endpoint.failing_since = None
        return True
    why = after_failure(delivery, endpoint, outcome.status_code, outcome.retry_after,
                        now or outcome.finished, settings)
    if why is not None:
        _disable(session, endpoint, why)
    session.flush()
    return False


def deliver_due(factory: sessionmaker[Session], settings: Settings, worker: str,
                now: datetime | None = None, limit: int = 20) -> int:
    """One run of the delivery job: claim and send until nothing is due; returns sends made.

    Per batch, one transaction records the outcomes of the batch before, then claims and signs
    the next; the sends run side by side without holding the database: SQLite's single writer,
    which a burst of reports keeps busy, is waited for once per batch, not twice per send. A
    claim that fails leaves the outcomes recorded (a savepoint), so none is sent again. `now`
    replaces the clock for scheduling (tests walk through the retry schedule with it)."""
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    box = secret_box(settings)
    sent = 0
    outcomes: list[_Outcome] = []
    with ThreadPoolExecutor(max_workers=settings.webhook_concurrency,
                            thread_name_prefix="webhook") as pool:
        while True:
            with factory.begin() as session:
                if outcomes:
                    rows, endpoints = _batch(session, [o.outgoing.delivery_id for o in outcomes])
                    for outcome, row in zip(outcomes, rows, strict=True):
                        _record(session, settings, worker, outcome, row,
                                endpoints[row.endpoint_id], now)
                    session.flush()
                    sent += len(outcomes)
                try:
                    with session.begin_nested():
                        claimed = claim_deliveries(session, worker, now or utcnow(), lease,
                                                   limit)
                        session.flush()
                        rows, endpoints = _batch(session, claimed)
                        prepared = (_prepare(session, box, d, endpoints[d.endpoint_id])
                                    for d in rows)
                        outgoing = [o for o in prepared if o is not None]
                except Exception:  # a bug or a database error: the attempts made are kept
                    if not outcomes:
                        raise
                    log.exception("claiming webhook deliveries failed; the next run tries again")
                    claimed = []
            if not claimed:
                return sent
            outcomes = list(pool.map(lambda o: _send(settings, o), outgoing))
