"""The shipped gazetteer: coverage, spellings, P-codes, hierarchy, staff additions."""

from __future__ import annotations

import pycountry
import pytest

from app.gazetteer.index import Gazetteer, Place, load_gazetteer, normalize


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


def test_cached_and_shared() -> None:
    assert load_gazetteer() is load_gazetteer()


def test_every_country_and_subdivision(gaz: Gazetteer) -> None:
    for c in pycountry.countries:
        place = gaz.get(c.alpha_2)
        assert place is not None and place.level == "country"
    for s in pycountry.subdivisions:
        place = gaz.get(s.code)
        assert place is not None and place.level in ("admin1", "admin2")


@pytest.mark.parametrize(
    ("name", "country", "place_id"),
    [
        ("Akkar", None, "LB-AK"),
        ("عكار", None, "LB-AK"),
        ("Baalbek-Hermel", None, "LB-BH"),
        ("baalbek hermel", None, "LB-BH"),
        ("بعلبك الهرمل", None, "LB-BH"),
        ("Latakia", None, "SY-LA"),
        ("Lattakia", None, "SY-LA"),
        ("Tartous", None, "SY-TA"),
        ("North Darfur", None, "SD-DN"),
        ("Ouaddaï", None, "TD-OD"),
        ("Ouaddai", None, "TD-OD"),
        ("Hmeimim", None, "site:khmeimim-air-base"),
        ("Humaymim", None, "site:khmeimim-air-base"),
        ("حميميم", None, "site:khmeimim-air-base"),
        ("Lebanon", None, "LB"),
        ("Liban", None, "LB"),
        ("لبنان", None, "LB"),
        ("Türkiye", None, "TR"),
        ("Turkey", None, "TR"),
        ("DRC", None, "CD"),
        ("lebanese", None, "LB"),
        ("libanaise", None, "LB"),
        ("Kutupalong", None, "site:kutupalong-camp"),
    ],
)
def test_resolve_spellings(gaz: Gazetteer, name: str, country: str | None,
                           place_id: str) -> None:
    place = gaz.resolve(name, country)
    assert place is not None and place.id == place_id


def test_ambiguous_names_narrow_by_country(gaz: Gazetteer) -> None:
    lb = gaz.resolve("Tripoli", "LB")
    ly = gaz.resolve("Tripoli", "LY")
    assert lb is not None and lb.country == "LB"
    assert ly is not None and ly.country == "LY"
    assert gaz.resolve("Tripoli", "FR") is None
    assert gaz.resolve("Nowhere-at-all") is None


def test_pcodes(gaz: Gazetteer) -> None:
    place = gaz.by_pcode("LB8")
    assert place is not None and place.id == "LB-BH"
    place = gaz.by_pcode("sy06")
    assert place is not None and place.id == "SY-LA"
    place = gaz.by_pcode("SY0602")
    assert place is not None and place.name == "Jablah"


def test_hierarchy(gaz: Gazetteer) -> None:
    site = gaz.get("site:khmeimim-air-base")
    assert site is not None and site.country == "SY"  # where it stands, not who runs it
    assert [p.id for p in gaz.ancestors(site.id)] == ["SY-LA", "SY"]
    assert "LB-AK" in {p.id for p in gaz.children("LB")}
    assert gaz.within(site, gaz.get("SY"))  # type: ignore[arg-type]


def test_search(gaz: Gazetteer) -> None:
    assert gaz.search("akkar", limit=5)[0].id == "LB-AK"
    assert "LB-AK" in {p.id for p in gaz.search("akka", limit=20)}
    assert all(p.country == "LB" for p in gaz.search("a", country="lb", limit=20))
    assert len(gaz.search(country="SY", limit=7)) == 7
    assert gaz.search("zzzzqqq") == []


