"""Rules on data time, the alert lifecycle and silences, on figures filed as ingestion would."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert, AlertRule, Silence
from app.alerts.service import evaluate, resolve_quiet
from app.db import utcnow
from app.gazetteer.index import load_gazetteer
from app.reports.models import Figure, Report
from app.series.service import update_series
from app.sources.models import Source
from app.webhooks.models import WebhookEndpoint, WebhookEvent

D0 = date(2025, 3, 10)
_n = count(1)


class Desk:
    """Files figures, updates the series and evaluates the rules, like one ingested report."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.gazetteer = load_gazetteer()
        # one subscriber to everything, so every notification shows in the outbox
        session.add(WebhookEndpoint(url="http://127.0.0.1:9/hook", secret_encrypted="never used",
                                    min_severity="info"))
        session.flush()

    def only(self, *kinds: str) -> None:
        for rule in self.session.scalars(select(AlertRule)):
            rule.enabled = rule.kind in kinds
        self.session.flush()

    def figure(self, place: str, day: date, people: int, *, kind: str = "total",
               source: str = "A", quote: str | None = None) -> list[Alert]:
        src = self.session.scalar(select(Source).where(Source.name == source))
        if src is None:
            src = Source(name=source, kind="manual", params={})
            self.session.add(src)
            self.session.flush()
        n = next(_n)
        report = Report(source_id=src.id, text=f"r{n}", content_hash=f"{n:064d}",
                        url=f"https://example.org/{n}", extractor_version="test")
        self.session.add(report)
        self.session.flush()
        self.session.add(Figure(
            report_id=report.id, source_id=src.id, count=people, qualifier="exact",
            unit="people", people=people, kind=kind, destination_id=place, observed_on=day,
            span_start=0, span_end=1, quote=quote or f"{people} people reached {place}",
            extractor_version="test"))
        self.session.flush()
        changed = update_series(self.session, self.gazetteer, [(place, day)], 14)
        return evaluate(self.session, self.gazetteer, changed)

    def alert(self, kind: str, place: str) -> Alert | None:
        return self.session.scalar(
            select(Alert).join(AlertRule, AlertRule.id == Alert.rule_id)
            .where(AlertRule.kind == kind, Alert.destination_id == place))

    def events(self, place: str | None = None) -> list[str]:
        self.session.flush()
        rows = self.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        return [e.type for e in rows if place is None or e.data["destination"]["id"] == place]


@pytest.fixture
def desk(session: Session) -> Desk:
    return Desk(session)


def test_default_rules_are_seeded_by_the_migration(session: Session) -> None:
    rules = {r.kind: r for r in session.scalars(select(AlertRule))}
    assert set(rules) == {"new_destination", "jump", "arrival_rate", "threshold", "new_high"}
    assert rules["new_destination"].params["floor"] == 500
    assert rules["jump"].params == {"min_increase": 1000, "min_ratio": 0.5, "window_days": 3}
    assert rules["arrival_rate"].params["min_arrivals"] == 1000
    assert rules["threshold"].params["levels"][:3] == [10_000, 50_000, 100_000]


def test_a_new_destination_fires_at_the_floor_not_below(desk: Desk) -> None:
    desk.only("new_destination")
    desk.figure("LB-AK", D0, 400)
    assert desk.alert("new_destination", "LB-AK") is None
    desk.figure("LB-AK", D0 + timedelta(days=1), 600, quote="some 600 people arrived in Akkar")
    alert = desk.alert("new_destination", "LB-AK")
    assert alert is not None and alert.status == "firing" and alert.value == 600
    assert alert.data_day == D0 + timedelta(days=1)
    quotes = [f["quote"] for f in alert.evidence["figures"]]
    assert "some 600 people arrived in Akkar" in quotes
    # a place already above the floor is not new again
    desk.figure("LB-AK", D0 + timedelta(days=2), 900)
    assert desk.events("LB-AK") == ["alert.firing"]


