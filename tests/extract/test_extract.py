"""Annotated cases, one group per phenomenon: figures, places, kind, as_of, and negatives."""

from __future__ import annotations

from datetime import date

import pytest

from app.extract import EXTRACTOR_VERSION, ExtractedFigure, extract
from app.gazetteer.index import Gazetteer, Place, load_gazetteer

PUB = date(2025, 3, 12)  # a Wednesday


def one(text: str, published: date | None = PUB) -> ExtractedFigure:
    figs = extract(text, published)
    assert len(figs) == 1, [f.to_contract() for f in figs]
    return figs[0]


def dest(f: ExtractedFigure) -> tuple[str, str] | None:
    return None if f.destination is None else (f.destination.name, f.destination.country)


# (text, count, qualifier, unit, kind, destination country)
CASES = [
    ("At least 10,000 Alawites fled into the Baalbek-Hermel governorate of eastern Lebanon.",
     10000, "at_least", "people", "total", "LB"),
    ("More than 20,000 Sudanese refugees have arrived in Adré, Chad, in the past week.",
     20000, "more_than", "people", "new", "TD"),
    ("Some 15,000 people fled El Geneina for eastern Chad on Tuesday.",
     15000, "about", "people", "new", "TD"),
    ("Over 1.4 million people have been displaced inside Gaza, according to UNRWA.",
     1400000, "more_than", "people", "total", "PS"),
    ("Nearly 700,000 Rohingya have fled to Bangladesh since August.",
     700000, "about", "people", "total", "BD"),
    ("Around 5,000 Congolese refugees crossed into Uganda on Monday.",
     5000, "about", "people", "new", "UG"),
    ("Gang violence has displaced 10k+ people in Port-au-Prince this week.",
     10000, "more_than", "people", "new", "HT"),
    ("Twelve hundred families are sheltering in schools in Hatay province.",
     1200, "exact", "families", "total", "TR"),
    ("Thousands of Iraqis fled Mosul toward the Kurdistan Region.",
     2000, "vague", "people", "total", "IQ"),
    ("As many as 5,000 people are sheltering in Arsal.", 5000, "up_to", "people", "total", "LB"),
    ("Fewer than 500 Syrians have entered Jordan.", 500, "less_than", "people", "total", "JO"),
    ("No fewer than 2,000 people have crossed into the Hermel district.",
     2000, "at_least", "people", "total", "LB"),
    ("About 800 households from the Syrian coast are now in Wadi Khaled.",
     800, "about", "households", "total", "LB"),
    ("Between 5,000 and 7,000 people have fled to Moldova.", 5000, "about", "people", "total",
     "MD"),
    ("In the past 24 hours, 1,100 people crossed into Lebanon.",
     1100, "exact", "people", "new", "LB"),
    ("Twenty-five hundred people arrived at the Masnaa crossing overnight.",
     2500, "exact", "people", "new", "LB"),
    ("Tawila in North Darfur is hosting more than 300,000 displaced people.",
     300000, "more_than", "people", "total", "SD"),
    ("Kutupalong camp now shelters some 600,000 Rohingya refugees.",
     600000, "about", "people", "total", "BD"),
]


@pytest.mark.parametrize(("text", "count", "qualifier", "unit", "kind", "country"), CASES)
def test_english_figures(text: str, count: int, qualifier: str, unit: str, kind: str,
                         country: str) -> None:
    f = one(text)
    assert (f.count, f.qualifier, f.unit, f.kind) == (count, qualifier, unit, kind)
    assert f.destination is not None
    assert f.destination.country == country


@pytest.mark.parametrize(
    ("text", "count", "qualifier", "unit", "country"),
    [
        ("Plus de 7 000 personnes se sont réfugiées sur la base russe de Hmeimim.",
         7000, "more_than", "people", "SY"),
        ("Des centaines de familles ont fui vers le Tchad.", 200, "vague", "families", "TD"),
        ("Près de 5 000 personnes déplacées ont trouvé refuge à Goma depuis lundi.",
         5000, "about", "people", "CD"),
        ("Environ 3 000 réfugiés soudanais sont arrivés au Tchad cette semaine.",
         3000, "about", "people", "TD"),
    ],
)
def test_french_figures(text: str, count: int, qualifier: str, unit: str, country: str) -> None:
    f = one(text)
    assert (f.count, f.qualifier, f.unit) == (count, qualifier, unit)
    assert f.destination is not None and f.destination.country == country


