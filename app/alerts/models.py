"""Alert rules, the alerts they raise (one row per fingerprint), and silences."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.alerts.enums import AlertChange, AlertStatus, RuleKind, Severity
from app.db import Base, one_of, utcnow
from app.incidents.models import Incident


class AlertRule(Base):
    """What makes an alert. `params` depend on the kind (each kind's `Params`, app.alerts.rules)."""

    __tablename__ = "alert_rules"
    __table_args__ = (
        one_of("kind", RuleKind),
        one_of("severity", Severity),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10), default=Severity.WARNING)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # null: every destination; else the listed place ids only
    destinations: Mapped[list[str] | None] = mapped_column(JSON)
    # an open alert notifies again when its value rises this far beyond the last notified value
    step: Mapped[int | None] = mapped_column()
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Alert(Base):
    """The alert of one rule for one destination; it reopens rather than duplicates."""

    __tablename__ = "alerts"
    __table_args__ = (
        one_of("status", AlertStatus),
        Index("ix_alerts_status_triggered", "status", "last_triggered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # rule id + destination: the unique key that makes a replay or a race update, not insert
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"),
                                         index=True)
    destination_id: Mapped[str] = mapped_column(String(64), index=True)
    destination_name: Mapped[str] = mapped_column(String(200))
    # an alert of the demo's series (app.demo): listed apart, sent only to endpoints that opt in
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    country: Mapped[str | None] = mapped_column(String(2))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.FIRING)
    summary: Mapped[str] = mapped_column(Text)
    # the rule's measure (people, or the threshold crossed) at the last trigger and notification
    value: Mapped[int] = mapped_column()
    notified_value: Mapped[int] = mapped_column()
    # data time: the day of the figures behind the last trigger
    data_day: Mapped[date] = mapped_column()
    # app.alerts.evidence.Evidence, as written; read it through parse_evidence
    evidence: Mapped[Mapping[str, Any]] = mapped_column(JSON, default=dict)
    episode: Mapped[int] = mapped_column(default=1)
    # the incident it joined when it last (re)opened (app.incidents)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_triggered_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rule: Mapped[AlertRule] = relationship(lazy="raise")
    incident: Mapped[Incident | None] = relationship(lazy="raise")


class Silence(Base):
    """No notifications for a destination, a rule, or both, until a time; alerts still change."""

    __tablename__ = "silences"
    __table_args__ = (
        CheckConstraint("destination_id IS NOT NULL OR rule_id IS NOT NULL", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"),
                                                index=True)
    until: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertEvent(Base):
    """One change of an alert, as it happened: no alert changes what it says without one. Rows
    are only ever added."""

    __tablename__ = "alert_events"
    __table_args__ = (
        one_of("type", AlertChange),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          index=True)
    type: Mapped[str] = mapped_column(String(16))
    # who: a key's name, `review by NAME`, or null for the rules and the clock
    by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    # what it said before the change (value, summary, data_day, status); null when it opened
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)
