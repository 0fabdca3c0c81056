"""Annotated cases for rules that must carry over to unseen crises and outlets: regions of a
country, Arabic vague amounts used as nouns, relative clauses, partitions, hedged past
estimates, and nationality adjectives after the noun. Several phrasings per phenomenon."""

from __future__ import annotations

from datetime import date

import pytest

from app.extract import ExtractedFigure, extract

PUB = date(2024, 6, 3)


def figs(text: str) -> list[ExtractedFigure]:
    return extract(text, PUB)


def one(text: str) -> ExtractedFigure:
    got = figs(text)
    assert len(got) == 1, [f.to_contract() for f in got]
    return got[0]


def dest_country(f: ExtractedFigure) -> str | None:
    return None if f.destination is None else f.destination.country


# -- 1. a region of a country is the country (or its admin1 of that name) ---------------------
@pytest.mark.parametrize(
    ("text", "count", "country"),
    [
        ("Quelque 60 000 réfugiés sont arrivés dans l'est du Tchad depuis avril.", 60000, "TD"),
        ("Plus de 20 000 personnes ont fui vers le nord du Liban.", 20000, "LB"),
        ("Environ 4 000 familles se sont réfugiées à l'ouest du Soudan.", 4000, "SD"),
        ("Plus de 25 000 personnes ont fui vers le nord-est du Nigeria.", 25000, "NG"),
        ("More than 60,000 refugees have arrived in eastern Chad since April.", 60000, "TD"),
        ("About 8,000 people have fled to the east of Chad.", 8000, "TD"),
        ("Nearly 9,000 people fled to western Ukraine last week.", 9000, "UA"),
        ("About 2,000 people fled to the far north of Cameroon.", 2000, "CM"),
        ("وصل أكثر من 10 آلاف لاجئ إلى شرق تشاد.", 10000, "TD"),
        ("نزح 5000 شخص إلى شمال لبنان.", 5000, "LB"),
        ("فر نحو 3 آلاف شخص إلى غرب السودان.", 3000, "SD"),
    ],
)
def test_region_of_country(text: str, count: int, country: str) -> None:
    f = one(text)
    assert (f.count, dest_country(f)) == (count, country)


@pytest.mark.parametrize(
    "text",
    [
        "Some 12,000 people fled to northern Lebanon this week.",
        "Plus de 20 000 personnes ont fui vers le nord du Liban.",
        "نزح 5000 شخص إلى شمال لبنان.",
    ],
)
def test_region_named_in_gazetteer_is_admin1(text: str) -> None:
    f = one(text)
    assert f.destination is not None
    assert (f.destination.id, f.destination.level) == ("LB-AS", "admin1")


@pytest.mark.parametrize(
    ("text", "count", "country"),
    [
        ("Le Liban est frappé. Plus de 5 000 familles se sont réfugiées dans le sud du pays.",
         5000, "LB"),
        ("Au Soudan, la guerre continue. Plus de 10 000 personnes ont fui vers l'est du pays.",
         10000, "SD"),
        ("Fighting in Lebanon continues. Some 4,000 families have fled to the south of the "
         "country.", 4000, "LB"),
        ("تتواصل الغارات على لبنان. نزح أكثر من ألفي شخص إلى جنوب البلاد.", 2000, "LB"),
        ("اشتد القتال في السودان. فر نحو 5 آلاف شخص إلى شرق البلاد.", 5000, "SD"),
    ],
)
def test_region_of_the_country_named_earlier(text: str, count: int, country: str) -> None:
    f = one(text)
    assert (f.count, dest_country(f)) == (count, country)


# -- 3. Arabic vague amounts as nouns after the verb --------------------------------------------
@pytest.mark.parametrize(
    ("text", "vague", "country"),
    [
        ("لجأ عشرات الآلاف إلى رفح.", "tens_of_thousands", "PS"),
        ("فر الآلاف من الفاشر إلى طويلة.", "thousands", "SD"),
        ("نزح المئات إلى خان يونس خلال الليل.", "hundreds", "PS"),
        ("وفر آلاف إلى أدري خلال الأسبوع الماضي.", "thousands", "TD"),
        ("نزحت مئات الآلاف إلى جنوب السودان.", "hundreds_of_thousands", "SS"),
    ],
)
def test_arabic_vague_amount_as_noun(text: str, vague: str, country: str) -> None:
    f = one(text)
    assert f.qualifier == "vague"
    assert dest_country(f) == country


@pytest.mark.parametrize(
    "text",
    [
        "قتل العشرات في القصف على رفح.",
        "عاد الآلاف إلى منازلهم في خان يونس.",
        "وصل عدد القتلى إلى 500.",
    ],
)
def test_arabic_verbs_of_other_things_give_no_figure(text: str) -> None:
    assert figs(text) == []


