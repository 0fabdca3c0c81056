"""Vocabulary filled in the lexicon files: each case a phrasing the word lists once missed."""

from __future__ import annotations

from datetime import date

import pytest

from app.extract import extract
from app.extract.lexicon import load
from app.extract.numbers import find_amounts
from app.extract.text import fold, tokenize

PUB = date(2025, 3, 12)


@pytest.mark.parametrize(
    ("text", "count", "iso"),
    [
        ("Le camp de Farchana, au Tchad, héberge désormais 50 000 réfugiés.", 50000, "TD"),
        ("Le Niger accueille près de 30 000 demandeurs d'asile maliens.", 30000, "NE"),
        ("Quelque 2 500 personnes ont quitté leurs villages pour le Niger.", 2500, "NE"),
        ("Plus de 9 000 personnes ont fui au Burundi, portant à près de 40 000 le nombre "
         "d'arrivées depuis janvier.", 40000, "BI"),
        ("Selon l'ONU, 41 000 Rohingyas se sont réfugiés au Bangladesh.", 41000, "BD"),
    ],
)
def test_french_vocabulary(text: str, count: int, iso: str) -> None:
    got = {f.count: f for f in extract(text, PUB, "fr")}
    assert count in got, list(got)
    dest = got[count].destination
    assert dest is not None and dest.country == iso


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("La République dominicaine a rapatrié de force 30 000 Haïtiens.", "fr"),
        ("Authorities deported 12,000 migrants to Honduras last month.", "en"),
        ("The country expelled 5,000 refugees to Afghanistan.", "en"),
        ("Un camp de 14 000 abris pour 40 000 personnes sera construit au Bangladesh.", "fr"),
    ],
)
def test_deportations_and_capacities_are_no_figures(text: str, lang: str) -> None:
    assert extract(text, PUB, lang) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("نزح 30 ألفاً و76 شخصاً", 30076),
        ("بلغ 43 ألفاً و800 شخص", 43800),
    ],
)
def test_arabic_number_rest_after_its_scale(text: str, value: int) -> None:
    toks = tokenize(fold(text), text, 0, len(text))
    assert [a.value for a in find_amounts(toks, load("ar"))] == [value]


def test_arabic_range_of_two_scaled_numbers_stays_a_range() -> None:
    text = "ما بين 10 آلاف و12 ألف نازح"
    toks = tokenize(fold(text), text, 0, len(text))
    (a,) = find_amounts(toks, load("ar"))
    assert (a.value, a.low, a.high) == (10000, 10000, 12000)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("The arrivals bring to 57,000 the number of Sudanese who have fled to Chad.", 57000),
        ("The government put the number of people who have arrived in Armenia at 10,417.",
         10417),
        ("La Defensoría elevó a 48.000 la cifra de personas que huyeron a Colombia.", 48000),
    ],
)
def test_a_statistic_noun_counting_people_who_moved(text: str, count: int) -> None:
    assert count in [f.count for f in extract(text, PUB)]


def test_a_statistic_noun_counting_something_else_is_no_figure() -> None:
    assert extract("Officials put the number of schools used as shelters in Chad at 4,000.",
                   PUB, "en") == []


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Plus de 40 000 personnes ont fui le Soudan vers l'Égypte.", "EG"),
        ("Quelque 12 000 réfugiés burkinabè sont arrivés en Côte d'Ivoire.", "CI"),
        ("Environ 3 000 réfugiés ont été enregistrés au point d'entrée d'Adré.", "TD"),
        ("Plus de 5 000 personnes ont fui en direction de l'Ouganda.", "UG"),
    ],
)
def test_a_name_after_an_elided_article(text: str, iso: str) -> None:
    (f,) = extract(text, PUB, "fr")
    assert f.destination is not None and f.destination.country == iso
