"""The shipped gazetteer's reach: towns of crisis countries inside their admin1, generic words,
French and Spanish names, which of two same-named places wins, and what loading it costs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.gazetteer.index import CRISIS, Gazetteer, Place, load_gazetteer, load_generic_words
from app.gazetteer.store import index_path


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


# One town per crisis country at least, as a report names it: (name, country, its admin1).
_TOWNS = [
    ("Goma", "CD", "CD-NK"), ("Bukavu", "CD", "CD-SK"), ("Cúcuta", "CO", "CO-NSA"),
    ("Tapachula", "MX", "MX-CHP"), ("Ciudad Juárez", "MX", "MX-CHH"),
    ("Maiduguri", "NG", "NG-BO"), ("Djibo", "BF", "BF-12"), ("Bossangoa", "CF", "CF-AC"),
    ("Pemba", "MZ", "MZ-P"), ("Baidoa", "SO", "SO-BY"), ("Mekele", "ET", "ET-TI"),
    ("Kherson", "UA", "UA-65"), ("Rzeszów", "PL", "PL-18"), ("Sittwe", "MM", "MM-16"),
    ("Quetta", "PK", "PK-BA"), ("Zahedan", "IR", "IR-11"), ("Boa Vista", "BR", "BR-RR"),
    ("Pacaraima", "BR", "BR-RR"), ("Huaquillas", "EC", "EC-O"), ("Arica", "CL", "CL-AP"),
    ("San Pedro Sula", "HN", "HN-CR"), ("Goris", "AM", "AM-SU"), ("Ganja", "AZ", "AZ-GA"),
    ("Gori", "GE", "GE-SK"), ("Oujda", "MA", "MA-02"), ("Benghazi", "LY", "LY-BA"),
    ("Maroua", "CM", "CM-EN"), ("Malakal", "SS", "SS-NU"), ("Abéché", "TD", "TD-OD"),
    ("Ed Damazin", "SD", "SD-NB"), ("Mosul", "IQ", "IQ-NI"), ("Zarqa", "JO", "JO-AZ"),
    ("Zahlé", "LB", "LB-BI"), ("Sderot", "IL", "IL-D"), ("Cap-Haïtien", "HT", "HT-ND"),
    ("San Cristóbal", "VE", "VE-S"), ("Panama City", "PA", "PA-8"),
    ("Khan Yunis", "PS", "PS-KYS"), ("Puerto Príncipe", "HT", "HT-OU"),
]


@pytest.mark.parametrize(("name", "country", "admin1"), _TOWNS)
def test_a_town_rolls_up_to_its_admin1_and_country(gaz: Gazetteer, name: str, country: str,
                                                   admin1: str) -> None:
    place = gaz.resolve(name)
    assert place is not None and place.level == "city", name
    assert place.country == country and place.parent_id == admin1
    parent = gaz.get(admin1)
    assert parent is not None and parent.level == "admin1"
    assert [p.id for p in gaz.ancestors(place.id)] == [admin1, country]
    assert gaz.within(place, parent)


def test_almost_every_crisis_town_has_an_admin1(gaz: Gazetteer) -> None:
    towns = [p for p in gaz.search(limit=10**6) if p.level == "city" and p.country in CRISIS]
    placed = [p for p in towns if (parent := gaz.get(p.parent_id or "")) is not None
              and parent.level == "admin1"]
    assert len(towns) > 25_000
    # the few left are East Jerusalem and West Bank localities GeoNames puts in Israel, and
    # towns of GeoNames units no ISO code or curated entry covers yet
    assert len(placed) / len(towns) > 0.995
    for cc in CRISIS:
        assert any(p.country == cc for p in placed), cc


def test_towns_of_regions_iso_does_not_list_take_the_region_they_were_carved_from(
        gaz: Gazetteer) -> None:
    # Ethiopia's South Ethiopia region (2023) came out of SNNPR; Gaza's towns without a
    # governorate in GeoNames belong to the Gaza Strip
    wenago = next(p for p in gaz.lookup("wenago") if p.country == "ET")
    assert wenago.parent_id == "ET-SN"
    khuzaa = next(p for p in gaz.search("khuza", country="PS") if p.level == "city")
    assert khuzaa.parent_id == "site:gaza-strip"


@pytest.mark.parametrize("word", sorted({
    "state", "State", "province", "Province", "district", "city", "City", "camp", "Camp",
    "town", "village", "region", "région", "Région", "estado", "Estado", "provincia",
    "departamento", "municipio", "ciudad", "ville", "ولاية", "الولاية", "محافظة", "مخيم",
    "مدينة", "the city", "la ville", "refugee", "center", "Sur", "Airport", "Area", "Les",
}))
def test_generic_words_never_match_a_town(gaz: Gazetteer, word: str) -> None:
    place = gaz.resolve(word)
    assert place is None or place.level in ("country", "admin1"), (word, place)
    from app.gazetteer.index import normalize

    assert all(p.level in ("country", "admin1") for p in gaz.lookup(normalize(word)))


def test_generic_words_are_data() -> None:
    words = load_generic_words()
    assert {"state", "province", "district", "city", "camp", "region", "estado",
            "ولايه", "محافظه"} <= words  # Arabic as normalized: ة folds to ه


def test_a_subdivision_keeps_its_own_generic_name(gaz: Gazetteer) -> None:
    # Haiti's "Centre" department and Cameroon's "North" region are named by a generic word
    centre = gaz.resolve("Centre", "HT")
    assert centre is not None and centre.id == "HT-CE"
    north = gaz.resolve("North", "CM")
    assert north is not None and north.id == "CM-NO"


def test_staff_additions_are_held_to_generic_words_too() -> None:
    gaz = Gazetteer([Place("LB", "Lebanon", "LB", "country")], generic=frozenset({"camp"}))
    gaz.add(Place("custom:c", "Camp", "LB", "site", "LB", None, ("camp", "Camp Hope")))
    assert gaz.resolve("camp") is None
    found = gaz.resolve("camp hope")
    assert found is not None and found.id == "custom:c"
    assert gaz.is_generic("camp camp") and not gaz.is_generic("camp hope")


@pytest.mark.parametrize(("name", "place_id"), [
    ("Espagne", "ES"), ("España", "ES"), ("Tchad", "TD"), ("Soudan du Sud", "SS"),
    ("Sudán del Sur", "SS"), ("Siria", "SY"), ("Syrie", "SY"), ("Líbano", "LB"),
    ("Jordanie", "JO"), ("Turquía", "TR"), ("Ucrania", "UA"), ("Birmanie", "MM"),
    ("República Democrática del Congo", "CD"), ("Congo-Kinshasa", "CD"),
    ("Haití", "HT"), ("Pérou", "PE"), ("Perú", "PE"), ("Mexique", "MX"),
    ("Cisjordanie", "site:west-bank"), ("Cisjordania", "site:west-bank"),
    ("Franja de Gaza", "site:gaza-strip"),
    ("Kivu du Nord", "CD-NK"), ("Kivu del Norte", "CD-NK"), ("Nord-Kivu", "CD-NK"),
    ("Kordofan du Sud", "SD-KS"), ("Darfur occidental", "SD-DW"),
    ("Darfur del Norte", "SD-DN"), ("Andalousie", "ES-AN"), ("Tigray", "ET-TI"),
    ("Amhara", "ET-AM"),
])
def test_french_and_spanish_names(gaz: Gazetteer, name: str, place_id: str) -> None:
    place = gaz.resolve(name)
    assert place is not None and place.id == place_id, (name, place)


@pytest.mark.parametrize(("word", "country"), [
    ("sudanés", "SD"), ("sudanesas", "SD"), ("sirios", "SY"), ("venezolanos", "VE"),
    ("venezolana", "VE"), ("iraquíes", "IQ"), ("nicaragüenses", "NI"), ("soudanaises", "SD"),
])
def test_spanish_and_french_adjectives(gaz: Gazetteer, word: str, country: str) -> None:
    from app.gazetteer.index import normalize

    assert gaz.adjectives.get(normalize(word)) == country


def test_ambiguous_names_prefer_the_bigger_or_crisis_place() -> None:
    places = [
        Place("city:big", "Victoria", "CA", "city"),
        Place("city:small", "Victoria", "HN", "city"),
        Place("city:tiny", "Victoria", "AU", "city"),
    ]
    gaz = Gazetteer(places, population={"city:big": 300_000, "city:small": 20_000,
                                        "city:tiny": 100_000}, generic=frozenset())
    # a crisis town counts 20 times its size: 20,000 in Honduras outranks 300,000 in Canada
    assert [p.id for p in gaz.rank(gaz.lookup("victoria"), "victoria")] == [
        "city:small", "city:big", "city:tiny"]
    assert gaz.importance(places[1]) > gaz.importance(places[0])
    # but a report's own countries come first
    assert gaz.rank(gaz.lookup("victoria"), "victoria", ["AU"])[0].id == "city:tiny"


def test_shipped_ranking(gaz: Gazetteer) -> None:
    tripoli = gaz.resolve("Tripoli")  # the watch list first: Lebanon's, not Libya's bigger one
    assert tripoli is not None and tripoli.country == "LB"
    hit = gaz.resolve("Puerto Príncipe")  # Haiti's capital, not Cuba's Camagüey
    assert hit is not None and hit.country == "HT"
    goma = gaz.search("goma", limit=3)[0]
    assert goma.country == "CD"


def test_loading_stays_small() -> None:
    # the index is built (make install does it); a fresh interpreter, so the figure is the
    # gazetteer's own, not this test run's: opening it reads no data
    assert index_path() is not None
    code = (
        "import time\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS'):\n"
        "            return int(line.split()[1]) // 1024\n"
        "import app.gazetteer.index as ix\n"
        "t = time.process_time(); ix.load_gazetteer()\n"
        "print(rss(), time.process_time() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    rss_mb, cpu_s = int(out[0]), float(out[1])
    assert rss_mb < 60, rss_mb
    # CPU time on a shared test machine varies several-fold: parsing the data took a second or
    # more, opening the index takes a hundredth
    assert cpu_s < 0.5, cpu_s
