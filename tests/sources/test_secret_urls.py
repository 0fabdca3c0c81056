"""A dataset's URL with a token in it is fetched with the token, and quoted without it."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.sources.service import run_source
from tests.fakeweb import FakeWeb, reply
from tests.sources.conftest import add_source, figures_of, fixture, reports_of


def test_hxl_rows_quote_the_dataset_without_its_token(web: FakeWeb, settings: Settings,
                                                      factory: sessionmaker[Session]) -> None:
    web.route("/dataset.csv", reply(200, fixture("hxl_displacement_sample.csv"),
                                    {"Content-Type": "text/csv"}))
    url = web.url("/dataset.csv?format=csv&access_token=Sd8fK2mQ9xZ4")
    source_id = add_source(factory, "HDX private arrivals", "hxl", url)
    assert run_source(factory, settings, source_id, "test").reports_new == 3
    assert "access_token=Sd8fK2mQ9xZ4" in web.hits("/dataset.csv")[0].path
    shown = web.url("/dataset.csv?format=csv")
    for figure in figures_of(factory, source_id):
        assert shown in figure.quote and "Sd8fK2mQ9xZ4" not in figure.quote
    for report in reports_of(factory, source_id):
        assert "Sd8fK2mQ9xZ4" not in report.text and report.url == shown
