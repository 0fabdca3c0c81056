"""A report with thousands of figures: its destination page lists one bounded page of them and
never loads the report's text per figure (issue 13, item 3)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.dashboard.service import FIGURES_PER_PAGE
from app.extract.core import MAX_FIGURES
from app.main import create_app
from app.reports.models import Figure
from app.settings import Settings
from tests.webhooks.helpers import ingest_text

FIGURES = 2_000


def test_a_report_of_thousands_of_figures_gives_a_bounded_destination_page(
        settings: Settings, factory: sessionmaker[Session]) -> None:
    # one figure a day over years, so every point of the series rests on its own figure
    days = [date(2019, 1, 1) + timedelta(days=n) for n in range(FIGURES)]
    sentences = [f"As of {day.day} {day:%B %Y}, some {1_000 + n:,} people had arrived in "
                 f"Hermel district of Lebanon." for n, day in enumerate(days)]
    # a report yields at most MAX_FIGURES (the contract): the figures come in several reports
    report_ids = [ingest_text(factory, settings, " ".join(sentences[at:at + MAX_FIGURES]),
                              date(2025, 4, 20)).report.id
                  for at in range(0, FIGURES, MAX_FIGURES)]
    with factory() as session:
        places = session.execute(
            select(Figure.destination_id, func.count()).where(Figure.report_id.in_(report_ids))
            .group_by(Figure.destination_id)).all()
    place, count = max(places, key=lambda row: row[1])
    assert place and count >= FIGURES // 2
    public = settings.model_copy(update={"public_read": True})
    with TestClient(create_app(public)) as client:
        first = client.get(f"/destinations/{place}")
        assert first.status_code == 200
        html = first.text
        assert html.count('<li>\\n    <p class="reading">') <= FIGURES_PER_PAGE
        assert html.count('class="reading"') == FIGURES_PER_PAGE
        assert len(re.findall(r"<mark>[\d,]+</mark>", html)) == FIGURES_PER_PAGE
        listed = html[html.index('id="figures"'):html.index('class="exports"')]
        assert len(listed) < 40_000, "the figures' part of the page is one page's worth"
        assert 'rel="next" href="?page=2#figures"' in html
        last = client.get(f"/destinations/{place}", params={"page": 10_000}).text
        assert 'rel="prev"' in last and 'rel="next"' not in last
        assert 0 < last.count('class="reading"') <= FIGURES_PER_PAGE