@pytest.mark.parametrize(
    ("text", "count", "qualifier", "unit", "kind", "place"),
    [
        ("لجأ أكثر من 10 آلاف علوي إلى محافظة بعلبك الهرمل في لبنان.",
         10000, "more_than", "people", "total", "Baalbek-Hermel"),
        ("نزح نحو ٥٠٠٠ شخص إلى قاعدة حميميم خلال ثلاثة أيام.",
         5000, "about", "people", "new", "Khmeimim Air Base"),
        ("وصلت 300 عائلة إلى عكار خلال الليلة الماضية.",
         300, "exact", "families", "new", "Akkar"),
        ("فرّ مئات المدنيين من جبلة باتجاه الحدود اللبنانية.",
         200, "vague", "people", "total", "Lebanon"),
        ("نزح عشرة آلاف شخص إلى لبنان منذ يوم الجمعة.",
         10000, "exact", "people", "total", "Lebanon"),
    ],
)
def test_arabic_figures(text: str, count: int, qualifier: str, unit: str, kind: str,
                        place: str) -> None:
    f = one(text)
    assert (f.count, f.qualifier, f.unit, f.kind) == (count, qualifier, unit, kind)
    assert f.destination is not None and f.destination.name == place


def test_several_figures_in_one_sentence_pair_with_their_places() -> None:
    figs = extract("Some 450,000 refugees have crossed into Poland, and over 100,000 into "
                   "Moldova, and roughly 1,000 to Romania.", PUB)
    assert [(f.count, dest(f)) for f in figs] == [
        (450000, ("Poland", "PL")), (100000, ("Moldova", "MD")), (1000, ("Romania", "RO"))]


def test_apposition_shares_the_place() -> None:
    figs = extract("Authorities registered 2,300 families, or around 11,000 individuals, "
                   "in Akkar.", PUB)
    assert [(f.count, f.unit, dest(f)) for f in figs] == [
        (2300, "families", ("Akkar", "LB")), (11000, "people", ("Akkar", "LB"))]
    assert figs[0].people == 2300 * 5


def test_household_size_per_country() -> None:
    f = one("Some 1,000 families fled to Lebanon.")
    assert f.people == 5000
    f = extract("Some 1,000 families fled to Lebanon.", PUB, household_size=4,
                household_sizes={"LB": 6})[0]
    assert f.people == 6000


def test_new_then_running_total() -> None:
    figs = extract("A further 900 people arrived in Akkar on Thursday, bringing the number "
                   "of new arrivals there to 8,700.", date(2025, 3, 14))
    assert [(f.count, f.kind, dest(f)) for f in figs] == [
        (900, "new", ("Akkar", "LB")), (8700, "total", ("Akkar", "LB"))]
    assert figs[0].as_of == date(2025, 3, 13)


def test_fled_toward_a_border_goes_to_that_country() -> None:
    f = one("Thousands have fled Baniyas toward the Lebanese border.")
    assert dest(f) == ("Lebanon", "LB")
    assert f.origin is not None and f.origin.country == "SY"


def test_origin_alone_is_no_destination() -> None:
    f = one("About 4,000 people were displaced from Jableh.")
    assert f.destination is None
    assert f.origin is not None and f.origin.country == "SY"


def test_fled_for_the_mountains_stays_in_the_origins_country() -> None:
    # CONTRACT.md: flight to an unnamed place inside the country has that country as destination
    assert dest(one("About 3,000 people fled Qardaha for the mountains.")) == ("Syria", "SY")


def test_anaphora_refers_to_an_earlier_place() -> None:
    figs = extract("The Khmeimim base now hosts 8,000 people. Another 1,300 arrived at the "
                   "base on Sunday.", PUB)
    assert [(f.count, f.kind, dest(f)) for f in figs] == [
        (8000, "total", ("Khmeimim Air Base", "SY")), (1300, "new", ("Khmeimim Air Base", "SY"))]
    assert figs[1].as_of == date(2025, 3, 9)
    f = extract("Many families reached Arsal. Some 2,000 people are sheltering in the town.",
                PUB)[0]
    assert dest(f) == ("Arsal", "LB")


