"""Places and aliases added by staff, on top of the gazetteer shipped with the service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class PlaceAddition(Base):
    """A place staff added (`custom:<slug>`); `seq` orders additions so processes can catch up."""

    __tablename__ = "places"

    seq: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    pcode: Mapped[str | None] = mapped_column(String(32))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AliasAddition(Base):
    """Another name staff gave any place, shipped or added."""

    __tablename__ = "place_aliases"
    __table_args__ = (UniqueConstraint("place_id", "alias"),)

    seq: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[str] = mapped_column(String(64), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
