"""What the alerts API takes and returns. Its kinds, severities and states are the enums of
`app.alerts.enums`; each rule kind's parameters are declared in its module of `app.alerts.rules`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from app.alerts.enums import AlertStatus, RuleKind, Severity
from app.alerts.rules import RULES, Params
from app.errors import InvalidInput
from app.limits import (
    Id,
    InputModel,
    Moment,
    Name,
    NotNull,
    PlaceId,
    PlaceIds,
    PositiveCount,
    ShortText,
)

PARAMS: dict[str, type[Params]] = {kind: rule.params for kind, rule in RULES.items()}
"""Each rule kind's parameters (declared in its module of `app.alerts.rules`)."""


def validate_params(kind: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The rule's parameters with defaults filled in; InvalidInput when they do not fit the kind."""
    try:
        return PARAMS[kind].model_validate(params or {}).model_dump()
    except ValidationError as exc:
        detail = "; ".join(f"params.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                           for e in exc.errors())
        raise InvalidInput(detail) from exc


class RuleIn(InputModel):
    name: Name
    kind: RuleKind
    severity: Severity = Severity.WARNING
    params: dict[str, Any] = Field(default_factory=dict, description="per kind; see the README")
    destinations: PlaceIds | None = Field(
        default=None, description="place ids the rule watches; null for every destination")
    step: PositiveCount | None = Field(
        default=None, description="an open alert notifies again when its value rises this far "
                                  "beyond the last notified one")
    enabled: bool = True


class RulePatch(InputModel):
    """Only the fields given change; `destinations` and `step` may be null, the others not."""

    name: Annotated[Name | None, NotNull] = None
    severity: Annotated[Severity | None, NotNull] = None
    params: Annotated[dict[str, Any] | None, NotNull] = None
    destinations: PlaceIds | None = None
    step: PositiveCount | None = None
    enabled: Annotated[bool | None, NotNull] = None


class RuleOut(BaseModel):
    id: int
    name: str
    kind: RuleKind
    severity: Severity
    params: dict[str, Any]
    destinations: list[str] | None
    step: int | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class AlertOut(BaseModel):
    id: int
    fingerprint: str
    rule: dict[str, Any] = Field(description="id, name, kind of the rule")
    destination: dict[str, Any] = Field(description="id, name, country of the place")
    severity: Severity
    status: AlertStatus
    summary: str
    value: int
    notified_value: int
    data_day: date
    episode: int
    opened_at: datetime
    last_triggered_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolution: str | None
    silenced: bool = False
    demo: bool = Field(default=False, description="an alert of the demo's (fictional) series")
    evidence: dict[str, Any] = Field(description="before and after, and the figures behind "
                                     "them: each with its quote, source and the source's "
                                     "credibility (A-F)")


class AlertEventOut(BaseModel):
    """One change of an alert: its type (firing, escalated, updated, acknowledged, resolved,
    retracted), who (a key's name, `review by NAME`, or null for the rules and the clock), why,
    what it said after and, under `previous`, before."""

    id: int
    type: str
    at: datetime
    by: str | None
    reason: str | None
    status: str
    value: int
    summary: str
    previous: dict[str, Any] | None


class AckIn(InputModel):
    note: ShortText | None = None


class SilenceIn(InputModel):
    destination: PlaceId | None = Field(default=None, description="a place id")
    rule_id: Id | None = None
    until: Moment
    reason: ShortText | None = None


class SilenceOut(BaseModel):
    id: int
    destination: str | None
    rule_id: int | None
    until: datetime
    reason: str | None
    created_by: str | None
    created_at: datetime
