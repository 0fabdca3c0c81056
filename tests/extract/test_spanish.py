"""Spanish, added as a language file (app/extract/lexicon/es.toml): numbers in Spanish style,
vague amounts, displacement verbs and nouns, prepositions by role, and words that reject."""

from __future__ import annotations

from datetime import date

import pytest

from app.extract import ExtractedFigure, extract
from app.extract.lexicon import load
from app.extract.numbers import find_amounts
from app.extract.text import fold, tokenize

PUB = date(2025, 2, 10)


def figs(text: str, lang: str | None = "es") -> list[ExtractedFigure]:
    return extract(text, PUB, lang)


def one(text: str, lang: str | None = "es") -> ExtractedFigure:
    got = figs(text, lang)
    assert len(got) == 1, [f.to_contract() for f in got]
    return got[0]


def country(f: ExtractedFigure) -> str | None:
    return None if f.destination is None else f.destination.country


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("15.000 personas", 15000),
        ("1,5 millones de personas", 1_500_000),
        ("2.4 millones de refugiados", 2_400_000),
        ("12 mil familias", 12000),
        ("seis mil personas", 6000),
        ("doscientos cincuenta mil desplazados", 250000),
        ("treinta y cinco mil personas", 35000),
        ("un millón de personas", 1_000_000),
    ],
)
def test_spanish_numbers(words: str, value: int) -> None:
    toks = tokenize(fold(words), words, 0, len(words))
    assert find_amounts(toks, load("es"))[0].value == value


@pytest.mark.parametrize(
    ("text", "count", "qualifier", "iso"),
    [
        ("Unas 3.000 personas huyeron a Colombia tras los combates.", 3000, "about", "CO"),
        ("Más de 8.000 desplazados llegaron a Honduras en una semana.", 8000, "more_than", "HN"),
        ("Al menos 1.200 familias se refugiaron en Guatemala.", 1200, "at_least", "GT"),
        ("Cerca de 40.000 refugiados viven en albergues de Panamá.", 40000, "about", "PA"),
        ("Casi 2.000 migrantes cruzaron hacia Costa Rica.", 2000, "about", "CR"),
        ("Unos 900 venezolanos ingresaron en Ecuador por el puente.", 900, "about", "EC"),
    ],
)
def test_spanish_figures(text: str, count: int, qualifier: str, iso: str) -> None:
    f = one(text)
    assert (f.count, f.qualifier, f.unit) == (count, qualifier, f.unit)
    assert country(f) == iso


def test_origin_is_no_destination() -> None:
    f = one("Unas 5.000 personas huyeron desde Venezuela hacia Colombia.")
    assert country(f) == "CO"
    assert f.origin is not None and f.origin.country == "VE"


@pytest.mark.parametrize(
    ("text", "vague"),
    [
        ("Miles de personas huyeron a Colombia.", "thousands"),
        ("Cientos de familias se refugiaron en Honduras.", "hundreds"),
        ("Decenas de miles de desplazados llegaron a Guatemala.", "tens_of_thousands"),
    ],
)
def test_spanish_vague_amounts(text: str, vague: str) -> None:
    f = one(text)
    assert f.qualifier == "vague"
    assert (f.low, f.high) == {"thousands": (2000, 9999), "hundreds": (200, 999),
                               "tens_of_thousands": (20000, 99999)}[vague]


def test_range_between() -> None:
    f = one("Cada día llegan a Panamá entre 500 y 800 migrantes.")
    assert (f.count, f.low, f.high, f.kind) == (500, 500, 800, "new")


def test_period_makes_a_flow() -> None:
    assert one("En las últimas 48 horas, 2.500 personas huyeron a Honduras.").kind == "new"
    assert one("Unas 70.000 personas permanecen desplazadas en Colombia.").kind == "total"


@pytest.mark.parametrize(
    "text",
    [
        "Al menos 80 personas murieron y 120 resultaron heridas en Colombia.",
        "Las autoridades deportaron a 3.000 migrantes a Honduras.",
        "El gobierno desmintió que 20.000 venezolanos hubieran cruzado a Colombia.",
        "Unas 5.000 personas regresaron a sus hogares en Guatemala.",
        "La ciudad, de 300.000 habitantes, acoge a los desplazados.",
    ],
)
def test_spanish_non_figures(text: str) -> None:
    assert figs(text) == []


def test_a_statistic_noun_after_the_number() -> None:
    f = one("La Defensoría elevó a 48.000 la cifra de desplazados en Colombia.")
    assert (f.count, country(f)) == (48000, "CO")


def test_a_verb_before_its_object() -> None:
    f = one("Colombia acoge a unos 2.000 refugiados.")
    assert (f.count, f.qualifier, country(f)) == (2000, "about", "CO")


def test_an_organisation_name_is_no_death_word() -> None:
    f = one("Unas 34.000 personas siguen desplazadas en Colombia, según la Unidad para las "
            "Víctimas.")
    assert f.count == 34000


def test_spanish_is_detected_without_lang() -> None:
    f = one("Más de 5.000 personas han llegado a Colombia huyendo de los enfrentamientos.",
            lang=None)
    assert (f.count, f.qualifier, country(f)) == (5000, "more_than", "CO")


@pytest.mark.parametrize(
    ("text", "count", "iso"),
    [
        ("Mientras tanto, cerca de 1.500 cruzaron a Venezuela.", 1500, "VE"),
        ("Otros 700 huyeron hacia Honduras durante la noche.", 700, "HN"),
        ("Cientos se dirigieron a Guatemala tras el ataque.", 200, "GT"),
    ],
)
def test_a_figure_without_its_noun(text: str, count: int, iso: str) -> None:
    f = one(text)
    assert (f.count, f.unit, country(f)) == (count, "people", iso)
