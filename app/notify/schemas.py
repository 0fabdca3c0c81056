"""What the subscriptions API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from pydantic.types import StringConstraints

from app.limits import MAX_URL, InputModel, Name, NotNull, PlaceIds, Text

Severity = Literal["info", "warning", "critical"]
Channel = Literal["email", "slack", "teams", "mattermost", "google_chat", "discord", "telegram"]
RuleKind = Literal["new_destination", "jump", "arrival_rate", "threshold", "new_high"]
Address = Annotated[Text, StringConstraints(min_length=1, max_length=MAX_URL)]
Token = Annotated[Text, StringConstraints(min_length=1, max_length=200)]
Country = Annotated[str, StringConstraints(min_length=2, max_length=2)]
Rhythm = Literal["immediate", "daily"]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SubscriptionIn(InputModel):
    name: Name = Field(description="who it is for: a person, a team, a channel")
    channel: Channel
    address: Address = Field(description="the e-mail address, the incoming-webhook URL, or "
                                         "the Telegram chat id")
    token: Token | None = Field(default=None, description="Telegram only: the bot's token")
    destinations: PlaceIds | None = Field(
        default=None, description="place ids; a place covers everything under it; null: all")
    countries: Annotated[list[Country], Field(max_length=300)] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 codes; null: all")
    rule_kinds: list[RuleKind] | None = Field(default=None, description="null: every kind")
    min_severity: Severity = "info"
    demo: bool | None = Field(default=False, description="false (the default): real data "
                              "only, as webhooks without include_demo; true: demo data only; "
                              "null: both")
    rhythm: Rhythm = Field(default="immediate", description="immediate: a message per alert "
                           "change; daily: one digest a day")
    digest_hour: int = Field(default=8, ge=0, le=23, description="daily: the local hour")
    timezone: Zone = Field(default="UTC", description="daily: an IANA time zone")
    digest_when_quiet: bool = Field(default=False, description="daily: send a digest even "
                                    "when nothing moved")


class SubscriptionPatch(InputModel):
    """Only the fields given change; a new address or token is checked by a test message."""

    name: Annotated[Name | None, NotNull] = None
    address: Annotated[Address | None, NotNull] = None
    token: Token | None = None
    destinations: PlaceIds | None = None
    countries: Annotated[list[Country], Field(max_length=300)] | None = None
    rule_kinds: list[RuleKind] | None = None
    min_severity: Annotated[Severity | None, NotNull] = None
    demo: bool | None = None
    rhythm: Annotated[Rhythm | None, NotNull] = None
    digest_hour: Annotated[int | None, NotNull, Field(ge=0, le=23)] = None
    timezone: Annotated[Zone | None, NotNull] = None
    digest_when_quiet: Annotated[bool | None, NotNull] = None
    enabled: Annotated[bool | None, NotNull] = None


class SubscriptionOut(BaseModel):
    id: int
    name: str
    channel: str
    address: str = Field(description="with its secret part hidden")
    destinations: list[str] | None
    countries: list[str] | None
    rule_kinds: list[str] | None
    min_severity: str
    demo: bool | None
    rhythm: str
    digest_hour: int
    timezone: str
    digest_when_quiet: bool
    last_digest_at: datetime | None
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    test_status: str = Field(description="pending, passed or failed: the address check")
    test_error: str | None = Field(description="why the test message failed")
    tested_at: datetime | None
    created_at: datetime


class NotificationAttemptOut(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime
    status_code: int | None
    success: bool
    error: str | None
    response_excerpt: str | None
    retry_after_seconds: float | None


class NotificationOut(BaseModel):
    id: int
    subscription_id: int
    event_type: str
    is_test: bool
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[NotificationAttemptOut] = Field(default_factory=list)
