"""An alert's evidence is the figures of its own destination, each with its place, labelled as
before and after (issue 11, item 4: under "Lebanon passed 10,000" stood a quote about 3,500
people in Akkar, with nothing saying it was Akkar's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from tests.alerts.test_rules import D0, Desk


@pytest.fixture
def desk(session: Session) -> Desk:
    return Desk(session)


def test_a_parents_evidence_lists_its_childrens_figures_with_their_places(desk: Desk) -> None:
    desk.only("threshold")
    desk.figure("LB-BH", D0, 7000)
    desk.figure("LB-AK", D0 + timedelta(days=1), 3500, source="B")
    alert = desk.alert("threshold", "LB")
    assert alert is not None and alert.value == 10_000
    figures = alert.evidence["figures"]
    places = {(f["people"], f["place"]["id"], f["place"]["name"], f["side"]) for f in figures}
    # both stand behind the 10,500 after; Baalbek-Hermel's was behind the 7,000 before too
    assert places == {(7000, "LB-BH", "Baalbek-Hermel", "after"),
                      (3500, "LB-AK", "Akkar", "after")}


def test_a_destinations_evidence_is_its_own_figures_before_and_after(desk: Desk) -> None:
    desk.only("jump")
    desk.figure("LB-AK", D0, 2000)
    desk.figure("LB-AK", D0 + timedelta(days=2), 5000)
    alert = desk.alert("jump", "LB-AK")
    assert alert is not None
    sides = {(f["people"], f["side"], f["place"]["id"]) for f in alert.evidence["figures"]}
    assert sides == {(5000, "after", "LB-AK"), (2000, "before", "LB-AK")}



def test_the_alert_page_names_each_figures_place_and_side(factory: sessionmaker[Session],
                                                          settings: Settings) -> None:
    with factory.begin() as session:
        desk = Desk(session)
        desk.only("threshold")
        desk.figure("LB-BH", D0, 7000)
        desk.figure("LB-AK", D0 + timedelta(days=1), 3500, source="B")
        alert = desk.alert("threshold", "LB")
        assert alert is not None
        alert_id = alert.id
    public = settings.model_copy(update={"public_read": True})
    with TestClient(create_app(public), follow_redirects=False) as client:
        html = client.get(f"/alerts/{alert_id}").text
        overview = client.get("/").text
    assert "3,500 people</strong> in Akkar (total, 2025-03-11, after)" in html
    assert "7,000 people</strong> in Baalbek-Hermel (total, 2025-03-10, after)" in html
    assert "<cite>B, on Akkar</cite>" in overview