# -- 4. relative clauses: the destination is the antecedent of where / où / حيث ----------------
@pytest.mark.parametrize(
    ("text", "count", "country", "place"),
    [
        ("Thousands more fled to Adre, where more than 400,000 refugees already live.",
         400000, "TD", "Adré"),
        ("Many fled to Tawila, where 300,000 people have taken refuge.", 300000, "SD",
         "Tawila"),
        ("Families headed for Rafah, where more than a million displaced people are "
         "sheltering.", 1_000_000, "PS", "Rafah"),
        ("Ils ont rejoint Goma, où plus de 200 000 déplacés vivent déjà dans des camps.",
         200000, "CD", "Goma"),
        ("وصل الفارون إلى رفح حيث يحتمي أكثر من مليون نازح.", 1_000_000, "PS", "Rafah"),
    ],
)
def test_relative_clause_antecedent(text: str, count: int, country: str, place: str) -> None:
    got = [f for f in figs(text) if f.count == count]
    assert len(got) == 1
    assert got[0].destination is not None
    assert (got[0].destination.country, got[0].destination.name) == (country, place)


def test_relative_clause_without_displacement_is_a_population() -> None:
    assert figs("The delegation visited Adre, where 40,000 people live.") == []


def test_relative_clause_without_noun_needs_already() -> None:
    text = "Thousands fled to Adre, where more than 400,000 already live."
    assert [(f.count, dest_country(f)) for f in figs(text)] == [(2000, "TD"), (400000, "TD")]


def test_trapped_is_no_displacement() -> None:
    assert figs("Residents fled El Fasher, where 10,000 people remain trapped.") == []


# -- 5. partitions: the whole keeps its own (often null) destination ---------------------------
@pytest.mark.parametrize(
    "text",
    [
        "500,000 have fled to neighbouring countries; 281,000 of them went to Poland.",
        "Some 500,000 refugees have crossed into neighbouring countries, of whom 281,000 went "
        "to Poland.",
        "Plus de 500 000 personnes ont fui, dont 281 000 en Pologne.",
        "فر 500 ألف شخص، منهم 281 ألفا إلى بولندا.",
    ],
)
def test_partition(text: str) -> None:
    got = [(f.count, dest_country(f)) for f in figs(text)]
    assert got == [(500000, None), (281000, "PL")]


@pytest.mark.parametrize(
    "text",
    [
        "Some 500,000 people, including 200,000 children, have fled to Poland.",
        "Plus de 500 000 personnes, dont 200 000 enfants, ont fui vers la Pologne.",
        "About 500,000 people have fled into Poland, among them 200,000 children.",
    ],
)
def test_a_demographic_breakdown_is_no_second_figure(text: str) -> None:
    # issue 10 item 5: "including 200,000 children" breaks the figure down (CONTRACT.md)
    got = [(f.count, dest_country(f)) for f in figs(text)]
    assert got == [(500000, "PL")]


def test_part_of_a_death_toll_is_no_figure() -> None:
    text = "The monitor counted 132 civilians killed on Monday, 72 of them in Tartus."
    assert figs(text) == []


# -- 6. hedged past estimates are figures, futures and risks are not -------------------------
@pytest.mark.parametrize(
    ("text", "count", "qualifier"),
    [
        ("Up to a million people may have been displaced by the fighting.", 1_000_000,
         "up_to"),
        ("As many as 20,000 people could have fled to Chad.", 20000, "up_to"),
        ("More than 3,000 people might have crossed into Uganda over the weekend.", 3000,
         "more_than"),
        ("Jusqu'à un million de personnes pourraient avoir été déplacées.", 1_000_000,
         "up_to"),
        ("Plus d'un million de personnes ont fui vers la Pologne.", 1_000_000, "more_than"),
    ],
)
def test_hedged_past(text: str, count: int, qualifier: str) -> None:
    f = one(text)
    assert (f.count, f.qualifier) == (count, qualifier)


@pytest.mark.parametrize(
    "text",
    [
        "Up to 50,000 people could flee to Chad if fighting continues.",
        "Some 10,000 people may be forced to flee.",
        "About 30,000 people risk being displaced.",
        "Some 5,000 refugees are expected to arrive in Renk.",
        "Jusqu'à 100 000 personnes pourraient fuir vers le Tchad.",
    ],
)
def test_future_and_risk_are_no_figure(text: str) -> None:
    assert figs(text) == []


# -- 7. a nationality adjective after the noun is the origin, not the destination -------------
@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Quelque 60 000 réfugiés soudanais sont arrivés dans l'est du Tchad.", "TD"),
        ("Quelque 60 000 réfugiés soudanais sont arrivés depuis avril.", None),
        ("Plus de 8 000 réfugiés congolais sont arrivés en Ouganda cette semaine.", "UG"),
        ("Des milliers de réfugiés syriens ont fui vers le Liban.", "LB"),
        ("Environ 15 000 déplacés ukrainiens ont été enregistrés en Moldavie.", "MD"),
    ],
)
def test_nationality_after_noun_is_no_destination(text: str, country: str | None) -> None:
    assert dest_country(one(text)) == country