def test_add_is_effective_at_once() -> None:
    gaz = Gazetteer([Place("LB", "Lebanon", "LB", "country")])
    gaz.add(Place("custom:new-camp", "New Hope camp", "LB", "site", "LB", None, ("Amal camp",)))
    found = gaz.resolve("amal camp")
    assert found is not None and found.id == "custom:new-camp"
    assert [p.id for p in gaz.search("hope")] == ["custom:new-camp"]
    assert [p.id for p in gaz.children("LB")] == ["custom:new-camp"]
    # replacing a place drops its old spellings
    gaz.add(Place("custom:new-camp", "Renamed camp", "LB", "site", "LB"))
    assert gaz.resolve("amal camp") is None
    assert len(gaz) == 2


def test_to_ref_and_normalize() -> None:
    p = Place("LB-BH", "Baalbek-Hermel", "LB", "admin1", "LB", "LB8")
    assert p.to_ref() == {"id": "LB-BH", "name": "Baalbek-Hermel", "country": "LB",
                          "level": "admin1"}
    assert normalize("‘Akkār") == "akkar"
    assert normalize("Cox’s Bazar") == "coxs bazar"
    assert normalize("إدلب") == normalize("ادلب")


def test_memory_friendly_size(gaz: Gazetteer) -> None:
    assert 20_000 < len(gaz) < 200_000


def test_cities_roll_up_to_their_admin1() -> None:
    from app.gazetteer.index import load_gazetteer

    gaz = load_gazetteer()
    for city, admin1 in (("Homs", "SY-HI"), ("Lviv", "UA-46"), ("Kassala", "SD-KA"),
                         ("Irbid", "JO-IR"), ("Antakya", "TR-31")):
        place = next(p for p in gaz.lookup(city.lower()) if p.level == "city"
                     and p.id.startswith("city:") and p.country == admin1[:2])
        assert place.parent_id == admin1
        admin = gaz.get(admin1)
        assert admin is not None and gaz.within(place, admin)


