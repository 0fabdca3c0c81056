"""Bounded output: at most 200 figures a report, a figure said twice in one sentence once,
quotes of at most 400 characters around their number; a 1 MB hostile report answers small
and fast."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from app.extract import extract
from app.extract.core import MAX_FIGURES, MAX_QUOTE

PUB = date(2025, 3, 12)
MB = 1_000_000


def _answer(text: str) -> tuple[list[dict[str, object]], float]:
    extract("warm-up: 10 people fled to Chad.", PUB)  # the gazetteer loads once
    t0 = time.process_time()
    figs = [f.to_contract() for f in extract(text, PUB, "en")]
    return figs, time.process_time() - t0


@pytest.mark.parametrize(
    "unit",
    [
        "More than {n} refugees fled to Chad on Saturday. ",            # many sentences
        "{n} refugees fled to Chad, ",                                  # one endless sentence
        "{n} people fled to Adré; ",                                    # clause after clause
        "نزح {n} شخص إلى لبنان. ",                                      # Arabic
    ],
)
def test_a_megabyte_of_figures_gives_a_small_answer_fast(unit: str) -> None:
    parts: list[str] = []
    size = 0
    n = 1000
    while size < MB:
        part = unit.format(n=f"{n:,}")
        parts.append(part)
        size += len(part)
        n += 1
    figs, seconds = _answer("".join(parts))
    assert 0 < len(figs) <= MAX_FIGURES
    assert all(len(str(f["quote"])) <= MAX_QUOTE for f in figs)
    assert len(json.dumps(figs)) < MAX_FIGURES * 2 * MAX_QUOTE
    assert seconds < 5, seconds


def test_a_megabyte_without_figures_is_read_fast() -> None:
    text = ("Officials said 10,000 tents were delivered and 300 people were killed. " * 15000)
    figs, seconds = _answer(text[:MB])
    assert figs == []
    assert seconds < 5, seconds


def test_a_figure_said_twice_in_one_sentence_comes_out_once() -> None:
    text = "About 5,000 people fled to Chad, and about 5,000 people fled to Chad."
    assert [f.count for f in extract(text, PUB)] == [5000]


def test_the_same_count_for_two_places_stays_two_figures() -> None:
    text = "About 5,000 people fled to Chad, while 5,000 others fled to Uganda."
    got = sorted(f.destination.country for f in extract(text, PUB) if f.destination)
    assert got == ["TD", "UG"]


def test_a_long_sentence_is_quoted_around_its_number() -> None:
    filler = "after weeks of shelling that destroyed markets, schools and clinics " * 8
    text = f"In the hills, {filler}, more than 12,345 people fled to Chad, {filler}."
    (f,) = extract(text, PUB)
    assert len(f.quote) <= MAX_QUOTE
    assert "12,345" in f.quote
    assert f.quote in text
    assert text[f.span[0]:f.span[1]] == "12,345"
