"""HTTP routes for e-mail and chat subscriptions (admin) and their notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import AdminAccess
from app.crypto import secret_box
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.gazetteer.service import current_gazetteer
from app.limits import MAX_PAGE, Id
from app.notify import service
from app.notify.models import Notification, NotificationAttempt, Subscription
from app.notify.schemas import (
    NotificationAttemptOut,
    NotificationOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from app.pagination import MAX_CURSOR, Page, decode_int_cursor, page_of
from app.settings import SettingsDep

router = APIRouter(prefix="/api/v1", tags=["subscriptions"], responses=PROBLEM_RESPONSES)

Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page",
                                      max_length=MAX_CURSOR)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


def _out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id, name=s.name, channel=s.channel, address=s.address_hint,
        destinations=s.destinations, countries=s.countries, rule_kinds=s.rule_kinds,
        min_severity=s.min_severity, demo=s.demo, rhythm=s.rhythm, digest_hour=s.digest_hour,
        timezone=s.timezone, digest_when_quiet=s.digest_when_quiet,
        last_digest_at=s.last_digest_at, enabled=s.enabled,
        disabled_reason=s.disabled_reason, failing_since=s.failing_since,
        test_status=s.test_status, test_error=s.test_error, tested_at=s.tested_at,
        created_at=s.created_at)


def _notification_out(n: Notification, event_type: str,
                      attempts: list[NotificationAttempt]) -> NotificationOut:
    return NotificationOut(
        id=n.id, subscription_id=n.subscription_id, event_type=event_type, is_test=n.is_test,
        status=n.status, attempts=n.attempts, next_attempt_at=n.next_attempt_at,
        last_status_code=n.last_status_code, last_error=n.last_error, created_at=n.created_at,
        delivered_at=n.delivered_at, attempt_log=[NotificationAttemptOut(
            number=a.number, started_at=a.started_at, finished_at=a.finished_at,
            status_code=a.status_code, success=a.success, error=a.error,
            response_excerpt=a.response_excerpt, retry_after_seconds=a.retry_after_seconds,
        ) for a in attempts])


@router.post("/subscriptions", response_model=SubscriptionOut,
             status_code=status.HTTP_201_CREATED)
def create_subscription(body: SubscriptionIn, session: SessionDep, settings: SettingsDep,
                        _key: AdminAccess) -> SubscriptionOut:
    """A subscription; a test message to its address is queued at once, and `test_status`
    (`test_error`) tells how it went."""
    sub = service.create_subscription(
        session, secret_box(settings), current_gazetteer(session), name=body.name,
        channel=body.channel, address=body.address, token=body.token,
        destinations=body.destinations, countries=body.countries, rule_kinds=body.rule_kinds,
        min_severity=body.min_severity, demo=body.demo, rhythm=body.rhythm,
        digest_hour=body.digest_hour, timezone=body.timezone,
        digest_when_quiet=body.digest_when_quiet)
    return _out(sub)


@router.get("/subscriptions", response_model=Page[SubscriptionOut])
def list_subscriptions(session: SessionDep, settings: SettingsDep, _key: AdminAccess,
                       cursor: Cursor = None, limit: Limit = None) -> Page[SubscriptionOut]:
    size = limit or settings.page_size
    rows = service.list_subscriptions(session, decode_int_cursor(cursor), size + 1)
    return page_of(rows, size, _out, lambda sub: sub.id)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
def read_subscription(subscription_id: Id, session: SessionDep,
                      _key: AdminAccess) -> SubscriptionOut:
    return _out(service.get_subscription(session, subscription_id))


@router.patch("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(subscription_id: Id, body: SubscriptionPatch, session: SessionDep,
                        settings: SettingsDep, _key: AdminAccess) -> SubscriptionOut:
    """Changes the given fields; `enabled: true` re-enables a disabled subscription."""
    return _out(service.update_subscription(
        session, secret_box(settings), current_gazetteer(session), subscription_id,
        body.model_dump(exclude_unset=True)))


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: Id, session: SessionDep,
                        _key: AdminAccess) -> Response:
    service.delete_subscription(session, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/subscriptions/{subscription_id}/test", response_model=SubscriptionOut,
             status_code=status.HTTP_202_ACCEPTED)
def check_subscription(subscription_id: Id, session: SessionDep,
                       _key: AdminAccess) -> SubscriptionOut:
    """Checks the address again with a test message."""
    service.send_test(session, subscription_id)
    return _out(service.get_subscription(session, subscription_id))


@router.get("/subscriptions/{subscription_id}/notifications",
            response_model=Page[NotificationOut])
def list_notifications(subscription_id: Id, session: SessionDep, settings: SettingsDep,
                       _key: AdminAccess, cursor: Cursor = None,
                       limit: Limit = None) -> Page[NotificationOut]:
    """Notifications newest first, each with every attempt."""
    size = limit or settings.page_size
    rows = service.list_notifications(session, subscription_id, decode_int_cursor(cursor),
                                      size + 1)
    return page_of(rows, size, lambda row: _notification_out(*row), lambda row: row[0].id)
