"""HTTP routes for webhook subscriptions and their deliveries."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import AdminAccess
from app.crypto import secret_box
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.limits import MAX_PAGE, Id
from app.pagination import MAX_CURSOR, Page, decode_int_cursor, page_of
from app.settings import SettingsDep
from app.webhooks import service
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=PROBLEM_RESPONSES)

Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page",
                                      max_length=MAX_CURSOR)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


def _out(e: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(id=e.id, url=e.url, description=e.description, destinations=e.destinations,
                      min_severity=e.min_severity, include_demo=e.include_demo, enabled=e.enabled,
                      disabled_reason=e.disabled_reason, failing_since=e.failing_since,
                      created_at=e.created_at)


def _delivery_out(d: WebhookDelivery, event: WebhookEvent,
                  attempts: list[WebhookAttempt] | None = None,
                  with_payload: bool = False) -> DeliveryOut:
    body: dict[str, Any] | None = (json.loads(service.payload(event)) if with_payload else None)
    return DeliveryOut(
        id=d.id, webhook_id=d.message_id, endpoint_id=d.endpoint_id, event_type=event.type,
        alert_id=event.alert_id, status=d.status, attempts=d.attempts,
        next_attempt_at=d.next_attempt_at, last_status_code=d.last_status_code,
        last_error=d.last_error, created_at=d.created_at, delivered_at=d.delivered_at,
        attempt_log=[AttemptOut(
            number=a.number, started_at=a.started_at, finished_at=a.finished_at,
            status_code=a.status_code, success=a.success, error=a.error,
            response_excerpt=a.response_excerpt, retry_after_seconds=a.retry_after_seconds,
        ) for a in attempts or []],
        payload=body,
    )


@router.post("/webhooks", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookIn, session: SessionDep, settings: SettingsDep,
                   _key: AdminAccess) -> WebhookCreated:
    """A subscription; its secret is in this answer only (it is stored encrypted)."""
    endpoint, secret = service.create_endpoint(
        session, secret_box(settings), url=str(body.url), description=body.description,
        destinations=body.destinations, min_severity=body.min_severity, secret=body.secret,
        include_demo=body.include_demo)
    return WebhookCreated(**_out(endpoint).model_dump(), secret=secret)


@router.get("/webhooks", response_model=Page[WebhookOut])
def list_webhooks(session: SessionDep, settings: SettingsDep, _key: AdminAccess,
                  cursor: Cursor = None, limit: Limit = None) -> Page[WebhookOut]:
    size = limit or settings.page_size
    rows = service.list_endpoints(session, decode_int_cursor(cursor), size + 1)
    return page_of(rows, size, _out, lambda endpoint: endpoint.id)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
def read_webhook(webhook_id: Id, session: SessionDep, _key: AdminAccess) -> WebhookOut:
    return _out(service.get_endpoint(session, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut)
def update_webhook(webhook_id: Id, body: WebhookPatch, session: SessionDep,
                   _key: AdminAccess) -> WebhookOut:
    """Changes the given fields; `enabled: true` re-enables a disabled endpoint."""
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:
        changes["url"] = str(body.url)
    return _out(service.update_endpoint(session, webhook_id, changes))


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: Id, session: SessionDep, _key: AdminAccess) -> Response:
    service.delete_endpoint(session, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(webhook_id: Id, session: SessionDep, settings: SettingsDep,
                    _key: AdminAccess, cursor: Cursor = None,
                    limit: Limit = None) -> Page[DeliveryOut]:
    """Deliveries newest first, each with every attempt and the body it sends."""
    size = limit or settings.page_size
    rows = service.list_deliveries(session, webhook_id, decode_int_cursor(cursor), size + 1)
    return page_of(rows, size, lambda row: _delivery_out(*row, with_payload=True),
                   lambda row: row[0].id)


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut,
             status_code=status.HTTP_202_ACCEPTED)
def redeliver(delivery_id: Id, session: SessionDep, _key: AdminAccess) -> DeliveryOut:
    """Sends it again, with the same `webhook-id`, from the start of the retry schedule."""
    delivery = service.redeliver(session, delivery_id)
    return _delivery_out(delivery, session.get_one(WebhookEvent, delivery.event_id))


@router.post("/webhooks/{webhook_id}/test", response_model=DeliveryOut,
             status_code=status.HTTP_202_ACCEPTED)
def send_test(webhook_id: Id, session: SessionDep, _key: AdminAccess) -> DeliveryOut:
    """Queues a `webhook.test` event for this endpoint; its deliveries show how it went."""
    delivery = service.send_test(session, webhook_id)
    return _delivery_out(delivery, session.get_one(WebhookEvent, delivery.event_id))
