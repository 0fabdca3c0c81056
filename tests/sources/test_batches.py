"""A fetch is ingested in batches, one transaction each: repeats inside a batch are stored once,
and an item the database refuses costs only itself, not its batch."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.reports.models import Figure, Report
from app.settings import Settings
from app.sources.service import INGEST_BATCH, run_source
from tests.fakeweb import FakeWeb, reply
from tests.sources.conftest import add_source, attempts, count, point, reports_of


def _feed(items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        "<pubDate>Wed, 12 Mar 2025 10:00:00 GMT</pubDate>"
        f"<description>{body}</description></item>" for title, link, body in items)
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire"
            f"</title><link>https://wire.example/</link><description>d</description>{entries}"
            "</channel></rss>").encode()


def _item(n: int, title: str | None = None) -> tuple[str, str, str]:
    return (title or f"Update {n}", f"https://wire.example/updates/{n}",
            f"Update {n}: about {100 + n:,} people have arrived in Akkar since Friday, "
            f"officials said in their note number {n}.")


def _serve(web: FakeWeb, factory: sessionmaker[Session], items: list[tuple[str, str, str]]
           ) -> int:
    url = web.route("/feed.xml", reply(200, _feed(items), {"Content-Type": "application/rss+xml"}))
    return add_source(factory, "Wire", "rss", url, params={"max_items": 1000})


def test_a_feed_longer_than_a_batch_is_stored_whole_and_counted_once(
        factory: sessionmaker[Session], settings: Settings, web: FakeWeb) -> None:
    items = [_item(n) for n in range(INGEST_BATCH + 30)]
    # the same article twice in one batch (under a tracking URL), and once more in the next
    items.insert(5, (items[3][0], items[3][1] + "?utm_source=feed", items[3][2]))
    items.append(items[10])
    source_id = _serve(web, factory, items)
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "ok" and outcome.items_found == len(items)
    assert outcome.reports_new == count(factory, Report) == INGEST_BATCH + 30
    assert count(factory, Figure) == INGEST_BATCH + 30
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.estimate == 100 + INGEST_BATCH + 29  # the latest total
    again = run_source(factory, settings, source_id, "test")
    assert again.status == "ok" and again.reports_new == 0


@pytest.fixture
def poisoned_titles(factory: sessionmaker[Session], backend: str) -> None:
    """A database that refuses any report titled 'Poisoned', as a constraint would."""
    with factory.begin() as session:
        if backend == "sqlite":
            session.execute(text(
                "CREATE TRIGGER poison BEFORE INSERT ON reports WHEN NEW.title = 'Poisoned' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned row refused'); END"))
        else:
            session.execute(text(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                "IF NEW.title = 'Poisoned' THEN RAISE EXCEPTION 'poisoned row refused'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            session.execute(text("CREATE TRIGGER poison BEFORE INSERT ON reports "
                                 "FOR EACH ROW EXECUTE FUNCTION poison()"))


@pytest.mark.usefixtures("poisoned_titles")
def test_an_item_the_database_refuses_is_recorded_and_its_batch_lands(
        factory: sessionmaker[Session], settings: Settings, web: FakeWeb) -> None:
    items = [_item(n) for n in range(12)]
    items[4] = _item(4, title="Poisoned")
    source_id = _serve(web, factory, items)
    outcome = run_source(factory, settings, source_id, "test")
    assert outcome.status == "ok" and outcome.reports_new == 11
    assert sorted(r.title or "" for r in reports_of(factory, source_id)) == sorted(
        f"Update {n}" for n in range(12) if n != 4)
    assert count(factory, Figure) == 11
    [attempt] = attempts(factory, source_id)
    assert attempt.reports_new == 11 and attempt.error is not None
    assert "item 5" in attempt.error and "poisoned row refused" in attempt.error
