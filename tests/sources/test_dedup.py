"""Duplicates: one article under several URLs, and one story syndicated by several outlets."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.pipeline import ingest, ingest_many
from app.reports import dedup
from app.reports.service import NewReport, check
from app.settings import Settings
from app.sources.models import Source
from app.sources.service import run_source
from tests.fakeweb import FakeWeb, reply
from tests.sources.conftest import add_source, count, figures_of, point, reports_of

STORY = ("BEIRUT - Around 9,000 people, most of them civilians from the coastal governorates of "
         "Latakia and Tartus, have crossed into northern Lebanon's Akkar governorate since "
         "Friday, a local official said on Wednesday. Aid groups said schools were being "
         "opened as shelters and that more families were waiting at the border crossings.")
COPY = ("(Partner Paper) Around 9,000 people, most of them civilians from the coastal "
        "governorates of Latakia and Tartus, have crossed into northern Lebanon's Akkar "
        "governorate since Friday, a local official said on Wednesday. Aid groups said schools "
        "were being opened as shelters and that more families were waiting at the border "
        "crossings. Reporting by Partner Paper staff.")
OTHER = ("Heavy rain flooded camps in the Bekaa valley overnight, damaging tents and forcing "
         "around 300 families to move to collective shelters, the municipality said, while "
         "schools in the area stayed closed for a second day.")
DAY = datetime(2025, 3, 12, 10, tzinfo=UTC)


def _ingest(factory: sessionmaker[Session], settings: Settings, source: str, text: str,
            url: str | None = None) -> tuple[int, int | None, bool]:
    with factory.begin() as session:
        row = session.scalar(select(Source).where(Source.name == source))
        if row is None:
            row = Source(name=source, kind="manual", params={})
            session.add(row)
            session.flush()
        result = ingest(session, settings, row, NewReport(text=text, url=url, published_at=DAY))
        return result.report.id, result.report.duplicate_of_id, result.created


def test_a_syndicated_copy_is_stored_for_its_outlet_but_counted_once(
        factory: sessionmaker[Session], settings: Settings) -> None:
    first, dup_of, _ = _ingest(factory, settings, "Example Wire", STORY)
    assert dup_of is None
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.estimate == 9000
    sources_before = akkar.sources
    copy, copy_of, created = _ingest(factory, settings, "Partner Paper", COPY)
    assert created and copy != first and copy_of == first
    again = point(factory, "LB-AK", date(2025, 3, 12))
    assert again is not None and again.estimate == 9000 and again.sources == sources_before
    _, third_of, _ = _ingest(factory, settings, "Third Outlet", COPY + " Updated.")
    assert third_of == first, "a copy of a copy points at the first report"
    _, other_of, _ = _ingest(factory, settings, "Partner Paper", OTHER)
    assert other_of is None


def test_the_same_article_under_other_urls_is_the_same_report(
        factory: sessionmaker[Session], settings: Settings) -> None:
    url = "https://www.example-wire.net/world/2025/03/12/akkar?utm_source=rss"
    first, _, _ = _ingest(factory, settings, "Example Wire", STORY, url)
    amp = "https://m.example-wire.net/world/2025/03/12/akkar/amp?fbclid=abc"
    same, _, created = _ingest(factory, settings, "Example Wire", STORY + " (AMP)", amp)
    assert (same, created) == (first, False)
    _, of, created = _ingest(factory, settings, "Aggregator", "Summary: " + STORY[:120],
                                     amp)
    assert created and of == first


def test_an_exact_copy_from_another_source_is_a_duplicate(
        factory: sessionmaker[Session], settings: Settings) -> None:
    first, _, _ = _ingest(factory, settings, "Example Wire", STORY)
    _, of, created = _ingest(factory, settings, "Partner Paper", "  " + STORY.upper())
    assert created and of == first


def test_an_update_from_the_same_outlet_is_not_a_duplicate(
        factory: sessionmaker[Session], settings: Settings) -> None:
    _ingest(factory, settings, "Example Wire", STORY)
    _, of, created = _ingest(factory, settings, "Example Wire",
                                   STORY.replace("9,000", "11,000"))
    assert created and of is None
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.estimate == 11000


def test_syndicated_feed_items_from_two_feeds(web: FakeWeb, factory: sessionmaker[Session],
                                              settings: Settings) -> None:
    def feed(link: str, text: str) -> bytes:
        return (f"<rss version='2.0'><channel><title>f</title><link>https://x.example/</link>"
                f"<description>d</description><item><title>Arrivals in Akkar</title>"
                f"<link>{link}</link><pubDate>Wed, 12 Mar 2025 10:15:00 GMT</pubDate>"
                f"<description>{text}</description></item></channel></rss>").encode()

    wire = add_source(factory, "Wire", "rss", web.route("/wire.xml", reply(
        200, feed("https://wire.example/akkar", STORY))))
    partner = add_source(factory, "Partner", "rss", web.route("/partner.xml", reply(
        200, feed("https://partner.example/news/akkar", COPY))))
    assert run_source(factory, settings, wire, "w").reports_new == 1
    assert run_source(factory, settings, partner, "w").reports_new == 1
    [original] = reports_of(factory, wire)
    [copy] = reports_of(factory, partner)
    assert copy.duplicate_of_id == original.id
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.estimate == 9000
    assert {s["source_id"] for s in akkar.sources} == {wire}


def test_each_report_is_indexed_by_its_bands(factory: sessionmaker[Session],
                                                     settings: Settings) -> None:
    _ingest(factory, settings, "Example Wire", STORY)
    _ingest(factory, settings, "Example Wire", OTHER)
    assert count(factory, dedup.ReportFingerprint) == 2
    with factory() as session:
        per_report = session.execute(select(dedup.ReportBand.report_id,
                                            func.count()).group_by(dedup.ReportBand.report_id))
        assert {n for _, n in per_report} <= {dedup.BANDS}
    a, b = dedup.fingerprint(STORY), dedup.fingerprint(COPY)
    c = dedup.fingerprint(OTHER)
    assert a and b and c
    assert a.similarity(b.signature.tobytes()) >= dedup.THRESHOLD
    assert a.similarity(c.signature.tobytes()) < 0.3
    assert dedup.fingerprint("Too short to judge.") is None


_TOLD = ("Another 1,300 people arrived in Lebanon's Akkar governorate on Wednesday from the "
         "coastal governorates of Latakia and Tartus, a local official said. Aid groups said "
         "schools were being opened as shelters, that more families were waiting at the border "
         "crossings, and that food and blankets were running short in the villages near the "
         "river, where most of the newcomers had found rooms with relatives.")
ARRIVALS = "AKKAR - " + _TOLD
ARRIVALS_COPY = "(Partner Paper) " + _TOLD + " Reporting by staff."


def test_a_copy_in_the_same_batch_as_its_original_is_linked_and_counted_once(
        factory: sessionmaker[Session], settings: Settings) -> None:
    # an aggregator's feed brings the wire story and a partner's copy in one fetch: arrivals
    # add up, so a copy counted twice would make 2,600
    with factory.begin() as session:
        feed = Source(name="Aggregator", kind="manual", params={})
        session.add(feed)
        session.flush()
        results = ingest_many(session, settings, feed, [
            check(settings, NewReport(text=text, url=url, published_at=DAY))
            for text, url in ((ARRIVALS, "https://wire.example/a"), (OTHER, None),
                              (ARRIVALS_COPY, "https://partner.example/b"),
                              (ARRIVALS_COPY + " Updated.", "https://third.example/c"))])
        ids = [(r.report.id, r.report.duplicate_of_id, r.created) for r in results]
    (first, first_of, _), (_, other_of, _), (copy, copy_of, copied), (_, third_of, _) = ids
    assert first_of is None and other_of is None
    assert copied and copy != first and copy_of == first
    assert third_of == first, "a copy of a copy in the batch points at the first telling"
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.new_arrivals == 1300 and akkar.estimate == 1300
    assert [s["figure_id"] for s in akkar.sources] == [
        f.id for f in figures_of(factory) if f.report_id == first]
    # the same batch again changes nothing; a copy arriving in a later batch links as before
    with factory.begin() as session:
        feed = session.scalars(select(Source).where(Source.name == "Aggregator")).one()
        again = ingest_many(session, settings, feed, [
            check(settings, NewReport(text=ARRIVALS_COPY, url="https://partner.example/b",
                                      published_at=DAY))])
        assert not again[0].created and again[0].report.id == copy
    _, later_of, _ = _ingest(factory, settings, "Late Outlet", ARRIVALS_COPY + " More.")
    assert later_of == first
    akkar = point(factory, "LB-AK", date(2025, 3, 12))
    assert akkar is not None and akkar.new_arrivals == 1300


def test_near_duplicates_within_a_batch_need_the_similarity_threshold() -> None:
    prints = {i: p for i, text in enumerate((ARRIVALS, OTHER, ARRIVALS_COPY, STORY))
              if (p := dedup.fingerprint(text)) is not None}
    assert dedup.copies_within(prints) == {2: 0}


def test_a_fingerprint_is_datasketchs_minhash_of_the_shingles() -> None:
    # signatures stored by earlier versions were datasketch's: new ones must compare with them
    from datasketch import MinHash

    words = ["camp", "fled", "Akkar", "نزوح", "déplacés", "9,000", "the", "of"]
    rng = random.Random(7)
    texts = [STORY, COPY, OTHER] + [" ".join(rng.choices(words, k=n)) for n in (20, 60, 300)]
    for text in texts:
        print_ = dedup.fingerprint(text)
        assert print_ is not None
        reference = MinHash(num_perm=dedup.NUM_PERM, seed=7)
        reference.update_batch([g.encode() for g in dedup.shingles(text)])
        assert print_.signature.tobytes() == reference.hashvalues.astype("uint32").tobytes()
    assert dedup.fingerprint("too few words to compare") is None