# -- 2. well-known destinations, landing points and crossings in sentences --------------------
@pytest.mark.parametrize(
    ("text", "count", "country", "place"),
    [
        ("More than 7,000 migrants arrived on Lampedusa in 48 hours.", 7000, "IT", "Lampedusa"),
        ("Some 12,000 asylum seekers are stranded on Lesbos.", 12000, "GR", "Lesbos"),
        ("Over 500 migrants landed in the Canary Islands on Sunday.", 500, "ES",
         "Canary Islands"),
        ("Plus de 1 000 migrants sont arrivés aux Canaries ce week-end.", 1000, "ES",
         "Canary Islands"),
        ("More than 500,000 people crossed the Darién Gap last year.", 500000, "PA",
         "Darién Gap"),
        ("About 30,000 people are sheltering at Al-Shifa hospital in Gaza City.", 30000, "PS",
         "Al-Shifa hospital"),
        ("Some 50,000 displaced people have taken refuge at Nasser hospital in Khan Younis.",
         50000, "PS", "Nasser hospital"),
        ("Nearly 700,000 displaced people are sheltering in UNRWA schools.", 700000, "PS",
         "Gaza Strip"),
        ("لجأ نحو 50 ألف نازح إلى مستشفى الشفاء.", 50000, "PS", "Al-Shifa hospital"),
        ("نزح 3000 شخص إلى خانيونس.", 3000, "PS", "Khan Younis"),
        ("More than 20,000 refugees have arrived at Um Rakuba camp.", 20000, "SD",
         "Um Rakuba camp"),
        ("Some 8,000 people fled through the Joda crossing.", 8000, "SS", "Joda crossing"),
        ("Some 2,000 people crossed at Kerem Shalom.", 2000, "IL", "Kerem Shalom crossing"),
        ("Plus de 100 000 personnes ont fui vers Zaporijia.", 100000, "UA", "Zaporizhzhia"),
        ("نزح أكثر من 10 آلاف شخص إلى كوستي.", 10000, "SD", "Kosti"),
        ("Plus de 4 000 personnes ont fui vers Les Cayes.", 4000, "HT", "Les Cayes"),
        ("Some 2,000 people have sought refuge in Ain al-Hilweh camp.", 2000, "LB",
         "Ain al-Hilweh camp"),
        ("Some 9,000 people are staying in Lushagala camp.", 9000, "CD", "Lushagala camp"),
    ],
)
def test_known_destinations_in_sentences(text: str, count: int, country: str,
                                         place: str) -> None:
    f = one(text)
    assert f.destination is not None
    assert (f.count, f.destination.country, f.destination.name) == (count, country, place)


@pytest.mark.parametrize(
    "text",
    [
        "More than 5,000 people crossed the Syrian border into Lebanon.",
        "Some 3,000 refugees crossed from Sudan into Chad on Monday.",
    ],
)
def test_crossing_a_country_border_is_no_destination_there(text: str) -> None:
    f = one(text)
    assert dest_country(f) in ("LB", "TD")


def test_strikes_on_a_place_make_it_no_destination() -> None:
    f = one("Israeli strikes on Rafah forced 100,000 people to flee to Al-Mawasi.")
    assert f.destination is not None and f.destination.name == "Al-Mawasi"


# -- deaths beside displacement, populations beside displacement ------------------------------
@pytest.mark.parametrize(
    ("text", "count", "country"),
    [
        ("Some 3,500 people have been killed and 15,000 displaced in eastern DRC.", 15000,
         "CD"),
        ("Plus de 300 morts et 20 000 déplacés dans le Nord-Kivu.", 20000, "CD"),
        ("Fighting killed 12 civilians and uprooted 6,000 others in Ituri.", 6000, "CD"),
    ],
)
def test_displaced_after_a_death_toll(text: str, count: int, country: str) -> None:
    f = one(text)
    assert (f.count, dest_country(f)) == (count, country)


def test_wounded_after_a_death_toll_is_no_figure() -> None:
    assert figs("At least 40 people were killed and 2,000 wounded near Goma.") == []


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("About 250,000 people live in the town, which has received 40,000 displaced people "
         "since January.", [40000]),
        ("Environ 80 000 personnes habitent la ville, qui accueille 12 000 déplacés.", [12000]),
        ("About 10,000 displaced people live in Rafah.", [10000]),
        ("An estimated 10,000 people are now living in makeshift shelters in Rafah.", [10000]),
    ],
)
def test_population_verbs(text: str, counts: list[int]) -> None:
    assert [f.count for f in figs(text)] == counts


@pytest.mark.parametrize(
    ("text", "count", "country"),
    [
        ("Hundreds of thousands may have fled to Tawila, aid groups said.", 200000, "SD"),
        ("About 12,000 may have crossed into Chad.", 12000, "TD"),
        ("نزح عشرات الآلاف من سكان رفح إلى المواصي.", 20000, "PS"),
    ],
)
def test_hedged_and_verb_first_without_noun(text: str, count: int, country: str) -> None:
    f = one(text)
    assert (f.count, dest_country(f)) == (count, country)


def test_arabic_population_stays_no_figure() -> None:
    assert figs("يبلغ عدد سكان رفح 300 ألف نسمة ونزح كثيرون.") == []
