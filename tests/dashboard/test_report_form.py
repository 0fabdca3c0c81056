"""Field staff file a report from the pages: the preview shows the figures and stores nothing,
saving goes through the pipeline as the API does, and the form refuses what it must (a read
key, a post without its token, bad input) with the form kept. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.main import create_app
from app.reports.models import Figure, Report
from app.series.models import SeriesPoint
from app.settings import Settings
from app.sources.models import Source
from tests.dashboard.forms import ORIGIN, sign_in, submit, token_on

TEXT = "About 12,000 people have fled to Baalbek-Hermel since Friday, officials said."


def _key(factory: sessionmaker[Session], scope: str) -> str:
    with factory.begin() as session:
        return create_key(session, f"staff {scope}", scope)[1]


def _count(factory: sessionmaker[Session], model: type[object]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@pytest.fixture
def writer(browser: TestClient, factory: sessionmaker[Session]) -> TestClient:
    assert sign_in(browser, _key(factory, "write")).status_code == 303
    return browser


def _form(**fields: str) -> dict[str, str]:
    return {"text": TEXT, "source": "Field team Hermel", "credibility": "B",
            "published": "2025-03-10", "step": "preview", **fields}


def test_the_preview_shows_the_figures_and_stores_nothing(
        writer: TestClient, factory: sessionmaker[Session]) -> None:
    page = writer.get("/reports/new")
    assert page.status_code == 200 and 'action="/reports/new"' in page.text
    response = submit(writer, "/reports/new", "/reports/new", **_form())
    assert response.status_code == 200, response.text
    figures = response.text.split('id="preview-figures"')[1].split("</ol>")[0]
    assert "12,000 people" in figures and "Baalbek-Hermel" in figures
    assert "counts for 2025-03-10" in figures
    assert "a new source <strong>Field team Hermel</strong>, credibility B" in response.text
    # what was typed is still in the form, to save as it is
    assert TEXT in response.text and 'value="Field team Hermel"' in response.text
    assert (_count(factory, Report), _count(factory, Figure), _count(factory, SeriesPoint)) == (
        0, 0, 0)
    with factory() as session:
        assert session.scalar(select(Source).where(Source.name == "Field team Hermel")) is None


def test_saving_files_the_report_through_the_pipeline(
        writer: TestClient, factory: sessionmaker[Session]) -> None:
    response = submit(writer, "/reports/new", "/reports/new", **_form(step="save"))
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/reports/(\d+)", response.headers["location"])
    assert found
    with factory() as session:
        report = session.get_one(Report, int(found.group(1)))
        source = session.get_one(Source, report.source_id)
        assert (source.name, source.credibility, source.kind) == ("Field team Hermel", "B",
                                                                  "manual")
        [figure] = session.scalars(select(Figure).where(Figure.report_id == report.id)).all()
        assert (figure.people, figure.destination_id) == (12000, "LB-BH")
        point = session.scalar(select(SeriesPoint).where(SeriesPoint.destination_id == "LB-BH"))
        assert point is not None and point.estimate == 12000
    assert "12,000" in writer.get(response.headers["location"]).text
    # the same text again is the report already filed, not a second one
    again = submit(writer, "/reports/new", "/reports/new", **_form(step="save"))
    assert again.headers["location"] == response.headers["location"]
    assert _count(factory, Report) == 1


def test_a_read_key_gets_403_and_stores_nothing(
        browser: TestClient, factory: sessionmaker[Session]) -> None:
    assert sign_in(browser, _key(factory, "read")).status_code == 303
    assert browser.get("/reports/new").status_code == 403
    token = token_on(browser.get("/").text)  # the sign-out form's: the session's own token
    response = browser.post("/reports/new", data={**_form(step="save"), "csrf_token": token},
                            headers={"Origin": ORIGIN})
    assert response.status_code == 403
    assert "Submit a report" not in browser.get("/").text
    assert _count(factory, Report) == 0


def test_a_post_without_its_token_or_from_elsewhere_is_refused(
        writer: TestClient, factory: sessionmaker[Session]) -> None:
    token = token_on(writer.get("/reports/new").text)
    bad = writer.post("/reports/new", data={**_form(step="save"), "csrf_token": "0" * 64},
                      headers={"Origin": ORIGIN})
    assert bad.status_code == 403 and "CSRF" in bad.json()["detail"]
    none = writer.post("/reports/new", data=_form(step="save"), headers={"Origin": ORIGIN})
    assert none.status_code == 403
    foreign = writer.post("/reports/new", data={**_form(step="save"), "csrf_token": token},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert _count(factory, Report) == 0 and _count(factory, Source) == 0


@pytest.mark.parametrize(("fields", "status", "says"), [
    ({"text": "   "}, 422, "Text: "),
    ({"published": "10 March"}, 422, "Published: "),
    ({"lang": "in english"}, 422, "Language: "),
    ({"source": "x" * 201}, 422, "Source: "),
], ids=["empty text", "bad date", "bad language", "source name too long"])
def test_bad_input_comes_back_with_the_message_and_nothing_lost(
        writer: TestClient, factory: sessionmaker[Session], fields: dict[str, str], status: int,
        says: str) -> None:
    for step in ("preview", "save"):
        response = submit(writer, "/reports/new", "/reports/new", **_form(step=step, **fields))
        assert response.status_code == status, response.text
        error = response.text.split('id="form-error">')[1].split("</p>")[0]
        assert says in error, error
        typed = fields.get("text", TEXT).strip() or None
        if typed:
            assert typed in response.text
        assert 'value="2025-03-10"' in response.text or "published" in fields
    assert _count(factory, Report) == 0 and _count(factory, Source) == 0


def test_an_existing_source_keeps_its_credibility_unless_an_admin_changes_it(
        writer: TestClient, factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        session.add(Source(name="Akkar municipality", kind="manual", credibility="A", params={}))
    preview = submit(writer, "/reports/new", "/reports/new",
                     **_form(source="Akkar municipality", credibility="D"))
    assert "only an admin changes it" in preview.text
    refused = submit(writer, "/reports/new", "/reports/new",
                     **_form(source="Akkar municipality", credibility="D", step="save"))
    assert refused.status_code == 403
    assert "has credibility A; only an admin changes it" in refused.text
    assert TEXT in refused.text and _count(factory, Report) == 0
    kept = submit(writer, "/reports/new", "/reports/new",
                  **_form(source="Akkar municipality", credibility="", step="save"))
    assert kept.status_code == 303
    with factory() as session:
        source = session.scalar(select(Source).where(Source.name == "Akkar municipality"))
        assert source is not None and source.credibility == "A"
