"""HTTP routes for alert rules, alerts and silences."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from app.alerts import rulebook, service, silences
from app.alerts.enums import AlertStatus
from app.alerts.models import AlertRule, Silence
from app.alerts.outbox import alert_out
from app.alerts.schemas import (
    AckIn,
    AlertEventOut,
    AlertOut,
    RuleIn,
    RuleOut,
    RulePatch,
    SilenceIn,
    SilenceOut,
)
from app.auth.deps import AdminAccess, ReadAccess, WriteAccess
from app.auth.models import ApiKey
from app.auth.service import sees_secrets
from app.db import SessionDep
from app.demo import DemoFlag
from app.errors import PROBLEM_RESPONSES
from app.gazetteer.service import current_gazetteer
from app.limits import MAX_PAGE, Id, PlaceId
from app.pagination import MAX_CURSOR, Page, decode_int_cursor, page_of
from app.redaction import redact_evidence
from app.settings import SettingsDep

router = APIRouter(prefix="/api/v1", tags=["alerts"], responses=PROBLEM_RESPONSES)

Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page",
                                      max_length=MAX_CURSOR)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


def _rule_out(rule: AlertRule) -> RuleOut:
    return RuleOut(id=rule.id, name=rule.name, kind=rule.kind, severity=rule.severity,
                   params=rule.params, destinations=rule.destinations, step=rule.step,
                   enabled=rule.enabled, created_at=rule.created_at, updated_at=rule.updated_at)


def _shown(out: AlertOut, key: ApiKey | None) -> AlertOut:
    """The alert as `key` may see it: its evidence's URLs redacted unless `key` is admin."""
    if sees_secrets(key):
        return out
    return out.model_copy(update={"evidence": redact_evidence(out.evidence)})


def _silence_out(s: Silence) -> SilenceOut:
    return SilenceOut(id=s.id, destination=s.destination_id, rule_id=s.rule_id, until=s.until,
                      reason=s.reason, created_by=s.created_by, created_at=s.created_at)


@router.get("/alert-rules", response_model=list[RuleOut])
def list_rules(session: SessionDep, _key: AdminAccess) -> list[RuleOut]:
    return [_rule_out(r) for r in rulebook.list_rules(session)]


@router.post("/alert-rules", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleIn, session: SessionDep, _key: AdminAccess) -> RuleOut:
    """A rule, evaluated from now on whenever a watched series changes."""
    rule = rulebook.create_rule(session, current_gazetteer(session), **body.model_dump())
    return _rule_out(rule)


@router.get("/alert-rules/{rule_id}", response_model=RuleOut)
def read_rule(rule_id: Id, session: SessionDep, _key: AdminAccess) -> RuleOut:
    return _rule_out(rulebook.get_rule(session, rule_id))


@router.patch("/alert-rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: Id, body: RulePatch, session: SessionDep, _key: AdminAccess) -> RuleOut:
    """Changes the given fields; `params` merge into the rule's current ones."""
    changes = body.model_dump(exclude_unset=True)
    return _rule_out(rulebook.update_rule(session, current_gazetteer(session), rule_id, changes))


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(session: SessionDep, settings: SettingsDep, key: ReadAccess,
                status: Annotated[AlertStatus | Literal["open"] | None,
                                  Query(description="open: firing or acknowledged")] = None,
                destination: Annotated[PlaceId | None, Query(description="a place id")] = None,
                cursor: Cursor = None, limit: Limit = None,
                demo: DemoFlag = False) -> Page[AlertOut]:
    size = limit or settings.page_size
    rows = service.list_alerts(session, status=status, destination=destination,
                               before_id=decode_int_cursor(cursor), limit=size + 1, demo=demo)
    return page_of(rows, size, lambda row: _shown(alert_out(*row), key),
                   lambda row: row[0].id)


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def read_alert(alert_id: Id, session: SessionDep, key: ReadAccess) -> AlertOut:
    return _shown(alert_out(*service.get_alert(session, alert_id)), key)


@router.get("/alerts/{alert_id}/history", response_model=list[AlertEventOut])
def alert_history(alert_id: Id, session: SessionDep, _key: ReadAccess) -> list[AlertEventOut]:
    """Every change of the alert, oldest first."""
    return [AlertEventOut(id=e.id, type=e.type, at=e.at, by=e.by, reason=e.reason,
                          status=e.status, value=e.value, summary=e.summary, previous=e.previous)
            for e in service.alert_history(session, alert_id)]


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def acknowledge(alert_id: Id, session: SessionDep, key: WriteAccess,
                body: AckIn | None = None) -> AlertOut:
    """Someone is on it: no state change is notified; an escalation makes it fire again."""
    service.acknowledge(session, alert_id, key.name)
    return _shown(alert_out(*service.get_alert(session, alert_id)), key)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve(alert_id: Id, session: SessionDep, key: WriteAccess) -> AlertOut:
    service.resolve(session, current_gazetteer(session), alert_id, key.name)
    return _shown(alert_out(*service.get_alert(session, alert_id)), key)


@router.post("/silences", response_model=SilenceOut, status_code=status.HTTP_201_CREATED)
def create_silence(body: SilenceIn, session: SessionDep, key: WriteAccess) -> SilenceOut:
    """No notifications for the destination and/or rule until `until`; alerts still change."""
    silence = silences.create_silence(
        session, current_gazetteer(session), destination=body.destination, rule_id=body.rule_id,
        until=body.until, reason=body.reason, by=key.name)
    return _silence_out(silence)


@router.get("/silences", response_model=list[SilenceOut])
def list_silences(session: SessionDep, _key: ReadAccess, active: bool = True) -> list[SilenceOut]:
    return [_silence_out(s) for s in silences.list_silences(session, active)]


@router.delete("/silences/{silence_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_silence(silence_id: Id, session: SessionDep, _key: WriteAccess) -> Response:
    silences.delete_silence(session, silence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
