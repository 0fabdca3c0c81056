"""Which alerts are one incident: a place, what lies within it and its parents, and places that
share a parent below the country level, within the grouping window; never two first-level
regions of a country, nor two countries. Reports go through the real pipeline, both databases."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert
from app.db import utcnow
from app.incidents.models import Incident
from app.main import create_app
from app.settings import Settings
from tests.webhooks.helpers import ingest_text


def _raise(factory: sessionmaker[Session], settings: Settings, *reports: tuple[str, date]) -> None:
    for text, day in reports:
        ingest_text(factory, settings, text, day)


def _incidents(factory: sessionmaker[Session]) -> dict[str, set[str]]:
    """Each incident's place, with its alerts' places."""
    with factory() as session:
        places = {i.id: i.destination_id for i in session.scalars(select(Incident))}
        out: dict[str, set[str]] = {p: set() for p in places.values()}
        for alert in session.scalars(select(Alert)):
            assert alert.incident_id is not None
            out[places[alert.incident_id]].add(alert.destination_id)
        return out


HERMEL = ("At least 4,000 people have arrived in Hermel, officials said.", date(2025, 3, 11))
ARSAL = ("Some 3,000 people are sheltering in Arsal, aid groups said.", date(2025, 3, 12))
HALBA = ("More than 2,500 people reached Halba, the mayor said.", date(2025, 3, 12))
JABLEH = ("About 2,000 people fled to Jableh, residents said.", date(2025, 3, 12))


def test_places_of_one_region_are_one_incident_at_their_nearest_common_parent(
        factory: sessionmaker[Session], settings: Settings) -> None:
    # a district and a camp of Baalbek-Hermel; a town of Akkar, another governorate of Lebanon;
    # a district of Syria's Latakia
    _raise(factory, settings, HERMEL, ARSAL, HALBA, JABLEH)
    incidents = _incidents(factory)
    assert incidents.pop("LB-BH") >= {"pcode:LB22", "site:arsal"}
    # Lebanon's alert joins one of its governorates' incidents, never both
    assert incidents == {"city:274723": {"city:274723", "LB"}, "pcode:SY0602": {"pcode:SY0602"}}
    with factory() as session:
        named = {i.destination_id: i.destination_name for i in session.scalars(select(Incident))}
    assert named["LB-BH"] == "Baalbek-Hermel"


def test_an_incident_widens_once_and_then_holds_the_places_within_it(
        factory: sessionmaker[Session], settings: Settings) -> None:
    _raise(factory, settings, HERMEL)
    assert _incidents(factory) == {"pcode:LB22": {"pcode:LB22"}}  # narrow: the district alone
    _raise(factory, settings, ARSAL)  # a camp of the same governorate: the incident widens
    assert set(_incidents(factory)) == {"LB-BH"}
    _raise(factory, settings, ("Some 9,000 people have now arrived in Hermel, officials said.",
                               date(2025, 3, 13)))
    assert set(_incidents(factory)) == {"LB-BH"}  # a place within it does not narrow it back
    with factory() as session:
        [incident] = session.scalars(select(Incident))
        assert (incident.destination_name, incident.severity) == ("Baalbek-Hermel", "critical")


def test_a_parent_first_narrows_to_the_place_that_joins_it(
        factory: sessionmaker[Session], settings: Settings) -> None:
    _raise(factory, settings, ("More than 10,000 people have fled to Lebanon, the ministry said.",
                               date(2025, 3, 12)))
    assert set(_incidents(factory)) == {"LB"}
    _raise(factory, settings, HERMEL)
    assert _incidents(factory) == {"pcode:LB22": {"pcode:LB22", "LB"}}
    _raise(factory, settings, HALBA)  # another governorate: not the same incident
    assert set(_incidents(factory)) == {"pcode:LB22", "city:274723"}


def test_a_neighbour_after_the_window_is_a_new_incident(
        factory: sessionmaker[Session], settings: Settings) -> None:
    _raise(factory, settings, HERMEL)
    with factory.begin() as session:  # two hours pass; the window is an hour
        session.execute(update(Incident).values(opened_at=utcnow() - timedelta(hours=2)))
    _raise(factory, settings, ARSAL)
    with factory() as session:
        incident_of = {a.destination_id: a.incident_id for a in session.scalars(select(Alert))}
    assert incident_of["site:arsal"] != incident_of["pcode:LB22"]


def test_the_overview_folds_a_region_s_places_into_its_incident(
        factory: sessionmaker[Session], settings: Settings) -> None:
    _raise(factory, settings, HERMEL, ARSAL)
    with TestClient(create_app(settings.model_copy(update={"public_read": True}))) as client:
        html = client.get("/").text
    section = html.split('id="alerts-h"')[1].split("</section>")[0]
    assert section.count("<summary>") == 1
    summary = section.split("<summary>")[1].split("</summary>")[0]
    assert "<strong>Baalbek-Hermel</strong>" in summary
    assert "at 3 places (" in summary
    for place in ("Hermel", "Arsal"):
        assert place in summary.split("at 3 places (")[1]
    with factory() as session:
        for alert in session.scalars(select(Alert)):
            assert f'href="/alerts/{alert.id}"' in section