# Well-known destinations of the last decade's crises and migration routes, in the spellings
# English, French and Arabic news use: (name, country, parent admin1 or None).
_DESTINATIONS = [
    ("Lampedusa", "IT", "IT-82"), ("لامبيدوزا", "IT", "IT-82"), ("Lesbos", "GR", "GR-K"),
    ("Lesvos", "GR", "GR-K"), ("Moria", "GR", "GR-K"), ("Samos", "GR", "GR-K"),
    ("Ceuta", "ES", None), ("سبتة", "ES", None), ("Melilla", "ES", None),
    ("Canary Islands", "ES", None), ("Canarias", "ES", None), ("Canaries", "ES", None),
    ("جزر الكناري", "ES", None), ("Calais", "FR", None), ("Dunkirk", "FR", None),
    ("Dunkerque", "FR", None), ("Darién Gap", "PA", "PA-5"), ("Necoclí", "CO", "CO-ANT"),
    ("Tapachula", "MX", None), ("Ciudad Juárez", "MX", None), ("Tijuana", "MX", None),
    ("Agadez", "NE", None), ("Al-Shifa hospital", "PS", "PS-GZA"),
    ("مستشفى الشفاء", "PS", "PS-GZA"), ("Nasser hospital", "PS", "PS-KYS"),
    ("مجمع ناصر الطبي", "PS", "PS-KYS"), ("Al-Aqsa hospital", "PS", "PS-DEB"),
    ("UNRWA schools", "PS", None), ("Zamzam", "SD", "SD-DN"), ("Kalma camp", "SD", "SD-DS"),
    ("Abu Shouk", "SD", "SD-DN"), ("Um Rakuba", "SD", "SD-GD"), ("Tunaydbah", "SD", "SD-GD"),
    ("Adré", "TD", "TD-OD"), ("أدري", "TD", "TD-OD"), ("Farchana", "TD", "TD-OD"),
    ("Gaga camp", "TD", "TD-OD"), ("Metche", "TD", "TD-OD"), ("Ourang", "TD", "TD-OD"),
    ("Kakuma", "KE", None), ("Dadaab", "KE", None), ("Bidibidi", "UG", None),
    ("Nyarugusu", "TZ", "TZ-08"), ("Mahama", "RW", None), ("Kutupalong", "BD", "BD-B"),
    ("Balukhali", "BD", "BD-B"), ("Zaatari", "JO", "JO-MA"), ("الزعتري", "JO", "JO-MA"),
    ("Azraq camp", "JO", "JO-AZ"), ("Rukban", None, None), ("Al-Hol camp", "SY", "SY-HA"),
    ("Ain al-Hilweh", "LB", "LB-JA"), ("عين الحلوة", "LB", "LB-JA"),
    ("Shatila", "LB", "LB-BA"), ("Chatila", "LB", "LB-BA"), ("Bulengo", "CD", "CD-NK"),
    ("Kanyaruchinya", "CD", "CD-NK"), ("Rusayo", "CD", "CD-NK"),
    ("Lushagala", "CD", "CD-NK"), ("Joda", "SS", None), ("Renk", "SS", "SS-NU"),
    ("Masnaa", "LB", "LB-BI"), ("Arida", "LB", "LB-AK"), ("Jdeidet Yabous", "SY", "SY-RD"),
    ("Rafah crossing", "PS", "PS-RFH"), ("معبر رفح", "PS", "PS-RFH"),
    ("Kerem Shalom", "IL", "IL-D"), ("كرم أبو سالم", "IL", "IL-D"), ("Medyka", "PL", None),
    ("Przemyśl", "PL", None), ("Palanca", "MD", None), ("Siret", "RO", None),
    ("Isaccea", "RO", None), ("Záhony", "HU", None), ("Bab al-Hawa", "SY", "SY-ID"),
    ("باب الهوى", "SY", "SY-ID"), ("Bab al-Salam", "SY", "SY-HL"), ("Tal Abyad", "SY", "SY-RA"),
    ("تل أبيض", "SY", "SY-RA"), ("Kosti", "SD", None), ("كوستي", "SD", "SD-NW"),
    ("Zaporizhzhia", "UA", None), ("Zaporijia", "UA", "UA-23"), ("Запоріжжя", "UA", "UA-23"),
    ("Kalehe", "CD", "CD-SK"), ("Sake", "CD", "CD-NK"), ("Minova", "CD", "CD-SK"),
    ("Bunia", "CD", None), ("Kisoro", "UG", None), ("Gisenyi", "RW", None),
    ("Rubavu", "RW", None), ("Nakivale", "UG", None), ("Kiryandongo", "UG", None),
    ("Mirebalais", "HT", None), ("Cap-Haïtien", "HT", None), ("Jacmel", "HT", None),
    ("Les Cayes", "HT", None), ("خانيونس", "PS", None), ("خان يونس", "PS", None),
    ("دير البلح", "PS", None), ("الفاشر", "SD", None), ("الجنينة", "SD", None),
]


@pytest.mark.parametrize(("name", "country", "parent"), _DESTINATIONS)
def test_known_destinations(gaz: Gazetteer, name: str, country: str | None,
                            parent: str | None) -> None:
    place = gaz.resolve(name, country)
    assert place is not None, name
    if parent is not None:
        assert place.parent_id == parent, (name, place)


def test_common_arabic_words_are_no_camp(gaz: Gazetteer) -> None:
    # "كلمة" (a speech) and "الهول" (the horror) name camps only after "مخيم"
    assert gaz.resolve("كلمة") is None
    assert gaz.resolve("الهول") is None
    assert gaz.resolve("مخيم كلمة") is not None
    assert gaz.resolve("مخيم الهول") is not None


def test_context_beats_a_foreign_town_of_the_same_name(gaz: Gazetteer) -> None:
    joda = gaz.lookup("joda")
    assert gaz.rank(joda, "joda", ["SS", "SD"])[0].id == "site:joda-crossing"
