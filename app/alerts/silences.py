"""Silences: no notifications for a destination, a rule, or both, until a time.

`covers` is the one matcher: every place that asks whether an alert is silenced (the outbox,
the API, the dashboard) reads the active silences (`active_silences`) and asks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert, Silence
from app.alerts.rulebook import get_rule
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.gazetteer.index import Gazetteer


def covers(silence: Silence, alert: Alert) -> bool:
    """Whether an active `silence` holds back the notifications of `alert`: it names the
    alert's destination or none, and its rule or none."""
    return silence.destination_id in (None, alert.destination_id) and silence.rule_id in (
        None,
        alert.rule_id,
    )


def silenced(silences: Iterable[Silence], alert: Alert) -> bool:
    return any(covers(s, alert) for s in silences)


def active_silences(session: Session, now: datetime) -> list[Silence]:
    """The silences in force at `now` (a handful: they are read whole)."""
    return list(session.scalars(select(Silence).where(Silence.until > now)))


def create_silence(
    session: Session,
    gazetteer: Gazetteer,
    *,
    destination: str | None,
    rule_id: int | None,
    until: datetime,
    reason: str | None,
    by: str | None,
) -> Silence:
    if destination is None and rule_id is None:
        raise InvalidInput("a silence names a destination, a rule, or both")
    if destination is not None and gazetteer.get(destination) is None:
        raise InvalidInput(f"no place with id {destination!r}")
    if rule_id is not None:
        get_rule(session, rule_id)
    if until <= utcnow():
        raise InvalidInput("until must be in the future")
    silence = Silence(
        destination_id=destination, rule_id=rule_id, until=until, reason=reason, created_by=by
    )
    session.add(silence)
    session.flush()
    return silence


def list_silences(session: Session, active_only: bool) -> list[Silence]:
    query = select(Silence).order_by(Silence.id.desc())
    if active_only:
        query = query.where(Silence.until > utcnow())
    return list(session.scalars(query))


def delete_silence(session: Session, silence_id: int) -> None:
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"no silence with id {silence_id}")
    session.delete(silence)
    session.flush()