def test_ambiguous_names_follow_the_report() -> None:
    f = one("Tens of thousands of people have fled to Tripoli, Lebanese officials said.")
    assert dest(f) == ("Tripoli", "LB")
    f = one("In Libya, more than 5,000 people fled to Tripoli after the clashes.")
    assert dest(f) == ("Tripoli", "LY")


def test_a_site_belongs_to_the_country_it_stands_in() -> None:
    f = one("More than 7,000 others are sheltering at Russia's Khmeimim air base near Jableh.")
    assert dest(f) == ("Khmeimim Air Base", "SY")


def test_as_of_dates() -> None:
    assert one("As of 10 March, 9,500 refugees had been registered in Akkar.").as_of == date(
        2025, 3, 10)
    assert one("On Saturday 2,000 people fled to Lebanon.").as_of == date(2025, 3, 8)
    assert one("2,000 people fled to Lebanon yesterday.").as_of == date(2025, 3, 11)
    assert one("2,000 people fled to Lebanon.").as_of is None


@pytest.mark.parametrize(
    "text",
    [
        "The monitoring group says roughly 745 Alawite civilians were killed in some 30 "
        "massacres. Hundreds were wounded.",
        "The earthquake killed more than 50,000 people in Türkiye and Syria.",
        "Some 2,000 homes were destroyed and 300 people were injured as families fled.",
        "At least 40 migrants drowned and 12 are missing after fleeing Libya.",
        "Police arrested 120 people who had fled to the border.",
        "Authorities ordered 100,000 residents to evacuate ahead of the offensive.",
        "Israel told 1.1 million people in northern Gaza to move south.",
        "The camp, home to 80,000 refugees, was flooded.",
        "The town of 80,000 people was emptied as residents fled to Homs.",
        "Officials denied reports that 10,000 people had fled to Lebanon.",
        "About 3,000 people returned to their homes in Khartoum last week after fleeing.",
        "The UN said 60% of the displaced had fled to Chad.",
        "A girl aged 7 and her mother, 34, were among those who reached Hermel on foot.",
        "Refugees walked 30 km over 3 days to reach the border on 11 March.",
        "The WFP delivered 2,400 food parcels to 1,200 displaced households in Akkar.",
        "The UN needs $50 million to help 500,000 displaced people in Sudan.",
        "At least 1,000 people could flee to Jordan if the fighting continues.",
        "Some families fled to Lebanon; many people are sheltering in mosques.",
        "وثّق المرصد مقتل 745 مدنياً في 30 مجزرة على الساحل.",
        "Les combats ont fait 200 morts et des milliers de blessés parmi les réfugiés.",
    ],
)
def test_never_a_figure(text: str) -> None:
    assert extract(text, PUB) == []


def test_contract_shape() -> None:
    text = "Over 12 000 people have found refuge in Lebanon since Friday."
    f = one(text)
    d = f.to_contract()
    assert set(d) == {"count", "low", "high", "qualifier", "unit", "people", "kind",
                      "destination", "origin", "as_of", "span", "quote", "confidence"}
    assert d["destination"] == {"id": "LB", "name": "Lebanon", "country": "LB",
                                "level": "country"}
    a, b = d["span"]
    assert text[a:b] == "12 000"
    assert d["quote"] == text
    assert (d["low"], d["high"]) == (12000, None)
    assert isinstance(EXTRACTOR_VERSION, str)


def test_staff_additions_take_effect_at_once() -> None:
    gaz = Gazetteer(load_gazetteer().search(country="LB", limit=10_000))
    text = "Some 900 people fled to Qornet el Sawda camp."
    assert extract(text, PUB, gazetteer=gaz)[0].destination is None
    gaz.add(Place("custom:qornet", "Qornet el Sawda camp", "LB", "site", "LB-AS"))
    assert dest(extract(text, PUB, gazetteer=gaz)[0]) == ("Qornet el Sawda camp", "LB")


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "12345", "fled"])
def test_empty_or_numberless_text(text: str) -> None:
    assert extract(text, PUB) == []
