"""The countries a report is about, read from its names and country adjectives, decide which of
same-named places it means."""

from __future__ import annotations

import pytest

from app.extract import extract
from app.extract import places as pl
from app.extract.lexicon import every
from app.extract.text import fold
from app.gazetteer.index import load_gazetteer


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("the Libyan Red Crescent said", "LY"),
        ("Syrian refugees", "SY"),
        ("Ethiopian authorities", "ET"),
        ("Venezuelan migrants", "VE"),
        ("Sudanese families", "SD"),
        ("Ivorian officials", "CI"),
        ("Mauritanian officials", "MR"),
        ("Dominican authorities", "DO"),
    ],
)
def test_a_country_adjective_names_its_country(text: str, country: str) -> None:
    # "Libyan" is "Libya" and an "n", not the plural of a name
    scan = pl.scan(fold(text), text, load_gazetteer(), every())
    assert scan.context[country] == 1, scan.context


def test_the_adjective_picks_the_homonym() -> None:
    text = "About 3,000 people have fled Tripoli since Friday, the Libyan Red Crescent said."
    [figure] = extract(text, lang="en")
    assert figure.origin is not None and figure.origin.country == "LY"
