"""What the webhooks API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints, field_validator

Severity = Literal["info", "warning", "critical"]
MAX_URL_LENGTH = 2000
HookUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=MAX_URL_LENGTH)]
PlaceIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]],
                     Field(max_length=500)]


def _url(value: AnyHttpUrl | str | None) -> str | None:
    return None if value is None else str(value)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: HookUrl
    description: str | None = Field(default=None, max_length=2000)
    destinations: PlaceIds | None = Field(
        default=None, description="place ids (a country covers its regions and sites); "
                                  "null for every destination")
    min_severity: Severity = "info"
    secret: str | None = Field(default=None, max_length=200,
                               description="whsec_ + base64 of 24 to 64 bytes; generated when "
                                           "absent")


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: HookUrl | None = None
    description: str | None = Field(default=None, max_length=2000)
    destinations: PlaceIds | None = None
    min_severity: Severity | None = None
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _not_null(cls, value: HookUrl | None) -> HookUrl:
        if value is None:
            raise ValueError("url cannot be null")
        return value


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str | None
    destinations: list[str] | None
    min_severity: str
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
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut] = Field(default_factory=list)
    payload: dict[str, Any] | None = None
