"""Annotated cases for phenomena found in held-out evaluation: Arabic number words, evacuation
orders, registration as displacement, and everyday displacement vocabulary in three languages."""

from __future__ import annotations

from datetime import date

import pytest

from app.extract import ExtractedFigure, extract
from app.extract.numbers import find_amounts
from app.extract.text import fold, tokenize

PUB = date(2025, 3, 12)


def one(text: str) -> ExtractedFigure:
    figs = extract(text, PUB)
    assert len(figs) == 1, [f.to_contract() for f in figs]
    return figs[0]


def first_value(text: str) -> int:
    toks = tokenize(fold(text), text, 0, len(text))
    return find_amounts(toks)[0].value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("مليون ونصف المليون شخص", 1_500_000),
        ("مليون ونصف لاجئ", 1_500_000),
        ("مليونان من النازحين", 2_000_000),
        ("مليوني لاجئ", 2_000_000),
        ("مليونا شخص", 2_000_000),
        ("نصف مليون نازح", 500_000),
        ("ألفين لاجئ", 2000),
        ("ألفا شخص", 2000),
        ("ألفان من الأطفال", 2000),
        ("ثلاثة آلاف عائلة", 3000),
        ("ثمانية آلاف شخص", 8000),
        ("٤ آلاف شخص", 4000),
        ("١٥ ألف نازح", 15000),
        ("٢٫٥ مليون شخص", 2_500_000),
        ("ثلاثمائة ألف شخص", 300_000),
        ("خمسمئة عائلة", 500),
        ("مئتا شخص", 200),
        ("مائتي عائلة", 200),
        ("أربعة آلاف وخمسمائة شخص", 4500),
        ("خمسة وعشرون ألفا من المدنيين", 25000),
        ("ثلاثة عشر ألف لاجئ", 13000),
        ("مائة ألف شخص", 100_000),
        ("مليون و400 ألف شخص", 1_400_000),
        ("ألف شخص", 1000),
    ],
)
def test_arabic_number_words(text: str, value: int) -> None:
    assert first_value(text) == value


@pytest.mark.parametrize(
    ("text", "count", "qualifier", "vague"),
    [
        ("فر عشرات الآلاف من المدنيين إلى تشاد.", 20000, "vague", True),
        ("لجأ مئات الآلاف من الأشخاص إلى رفح.", 200000, "vague", True),
        ("نزح قرابة ٢٠ ألف شخص إلى خان يونس.", 20000, "about", False),
        ("وصل حوالي ٣٠٠٠ لاجئ إلى أدري.", 3000, "about", False),
        ("نزح نحو نصف مليون شخص إلى رفح.", 500_000, "about", False),
        ("وصل ما لا يقل عن ٦٠٠ عائلة إلى عكار.", 600, "at_least", False),
        ("لجأ أكثر من مليون ونصف المليون سوداني إلى مصر.", 1_500_000, "more_than", False),
        ("لجأ ما يزيد على ٧ آلاف لاجئ إلى الأردن.", 7000, "more_than", False),
        ("فرّ ما يزيد عن ألفي شخص إلى أوغندا.", 2000, "more_than", False),
        ("قدر عدد النازحين في رفح بنحو مليون و400 ألف شخص.", 1_400_000, "about", False),
    ],
)
def test_arabic_figures_with_qualifiers(text: str, count: int, qualifier: str,
                                        vague: bool) -> None:
    f = one(text)
    assert (f.count, f.qualifier) == (count, qualifier)
    assert (f.qualifier == "vague") == vague
    assert f.destination is not None


def test_arabic_crossing_word_is_no_place() -> None:
    f = one("وصل ٩٠٠ لاجئ إلى معبر أدري خلال الليل.")
    assert f.destination is not None and f.destination.country == "TD"


@pytest.mark.parametrize(
    "text",
    [
        "The army ordered the evacuation of 9,000 displaced people sheltering in eastern Rafah.",
        "The military ordered the evacuation of about 70,000 people from Bureij, where many "
        "had fled.",
        "Troops told 35,000 displaced residents of Jabalia to leave for Gaza City.",
        "Evacuation orders covering 60,000 displaced people sheltering in schools were issued.",
        "A new evacuation order covers some 110,000 people in Khan Younis, forcing many to flee.",
        "Officials ordered 25,000 residents to leave their homes and head to shelters.",
        "The governor ordered the compulsory evacuation of 700 children from Kupiansk to Kharkiv.",
        "Authorities issued mandatory evacuation orders for 18,000 displaced people in Sumy.",
        "L'armée a ordonné l'évacuation de 15 000 déplacés vers Al-Mawasi.",
        "أمر الجيش بإخلاء 20 ألف نازح من رفح إلى المواصي.",
        "أصدر الجيش أوامر إخلاء تشمل 40 ألف نازح في خان يونس.",
        "About 4,000 people are awaiting evacuation to Zaporizhzhia.",
    ],
)
def test_evacuation_orders_are_no_figures(text: str) -> None:
    assert extract(text, PUB) == []


