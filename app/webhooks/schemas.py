"""What the webhooks API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, Field, UrlConstraints

from app.alerts.enums import Severity
from app.limits import MAX_URL, InputModel, NotNull, PlaceIds, ShortText, Text
from app.webhooks.models import DeliveryStatus

HookUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=MAX_URL)]


class WebhookIn(InputModel):
    url: HookUrl
    description: ShortText | None = None
    destinations: PlaceIds | None = Field(
        default=None, description="place ids (a country covers its regions and sites); "
                                  "null for every destination")
    min_severity: Severity = Severity.INFO
    include_demo: bool = Field(
        default=False, description="also the demo's (fictional) alerts; real ones only when false")
    secret: Text | None = Field(default=None, max_length=200,
                                description="whsec_ + base64 of 24 to 64 bytes; generated when "
                                            "absent")


class WebhookPatch(InputModel):
    """Only the fields given change; `description` and `destinations` may be null, the others
    not."""

    url: Annotated[HookUrl | None, NotNull] = None
    description: ShortText | None = None
    destinations: PlaceIds | None = None
    min_severity: Annotated[Severity | None, NotNull] = None
    include_demo: Annotated[bool | None, NotNull] = None
    enabled: Annotated[bool | None, NotNull] = None


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str | None
    destinations: list[str] | None
    min_severity: Severity
    include_demo: bool
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once: keep it to verify signatures")


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime
    status_code: int | None
    success: bool
    error: str | None
    response_excerpt: str | None
    retry_after_seconds: float | None


class DeliveryOut(BaseModel):
    id: int
    webhook_id: str = Field(description="the `webhook-id` header: the same on every attempt")
    endpoint_id: int
    event_type: str
    alert_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut] = Field(default_factory=list)
    payload: dict[str, Any] | None = None
