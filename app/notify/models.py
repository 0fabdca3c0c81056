"""Subscriptions of people and teams to alerts, their outbox rows and every send attempt.

A subscription's deliveries reuse the webhooks' event rows (`webhook_events`): an alert change
is written once, and each channel renders it its own way when it sends.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ChannelKind(StrEnum):
    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"
    MATTERMOST = "mattermost"
    GOOGLE_CHAT = "google_chat"
    DISCORD = "discord"
    TELEGRAM = "telegram"


class Rhythm(StrEnum):
    IMMEDIATE = "immediate"  # a message per alert change, at once
    DAILY = "daily"  # one digest a day at a local hour


class TestStatus(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({','.join(repr(v.value) for v in values)})"


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(_in("channel", ChannelKind), name="channel"),
        CheckConstraint(_in("test_status", TestStatus), name="test_status"),
        CheckConstraint(_in("rhythm", Rhythm), name="rhythm"),
        CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour"),
        CheckConstraint("min_severity IN ('info','warning','critical')", name="min_severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    # the e-mail address, the incoming-webhook URL or the Telegram chat id: a webhook URL lets
    # anyone post to the channel, so every address is encrypted like the webhook secrets
    address_encrypted: Mapped[str] = mapped_column(Text)
    # the address with its secret part hidden, for lists and logs
    address_hint: Mapped[str] = mapped_column(String(300))
    # Telegram's bot token (encrypted); the other channels have none
    token_encrypted: Mapped[str | None] = mapped_column(Text)
    # filters; null: everything. A destination covers the places within it.
    destinations: Mapped[list[str] | None] = mapped_column(JSON)
    countries: Mapped[list[str] | None] = mapped_column(JSON)
    rule_kinds: Mapped[list[str] | None] = mapped_column(JSON)
    min_severity: Mapped[str] = mapped_column(String(10), default="info")
    # null: demo and real data alike; true: demo data only; false: real data only
    demo: Mapped[bool | None] = mapped_column()
    rhythm: Mapped[str] = mapped_column(String(10), default=Rhythm.IMMEDIATE)
    # daily: the digest goes at this hour of the subscription's time zone (IANA name)
    digest_hour: Mapped[int] = mapped_column(default=8)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # a digest with nothing to say is sent only when asked for
    digest_when_quiet: Mapped[bool] = mapped_column(default=False)
    # the local hour of the last digest built (sent or, when quiet, skipped)
    last_digest_at: Mapped[datetime | None] = mapped_column()
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column()
    # the test message sent when the address was added (or re-checked)
    test_status: Mapped[str] = mapped_column(String(10), default=TestStatus.PENDING)
    test_error: Mapped[str | None] = mapped_column(Text)
    tested_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    """An event for one subscription: the outbox row, sent and retried like a webhook delivery."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("status IN ('pending','succeeded','failed')", name="status"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"),
                                          index=True)
    # the incident it tells (app.incidents): later changes of the incident's alerts join it
    # while it waits; null for the address check and the digest
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    # the subscription heard of this incident before: the message reads as its update
    is_update: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the address check: its outcome is written on the subscription
    is_test: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    retries: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    leased_by: Mapped[str | None] = mapped_column(String(100))
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class NotificationAttempt(Base):
    """One send of a notification, whatever came of it."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime] = mapped_column()
    # the HTTP status, or the SMTP reply code
    status_code: Mapped[int | None] = mapped_column()
    success: Mapped[bool] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    retry_after_seconds: Mapped[float | None] = mapped_column()