@pytest.mark.parametrize(
    ("text", "count", "country"),
    [
        ("Evacuation orders went out for 40,000 people; so far 9,000 have been evacuated to "
         "Kharkiv.", 9000, "UA"),
        ("After the order, 2,500 residents were evacuated to Dnipro.", 2500, "UA"),
        ("Some 1,800 residents have been evacuated from Pokrovsk to Dnipro.", 1800, "UA"),
        ("Plus de 3 000 personnes ont été évacuées vers Dnipro.", 3000, "UA"),
    ],
)
def test_evacuations_carried_out_are_figures(text: str, count: int, country: str) -> None:
    f = one(text)
    assert f.count == count
    assert f.destination is not None and f.destination.country == country


@pytest.mark.parametrize(
    ("text", "count", "qualifier", "country"),
    [
        ("6k+ people have registered in Adré since the clashes began.", 6000, "more_than", "TD"),
        ("Over 12k refugees have been registered in Renk.", 12000, "more_than", "SS"),
        ("UNHCR has recorded 38,000 people in Moldova.", 38000, "exact", "MD"),
        ("The agency counted 74,000 Sudanese refugees in Chad.", 74000, "exact", "TD"),
        ("Some 2,900 new arrivals were registered at the Joda crossing.", 2900, "about", "SS"),
        ("Le HCR a enregistré 16 000 nouveaux arrivants à Adré.", 16000, "exact", "TD"),
        ("Quelque 8 000 personnes ont été enregistrées au Tchad.", 8000, "about", "TD"),
        ("سجلت المفوضية 45 ألف لاجئ في أوغندا.", 45000, "exact", "UG"),
    ],
)
def test_registration_at_a_place_is_a_figure(text: str, count: int, qualifier: str,
                                             country: str) -> None:
    f = one(text)
    assert (f.count, f.qualifier) == (count, qualifier)
    assert f.destination is not None and f.destination.country == country


@pytest.mark.parametrize(
    "text",
    [
        "More than 5,000 people have registered to vote in Kyiv.",
        "A census counted 80,000 residents in Goma.",
        "The camp can accommodate 5,000 people in Goma.",
        "Some 3,000 people registered for the job fair.",
        "مدينة الفاشر التي يبلغ عدد سكانها مليوني نسمة تستقبل النازحين.",
        "قد ينزح مليون شخص إلى تشاد إذا استمر القتال.",
        "سيصل نحو ألفي لاجئ إلى أدري الأسبوع المقبل.",
        "قتل ثلاثة آلاف شخص في الفاشر.",
        "عاد ألفا لاجئ إلى سوريا من لبنان.",
    ],
)
def test_counting_that_is_not_displacement(text: str) -> None:
    assert extract(text, PUB) == []


@pytest.mark.parametrize(
    ("text", "count", "country"),
    [
        ("More than 2,000 people are staying in schools in Goma.", 2000, "CD"),
        ("About 5,000 people have been hosted in collective centres in Lviv.", 5000, "UA"),
        ("Around 1,500 families have been housed in tents in Idlib.", 1500, "SY"),
        ("Some 7,000 people took shelter in churches in Port-au-Prince.", 7000, "HT"),
        ("Nearly 4,000 people sought refuge in the UN base in Malakal.", 4000, "SS"),
        ("Some 30,000 people are living in Kalma camp.", 30000, "SD"),
        ("There are 80,000 IDPs in Mugunga camp.", 80000, "CD"),
        ("Some 1,000 people fled to al-Mawasi overnight.", 1000, "PS"),
        ("Plus de 3 000 déplacés à Goma selon les autorités.", 3000, "CD"),
        ("Quelque 12 000 déplacés vers Bunia ont été recensés.", 12000, "CD"),
        ("Environ 4 500 personnes se sont installées à Sake.", 4500, "CD"),
        ("Près de 900 familles ont trouvé refuge à Goma.", 900, "CD"),
        ("نزح خمسة آلاف شخص من الفاشر إلى طويلة.", 5000, "SD"),
        ("لجأ 2000 شخص إلى مدارس في صيدا.", 2000, "LB"),
        ("فر 3 آلاف شخص إلى مصر عبر معبر رفح.", 3000, "EG"),
        ("يقيم نحو 40 ألف نازح في مخيم الزعتري.", 40000, "JO"),
        ("يعيش 20 ألف نازح في مخيم زمزم.", 20000, "SD"),
        ("وصل ١٢٠٠ لاجئ إلى أدري أمس.", 1200, "TD"),
    ],
)
def test_displacement_vocabulary(text: str, count: int, country: str) -> None:
    f = one(text)
    assert f.count == count
    assert f.destination is not None and f.destination.country == country


def test_report_scan_sees_staff_places_after_the_cache_warmed() -> None:
    from app.gazetteer.index import Gazetteer, Place, load_gazetteer

    base = load_gazetteer()
    gaz = Gazetteer([p for p in (base.get("LB"), base.get("US")) if p is not None])
    text = ("Residents of Qobayat said the shelling went on. Some 900 people fled to Qobayat "
            "overnight. Lebanon said more were coming.")
    assert all(f.destination is None or f.destination.country != "LB" or
               f.destination.level == "country" for f in extract(text, PUB, gazetteer=gaz))
    gaz.add(Place("city:qobayat", "Qobayat", "LB", "city", "LB"))
    gaz.add(Place("city:qobayat-us", "Qobayat", "US", "city", "US"))
    figs = extract(text, PUB, gazetteer=gaz)
    assert [(f.count, f.destination and f.destination.id) for f in figs] == [
        (900, "city:qobayat")]
