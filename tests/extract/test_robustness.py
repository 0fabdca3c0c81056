"""Any text returns, never raises, and in time linear in its length."""

from __future__ import annotations

import time
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extract import extract

PIECES = ["10,000", "1.5 million", "fled", "to", "Lebanon", "the", "base", "there", "killed",
          "آلاف", "نزح", "إلى", "لبنان", "plus de", "réfugiés", ".", ",", "-", "\u00a0", "'s",
          "12 000", "k+", "between", "and", "hundreds of", "families", "\n", "ّ", "İ"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_unicode_returns(text: str) -> None:
    assert isinstance(extract(text, date(2025, 3, 12)), list)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join))
def test_figure_like_noise_returns_valid_figures(text: str) -> None:
    for f in extract(text, None):
        d = f.to_contract()
        assert d["count"] >= 0
        a, b = d["span"]
        assert 0 <= a < b <= len(text)


def test_non_text_input_gives_nothing() -> None:
    for bad in (None, 12, b"10,000 fled to Lebanon", ["x"]):
        assert extract(bad) == []  # type: ignore[arg-type]


def _timed(text: str) -> float:
    t0 = time.perf_counter()
    extract(text, date(2025, 3, 12))
    return time.perf_counter() - t0


def test_one_megabyte_of_adversarial_text_is_linear() -> None:
    # long runs that trip backtracking regexes: digits and separators, dots, capitals,
    # trigger words without sentence ends, Arabic with vowel marks
    blobs = [
        ("1," * 500_000),
        ("1 0" * 350_000),
        ("fled " * 200_000),
        ("Lebanon " * 130_000),
        ("A. " * 350_000),
        ("نزّح " * 200_000),
        ("10,000 people fled to Lebanon " * 35_000),
        ("10,000 people fled to Lebanon. The base there hosts 5,000 refugees. " * 15_000),
    ]
    for blob in blobs:
        assert _timed(blob) < 30.0  # a guard against blow-ups, not a benchmark
