"""An incident: alerts of one place, the places within it and its parents that fired within a
grouping window (as Alertmanager groups them); subscriptions hear of it once, then of its
updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_demo_opened", "demo", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # the nearest place holding its alerts' places (but their parents): one alert's place, or
    # the common parent, below the country level, of several; the other alerts are its parents
    destination_id: Mapped[str] = mapped_column(String(64), index=True)
    destination_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the highest severity of its alerts
    severity: Mapped[str] = mapped_column(String(10))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # when an alert last joined it
    last_joined_at: Mapped[datetime] = mapped_column(default=utcnow)