def test_a_jump_needs_both_the_absolute_and_the_relative_rise(desk: Desk) -> None:
    desk.only("jump")
    desk.figure("LB-AK", D0, 2000)
    desk.figure("LB-AK", D0 + timedelta(days=1), 2900)  # +900: not enough people
    assert desk.alert("jump", "LB-AK") is None
    desk.figure("LB-BH", D0, 10_000)
    desk.figure("LB-BH", D0 + timedelta(days=2), 11_500)  # +1,500 but +15 %
    assert desk.alert("jump", "LB-BH") is None
    desk.figure("LB-AK", D0 + timedelta(days=3), 3500)  # +1,500 and +75 % on day 0's 2,000
    alert = desk.alert("jump", "LB-AK")
    assert alert is not None
    assert alert.evidence["previous"]["estimate"] == 2000
    assert alert.evidence["current"]["estimate"] == 3500
    assert alert.evidence["change"] == {"people": 1500, "percent": 75.0}
    assert {f["for"] for f in alert.evidence["figures"]} == {"current", "previous"}


def test_a_slow_rise_is_no_jump(desk: Desk) -> None:
    desk.only("jump")
    for k, people in enumerate([2000, 2500, 3000, 3500]):  # +1,500 in 9 days, +500 in any 3
        desk.figure("LB-AK", D0 + timedelta(days=3 * k), people)
    assert desk.alert("jump", "LB-AK") is None


def test_arrival_rate_counts_new_arrivals_of_a_day(desk: Desk) -> None:
    desk.only("arrival_rate")
    desk.figure("LB-AK", D0, 900, kind="new")
    assert desk.alert("arrival_rate", "LB-AK") is None
    desk.figure("LB-AK", D0 + timedelta(days=1), 1200, kind="new")
    alert = desk.alert("arrival_rate", "LB-AK")
    assert alert is not None and alert.value == 1200


def test_thresholds_fire_once_per_level_crossed(desk: Desk) -> None:
    desk.only("threshold")
    desk.figure("LB-BH", D0, 9000)
    assert desk.alert("threshold", "LB-BH") is None
    desk.figure("LB-BH", D0 + timedelta(days=1), 12_000)
    alert = desk.alert("threshold", "LB-BH")
    assert alert is not None and alert.value == 10_000
    desk.figure("LB-BH", D0 + timedelta(days=2), 13_000)
    desk.figure("LB-BH", D0 + timedelta(days=3), 55_000)
    desk.figure("LB-BH", D0 + timedelta(days=4), 56_000)
    assert desk.events("LB-BH") == ["alert.firing", "alert.escalated"]
    assert alert.notified_value == 50_000


def test_escalation_only_beyond_the_last_notified_value_by_the_step(desk: Desk) -> None:
    desk.only("arrival_rate")  # step 1,000
    desk.figure("LB-AK", D0, 1000, kind="new")
    desk.figure("LB-AK", D0 + timedelta(days=1), 1900, kind="new")  # +900: no
    desk.figure("LB-AK", D0 + timedelta(days=2), 2000, kind="new")  # +1,000 on 1,000: yes
    desk.figure("LB-AK", D0 + timedelta(days=3), 2500, kind="new")  # +500 on 2,000: no
    # below the step the alert still says the new value, and tells it: updated, not escalated
    assert desk.events("LB-AK") == ["alert.firing", "alert.updated", "alert.escalated",
                                    "alert.updated"]
    alert = desk.alert("arrival_rate", "LB-AK")
    assert alert is not None and alert.notified_value == 2000 and alert.value == 2500


def test_parents_are_evaluated_with_their_children(desk: Desk) -> None:
    desk.only("threshold")
    desk.figure("LB-AK", D0, 6000)
    desk.figure("LB-BH", D0, 5000)  # Lebanon: 11,000 as the sum of its regions
    alert = desk.alert("threshold", "LB")
    assert alert is not None and alert.value == 10_000
    assert alert.destination_name == "Lebanon"


def test_a_late_figure_is_judged_on_its_own_date(desk: Desk) -> None:
    desk.only("jump")
    desk.figure("LB-AK", D0 + timedelta(days=2), 5000)
    desk.figure("LB-AK", D0, 2000, source="B")  # older, fetched later: 2,000 then 5,000
    alert = desk.alert("jump", "LB-AK")
    assert alert is not None and alert.data_day == D0 + timedelta(days=2)
    assert alert.evidence["previous"]["day"] == D0.isoformat()


def test_the_same_figure_from_another_outlet_notifies_no_one_again(desk: Desk) -> None:
    desk.only("new_destination", "threshold")
    desk.figure("LB-BH", D0, 10_000, source="A")
    before = desk.events()
    desk.figure("LB-BH", D0, 10_000, source="B")
    assert desk.events() == before
    assert len(before) == 2  # Baalbek-Hermel, two rules; Lebanon only echoes it


