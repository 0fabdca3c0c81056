"""The alert rules staff configure (rows of `alert_rules`): create, read, update, and the rules a
new install starts with. What each kind looks for is in `app.alerts.rules`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.enums import RuleKind, Severity
from app.alerts.models import AlertRule
from app.alerts.schemas import validate_params
from app.errors import Conflict, InvalidInput, NotFound
from app.gazetteer.index import Gazetteer

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "New destination",
        "kind": RuleKind.NEW_DESTINATION,
        "severity": Severity.WARNING,
        "params": {"floor": 500},
        "step": None,
        "enabled": True,
    },
    {
        "name": "Jump",
        "kind": RuleKind.JUMP,
        "severity": Severity.CRITICAL,
        "params": {"min_increase": 1000, "min_ratio": 0.5, "window_days": 3},
        "step": 1000,
        "enabled": True,
    },
    {
        "name": "Arrival rate",
        "kind": RuleKind.ARRIVAL_RATE,
        "severity": Severity.WARNING,
        "params": {"min_arrivals": 1000},
        "step": 1000,
        "enabled": True,
    },
    {
        "name": "Threshold crossed",
        "kind": RuleKind.THRESHOLD,
        "severity": Severity.CRITICAL,
        "params": {"levels": [10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000]},
        "step": None,
        "enabled": True,
    },
    # off by default: in a growing crisis every rise is a new high; staff turn it on per place
    {
        "name": "New high",
        "kind": RuleKind.NEW_HIGH,
        "severity": Severity.INFO,
        "params": {"min_increase": 1000},
        "step": None,
        "enabled": False,
    },
]
"""The rules a new install starts with (seeded by migration 0003)."""


def _check_destinations(gazetteer: Gazetteer, destinations: list[str] | None) -> None:
    for place_id in destinations or []:
        if gazetteer.get(place_id) is None:
            raise InvalidInput(f"no place with id {place_id!r}")


def create_rule(
    session: Session,
    gazetteer: Gazetteer,
    *,
    name: str,
    kind: str,
    severity: str,
    params: dict[str, Any],
    destinations: list[str] | None,
    step: int | None,
    enabled: bool,
) -> AlertRule:
    _check_destinations(gazetteer, destinations)
    if session.scalar(select(AlertRule.id).where(AlertRule.name == name)) is not None:
        raise Conflict(f"a rule named {name!r} exists")
    rule = AlertRule(
        name=name,
        kind=kind,
        severity=severity,
        params=validate_params(kind, params),
        destinations=destinations,
        step=step,
        enabled=enabled,
    )
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"no alert rule with id {rule_id}")
    return rule


def list_rules(session: Session) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)))


def update_rule(
    session: Session, gazetteer: Gazetteer, rule_id: int, changes: Mapping[str, Any]
) -> AlertRule:
    rule = get_rule(session, rule_id)
    if "destinations" in changes:
        _check_destinations(gazetteer, changes["destinations"])
    if (
        "name" in changes
        and changes["name"] != rule.name
        and session.scalar(select(AlertRule.id).where(AlertRule.name == changes["name"]))
        is not None
    ):
        raise Conflict(f"a rule named {changes['name']!r} exists")
    for field, value in changes.items():
        if field == "params":
            value = validate_params(rule.kind, {**rule.params, **(value or {})})
        setattr(rule, field, value)
    session.flush()
    return rule
