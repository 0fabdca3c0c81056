"""The lifecycle's decisions without a database: a trigger on an alert in each state, a review's
check of an alert, and the words an alert's changes are told and kept as."""

from __future__ import annotations

from datetime import date

from app.alerts import lifecycle
from app.alerts.enums import AlertChange, AlertEvent, AlertStatus
from app.alerts.lifecycle import Outcome
from app.alerts.models import Alert, AlertRule
from app.alerts.rules import Trigger
from app.db import utcnow
from app.series.models import SeriesPoint

DAY = date(2025, 3, 10)


def _rule() -> AlertRule:
    return AlertRule(id=1, name="Jump", kind="jump", severity="warning", step=1000,
                     params={"min_increase": 1000, "min_ratio": 0.5, "window_days": 7})


def _alert(status: AlertStatus, value: int = 5000, summary: str = "Goma: +5,000") -> Alert:
    return Alert(fingerprint="rule:1:X", rule_id=1, destination_id="X", destination_name="X",
                 severity="warning", status=status, summary=summary, value=value,
                 notified_value=value, data_day=DAY, evidence={}, episode=1)


def _trigger(measure: int, summary: str = "Goma: +5,000", day: date = DAY) -> Trigger:
    point = SeriesPoint(destination_id="X", day=day, estimate=measure, low=measure,
                        high=measure, new_arrivals=0, sources=[])
    return Trigger(rule=_rule(), place_id="X", day=day, measure=measure, summary=summary,
                   current=point, previous=None)


def test_a_trigger_on_each_state() -> None:
    # a retracted alert was never true: any trigger now is news, even the same figures
    assert lifecycle.decide(_alert(AlertStatus.RETRACTED), _trigger(5000)) == Outcome.REOPEN
    assert lifecycle.decide(_alert(AlertStatus.RESOLVED), _trigger(5000)) == Outcome.REPLAY
    assert lifecycle.decide(_alert(AlertStatus.RESOLVED), _trigger(5001)) == Outcome.REOPEN
    # another outlet repeating what the alert says only touches it
    assert lifecycle.decide(_alert(AlertStatus.FIRING), _trigger(5000)) == Outcome.TOUCH
    # the same value in other words, or a later day, is an update below the step
    assert lifecycle.decide(_alert(AlertStatus.FIRING),
                            _trigger(5000, "Goma: +5,000 people")) == Outcome.REFRESH
    assert lifecycle.decide(_alert(AlertStatus.ACKNOWLEDGED),
                            _trigger(5000, day=date(2025, 3, 11))) == Outcome.REFRESH
    assert lifecycle.decide(_alert(AlertStatus.FIRING), _trigger(6000)) == Outcome.ESCALATE


def test_a_refresh_is_told_only_when_what_the_alert_says_changed() -> None:
    alert = _alert(AlertStatus.FIRING)
    event = lifecycle.transition(alert, Outcome.REFRESH, _trigger(5500, "Goma: +5,500"), {},
                                 utcnow())
    assert event == AlertEvent.UPDATED
    assert (alert.value, alert.notified_value) == (5500, 5000)
    again = lifecycle.transition(alert, Outcome.REFRESH, _trigger(5500, "Goma: +5,500"), {},
                                 utcnow())
    assert again is None


def test_a_review_retracts_updates_or_escalates() -> None:
    assert lifecycle.decide_revision(_alert(AlertStatus.RESOLVED), None) == Outcome.RETRACT
    assert lifecycle.decide_revision(_alert(AlertStatus.RESOLVED),
                                     _trigger(9000)) == Outcome.REPLAY
    assert lifecycle.decide_revision(_alert(AlertStatus.FIRING),
                                     _trigger(3000)) == Outcome.REVISE
    assert lifecycle.decide_revision(_alert(AlertStatus.FIRING),
                                     _trigger(6000)) == Outcome.ESCALATE

    lower = _alert(AlertStatus.ACKNOWLEDGED)
    assert lifecycle.restate(lower, Outcome.REVISE, _trigger(3000, "Goma: +3,000"),
                             {}) == AlertEvent.UPDATED
    assert (lower.status, lower.value, lower.notified_value) == ("acknowledged", 3000, 5000)
    same = _alert(AlertStatus.FIRING)
    assert lifecycle.restate(same, Outcome.REVISE, _trigger(5000), {}) is None

    higher = _alert(AlertStatus.ACKNOWLEDGED)
    assert lifecycle.restate(higher, Outcome.ESCALATE, _trigger(6000, "Goma: +6,000"),
                             {}) == AlertEvent.ESCALATED
    assert (higher.status, higher.notified_value, higher.acknowledged_by) == (
        "firing", 6000, None)

    gone = _alert(AlertStatus.FIRING)
    assert lifecycle.retract(gone, "ana", "misread", utcnow()) == AlertEvent.RETRACTED
    assert gone.status == AlertStatus.RETRACTED
    assert gone.resolution == "retracted (ana): misread"


def test_every_outcome_and_event_has_its_word() -> None:
    assert set(lifecycle.EVENTS) == set(Outcome)
    # each webhook event is also a row type of the alert's history (app.alerts.history)
    assert {AlertChange(e.removeprefix("alert.")) for e in AlertEvent} == (
        set(AlertChange) - {AlertChange.ACKNOWLEDGED})


def test_the_demo_s_alerts_are_apart() -> None:
    assert lifecycle.fingerprint(1, "X", False) == "rule:1:X"
    assert lifecycle.fingerprint(1, "X", True) == "rule:1:X:demo"
