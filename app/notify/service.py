"""Subscriptions: added (their address checked by a test message), listed, changed, removed;
and their notifications with every attempt. Services flush; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crypto import SecretBox
from app.errors import Conflict, InvalidInput, NotFound
from app.gazetteer.index import Gazetteer
from app.notify import fanout
from app.notify.channels import CHANNELS
from app.notify.messages import TEST_EVENT
from app.notify.models import (
    ChannelKind,
    Notification,
    NotificationAttempt,
    Rhythm,
    Subscription,
    TestStatus,
)
from app.webhooks.models import WebhookEvent
from app.webhooks.service import new_event


def _check_places(gazetteer: Gazetteer, destinations: list[str] | None) -> None:
    unknown = [d for d in destinations or [] if gazetteer.get(d) is None]
    if unknown:
        raise InvalidInput(f"unknown places: {', '.join(unknown[:10])}")


def _countries(countries: list[str] | None) -> list[str] | None:
    if countries is None:
        return None
    out = [c.upper() for c in countries]
    bad = [c for c in out if len(c) != 2 or not c.isalpha()]
    if bad:
        raise InvalidInput(f"not ISO 3166-1 alpha-2 codes: {', '.join(bad[:10])}")
    return out


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"{name!r} is not a time zone (an IANA name, e.g. Asia/Beirut)") \
            from exc
    return name


def create_subscription(session: Session, box: SecretBox, gazetteer: Gazetteer, *, name: str,
                        channel: str, address: str, token: str | None,
                        destinations: list[str] | None, countries: list[str] | None,
                        rule_kinds: Sequence[str] | None, min_severity: str,
                        demo: bool | None, rhythm: str = Rhythm.IMMEDIATE,
                        digest_hour: int = 8, timezone: str = "UTC",
                        digest_when_quiet: bool = False) -> Subscription:
    """The new subscription, with a test message to its address queued: its outcome lands
    in `test_status` and, when it failed, `test_error`."""
    kind = ChannelKind(channel)
    handler = CHANNELS[kind]
    address = handler.check(address, token)
    _check_places(gazetteer, destinations)
    sub = Subscription(
        name=name, channel=kind.value, address_encrypted=box.encrypt(address),
        address_hint=handler.hint(address)[:300],
        token_encrypted=box.encrypt(token) if token else None, destinations=destinations,
        countries=_countries(countries),
        rule_kinds=list(rule_kinds) if rule_kinds is not None else None, min_severity=min_severity,
        demo=demo, rhythm=Rhythm(rhythm).value, digest_hour=digest_hour,
        timezone=_timezone(timezone), digest_when_quiet=digest_when_quiet,
        test_status=TestStatus.PENDING,
    )
    session.add(sub)
    session.flush()
    fanout.forget(session)
    send_test(session, sub.id)
    return sub


def rekey(session: Session, box: SecretBox) -> int:
    """Re-encrypts every subscription's address and token with the current key; returns how
    many subscriptions. Raises SecretUnreadable, changing nothing, as the webhooks' rekey."""
    subs = list(session.scalars(select(Subscription).order_by(Subscription.id)))
    for sub in subs:
        sub.address_encrypted = box.rotate(sub.address_encrypted)
        if sub.token_encrypted:
            sub.token_encrypted = box.rotate(sub.token_encrypted)
    session.flush()
    return len(subs)


def get_subscription(session: Session, subscription_id: int) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription with id {subscription_id}")
    return sub


def list_subscriptions(session: Session, before_id: int | None,
                       limit: int) -> list[Subscription]:
    query = select(Subscription).order_by(Subscription.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Subscription.id < before_id)
    return list(session.scalars(query))


def update_subscription(session: Session, box: SecretBox, gazetteer: Gazetteer,
                        subscription_id: int, changes: dict[str, Any]) -> Subscription:
    """Changes the given fields; a new address (or token) is checked by a new test message."""
    sub = get_subscription(session, subscription_id)
    handler = CHANNELS[ChannelKind(sub.channel)]
    readdressed = "address" in changes or "token" in changes
    if readdressed:
        token = changes.pop("token", None) if "token" in changes else (
            box.decrypt(sub.token_encrypted) if sub.token_encrypted else None)
        address = handler.check(changes.pop("address", None) or box.decrypt(
            sub.address_encrypted), token)
        sub.address_encrypted = box.encrypt(address)
        sub.address_hint = handler.hint(address)[:300]
        sub.token_encrypted = box.encrypt(token) if token else None
    if "destinations" in changes:
        _check_places(gazetteer, changes["destinations"])
    if "countries" in changes:
        changes["countries"] = _countries(changes["countries"])
    if "timezone" in changes:
        _timezone(changes["timezone"])
    fanout.forget(session)
    for name, value in changes.items():
        setattr(sub, name, value)
    if changes.get("enabled"):
        sub.disabled_reason = None
        sub.failing_since = None
    session.flush()
    if readdressed:
        send_test(session, sub.id)
    return sub


def delete_subscription(session: Session, subscription_id: int) -> None:
    session.delete(get_subscription(session, subscription_id))
    session.flush()
    fanout.forget(session)


def send_test(session: Session, subscription_id: int) -> Notification:
    """Queues a test message to the subscription's address, whatever its filters."""
    sub = get_subscription(session, subscription_id)
    if not sub.enabled:
        raise Conflict(f"subscription {sub.id} is disabled ({sub.disabled_reason}); "
                       "enable it first")
    sub.test_status = TestStatus.PENDING
    sub.test_error = None
    event = new_event(session, TEST_EVENT, {
        "subscription_id": sub.id,
        "message": "This address will receive Displacement Monitor's alerts.",
    }, None)
    return fanout.write(session, event, [sub], is_test=True)[0]


def list_notifications(session: Session, subscription_id: int, before_id: int | None,
                       limit: int) -> list[tuple[Notification, str, list[NotificationAttempt]]]:
    """The subscription's notifications newest first, each with its event type and attempts."""
    get_subscription(session, subscription_id)
    query = (select(Notification, WebhookEvent.type)
             .join(WebhookEvent, WebhookEvent.id == Notification.event_id)
             .where(Notification.subscription_id == subscription_id)
             .order_by(Notification.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = [(n, t) for n, t in session.execute(query).all()]
    attempts: dict[int, list[NotificationAttempt]] = {n.id: [] for n, _ in rows}
    if attempts:
        for attempt in session.scalars(
                select(NotificationAttempt)
                .where(NotificationAttempt.notification_id.in_(attempts))
                .order_by(NotificationAttempt.number, NotificationAttempt.id)):
            attempts[attempt.notification_id].append(attempt)
    return [(n, t, attempts[n.id]) for n, t in rows]
