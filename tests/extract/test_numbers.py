"""Amounts in every form news writes them."""

from __future__ import annotations

import pytest

from app.extract.numbers import find_amounts, parse_digits
from app.extract.text import fold, tokenize


def amounts(s: str) -> list[tuple[int, int | None, int | None, str | None]]:
    toks = tokenize(fold(s), s, 0, len(s))
    return [(a.value, a.low, a.high, a.vague) for a in find_amounts(toks)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10,000 people", 10000),
        ("10 000 people", 10000),
        ("10\u00a0000 people", 10000),
        ("10\u202f000 people", 10000),
        ("10.000 Menschen", 10000),
        ("12000 people", 12000),
        ("10k people", 10000),
        ("10k+ people", 10000),
        ("1.2 million people", 1200000),
        ("2.5m people", 2500000),
        ("2,5 millions de personnes", 2500000),
        ("ten thousand people", 10000),
        ("twelve hundred families", 1200),
        ("twenty-five hundred people", 2500),
        ("some three thousand people", 3000),
        ("a thousand people", 1000),
        ("١٢٠٠٠ شخص", 12000),
        ("٥٠٠٠ شخص", 5000),
        ("10 آلاف شخص", 10000),
        ("عشرة آلاف شخص", 10000),
        ("dix mille personnes", 10000),
    ],
)
def test_number_forms(text: str, value: int) -> None:
    assert amounts(text)[0][0] == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dozens of people", (24, 24, 99, "dozens")),
        ("hundreds of people", (200, 200, 999, "hundreds")),
        ("several hundred people", (200, 200, 999, "hundreds")),
        ("a few thousand people", (2000, 2000, 9999, "thousands")),
        ("tens of thousands of people", (20000, 20000, 99999, "tens_of_thousands")),
        ("hundreds of thousands of people", (200000, 200000, 999999, "hundreds_of_thousands")),
        ("millions of people", (2000000, 2000000, 9999999, "millions")),
        ("des centaines de familles", (200, 200, 999, "hundreds")),
        ("des milliers de personnes", (2000, 2000, 9999, "thousands")),
        ("مئات العائلات", (200, 200, 999, "hundreds")),
        ("آلاف النازحين", (2000, 2000, 9999, "thousands")),
        ("عشرات الآلاف", (20000, 20000, 99999, "tens_of_thousands")),
    ],
)
def test_vague_amounts(text: str, expected: tuple[int, int, int, str]) -> None:
    assert amounts(text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5,000 to 7,000 people", (5000, 5000, 7000, None)),
        ("between 5,000 and 7,000 people", (5000, 5000, 7000, None)),
        ("5,000-7,000 people", (5000, 5000, 7000, None)),
        ("5 to 7 thousand people", (5000, 5000, 7000, None)),
    ],
)
def test_ranges(text: str, expected: tuple[int, int, int, None]) -> None:
    assert amounts(text)[0] == expected


def test_parse_digits_styles() -> None:
    assert parse_digits("1,234,567") == 1234567
    assert parse_digits("1.5") == 1.5
    assert parse_digits("2,5") == 2.5
    assert parse_digits("1.2.3") is None


def test_a_lone_decimal_is_no_headcount() -> None:
    assert amounts("a rate of 1.5 per family") == []
