"""The language of a report and of each sentence comes from the lexicons' own words; a word
plays only its own language's roles."""

from __future__ import annotations

from datetime import date

from app.extract import extract, language
from app.extract.text import fold, tokenize

PUB = date(2025, 3, 12)


def sentence_language(text: str, report: str) -> str:
    return language.of_sentence({t.norm for t in tokenize(fold(text), text, 0, len(text))},
                                report)


def report_language(text: str, hint: str | None) -> str:
    return language.of_report({w.encode() for w in fold(text).split()}, hint)


def test_reports_are_told_apart() -> None:
    assert report_language("Thousands of people have fled to the north of the country.",
                           None) == "en"
    assert report_language("Des milliers de personnes ont fui vers le nord du pays.",
                           None) == "fr"
    assert report_language("Miles de personas huyeron hacia el norte del país.", None) == "es"
    assert report_language("Tausende Menschen sind in den Norden des Landes geflohen.",
                           None) == "de"
    assert report_language("نزح آلاف الأشخاص إلى شمال البلاد.", None) == "ar"


def test_a_wrong_lang_is_overruled_and_a_right_one_kept() -> None:
    assert report_language("Miles de personas huyeron hacia el norte del país.", "fr") == "es"
    assert report_language("Plus de 5 000 personnes sont arrivées au Tchad.", "fr") == "fr"
    # no telling word at all: the stated language stands
    assert report_language("UNHCR 5000", "fr") == "fr"


def test_each_sentence_of_a_mixed_report() -> None:
    assert sentence_language("Más de 5.000 personas han llegado a Colombia desde el lunes.",
                             "en") == "es"
    assert sentence_language("نزح أكثر من 5 آلاف شخص إلى لبنان", "en") == "ar"
    # a name in another language does not switch the sentence
    assert sentence_language("About 3,000 people reached Puerto Rico.", "en") == "en"


def test_german_die_is_an_article_not_a_death_word() -> None:
    figs = extract("Mehr als 9.000 Menschen sind in die Türkei geflohen.", PUB, "de")
    assert [(f.count, f.qualifier) for f in figs] == [(9000, "more_than")]
    # ... while in English "die" is
    assert extract("Up to 9,000 people could die in camps in Chad.", PUB, "en") == []


def test_a_mixed_report_reads_each_sentence_in_its_language() -> None:
    text = ("UNHCR update. More than 2,000 refugees arrived in Chad on Saturday. "
            "Selon le HCR, plus de 3 000 réfugiés sont arrivés au Tchad en une semaine.")
    got = sorted((f.count, f.qualifier, f.destination.country if f.destination else None)
                 for f in extract(text, PUB, "en"))
    assert got == [(2000, "more_than", "TD"), (3000, "more_than", "TD")]