def test_a_parent_does_not_echo_its_childs_alert(desk: Desk) -> None:
    desk.only("jump", "arrival_rate", "threshold")
    desk.figure("SY-LA", D0, 1500)
    desk.figure("SY-LA", D0 + timedelta(days=2), 12_000)
    for kind in ("jump", "threshold"):
        assert desk.alert(kind, "SY-LA") is not None
        assert desk.alert(kind, "SY") is None
    # the parent still speaks when its own figures say more than any child's
    desk.figure("SY", D0 + timedelta(days=2), 60_000, source="National")
    assert desk.alert("threshold", "SY") is not None
    assert desk.alert("jump", "SY") is not None


def test_lifecycle_ack_escalate_resolve_reopen(desk: Desk, session: Session) -> None:
    from app.alerts.service import acknowledge, resolve

    desk.only("threshold")
    desk.figure("LB-BH", D0, 12_000)
    alert = desk.alert("threshold", "LB-BH")
    assert alert is not None
    acknowledge(session, alert.id, "officer")
    assert alert.status == "acknowledged" and alert.acknowledged_by == "officer"
    assert desk.events("LB-BH") == ["alert.firing"]  # an acknowledgement notifies no one
    desk.figure("LB-BH", D0 + timedelta(days=1), 60_000)
    assert alert.status == "firing" and alert.acknowledged_at is None
    resolve(session, desk.gazetteer, alert.id, "officer")
    assert alert.status == "resolved" and alert.resolution == "resolved by officer"
    desk.figure("LB-BH", D0 + timedelta(days=1), 60_000, source="B")  # same again: stays
    assert alert.status == "resolved"
    desk.figure("LB-BH", D0 + timedelta(days=2), 120_000)
    assert alert.status == "firing" and alert.episode == 2 and alert.value == 100_000
    assert desk.events("LB-BH") == ["alert.firing", "alert.escalated", "alert.resolved",
                                   "alert.firing"]
    assert session.scalar(select(Alert.id).where(Alert.id != alert.id,
                                                 Alert.destination_id == "LB-BH")) is None


def test_quiet_alerts_resolve_themselves(desk: Desk, session: Session) -> None:
    desk.only("threshold")
    desk.figure("LB-BH", D0, 12_000)
    alert = desk.alert("threshold", "LB-BH")
    assert alert is not None
    quiet = timedelta(hours=72)
    assert resolve_quiet(session, desk.gazetteer, quiet) == []
    later = utcnow() + quiet + timedelta(minutes=1)
    assert alert.id in resolve_quiet(session, desk.gazetteer, quiet, now=later)
    assert alert.status == "resolved" and "quiet" in (alert.resolution or "")
    assert desk.events("LB-BH") == ["alert.firing", "alert.resolved"]


def test_a_silence_stops_notifications_not_alerts(desk: Desk, session: Session) -> None:
    desk.only("threshold")
    rule = session.scalars(select(AlertRule).where(AlertRule.kind == "threshold")).one()
    silence = Silence(destination_id="LB-BH", until=utcnow() + timedelta(hours=1))
    session.add(silence)
    session.add(Silence(rule_id=rule.id, destination_id="SY",
                        until=utcnow() - timedelta(minutes=1)))  # over already
    session.flush()
    desk.figure("LB-BH", D0, 12_000)
    desk.figure("LB-AK", D0, 11_000)
    assert desk.alert("threshold", "LB-BH") is not None
    assert desk.events("LB-BH") == []
    assert desk.events("LB-AK") == ["alert.firing"]
    session.delete(silence)
    session.flush()
    desk.figure("LB-BH", D0 + timedelta(days=1), 60_000)
    assert desk.events("LB-BH") == ["alert.escalated"]


def test_rules_for_listed_destinations_only(desk: Desk, session: Session) -> None:
    desk.only()
    session.add(AlertRule(name="Akkar watch", kind="new_destination", severity="critical",
                          params={"floor": 100}, destinations=["LB-AK"]))
    session.flush()
    desk.figure("LB-BH", D0, 300)
    desk.figure("LB-AK", D0, 300)
    assert desk.alert("new_destination", "LB-BH") is None
    alert = desk.alert("new_destination", "LB-AK")
    assert alert is not None and alert.severity == "critical"
