"""The gazetteer: places by id, P-code and any spelling, from the shipped data files.

The shipped data is read through a prebuilt index on disk (app/gazetteer/store.py: an SQLite
file built from the same data by this module's `parse_sources`), so a process starts without
parsing it; what a process looks up stays in memory, and staff additions live in memory over
the index. A `Gazetteer` given places instead is all in memory (tests, and the fallback when
no index can be written).
"""

from __future__ import annotations

import gc
import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.gazetteer.store import Store, Table, WordSet, index_path

DATA = Path(__file__).parent / "data"

LEVELS = ("country", "admin1", "admin2", "city", "site")
# Levels whose own name may be a generic word: Haiti's "Centre" department, Cameroon's "North"
# region. A town, site or district named "Camp" or "Area" is an alias too many.
OWN_GENERIC_LEVELS = frozenset({"country", "admin1"})
# When one spelling names several places, the broader, better-known kind usually wins
# ("Lebanon" the country, not Lebanon, Pennsylvania); sites beat towns named like them.
LEVEL_RANK = {"country": 0, "admin1": 1, "site": 2, "admin2": 3, "city": 4}
# ... but a district and a town are of one tier when ranked: which is bigger or in a crisis
# country decides (Boa Vista the Brazilian city, not the Cape Verdean municipality)
_RANK_TIER = {**LEVEL_RANK, "city": LEVEL_RANK["admin2"]}

# Countries in crisis: their towns are in the data down to small ones (build_data reads
# this set) and, when same-named places are ranked, count as CRISIS_WEIGHT times their
# population: a crisis town of 20,000 beats a foreign one of 200,000, not one of 2 million.
CRISIS = frozenset(
    "SD SS TD SY LB TR JO IQ YE UA PL MD RO PS IL CD RW UG BI ET SO KE HT VE CO PE EC BR CL MX"
    " GT HN SV NI PA AF PK IR MM BD ML BF NE NG CM CF MZ LY TN EG DZ MA AM AZ GE HU SK".split()
)
# Where migrants land or pass (Lampedusa, Lesbos, the Canaries, Calais, Tanzania's camps):
# weighted like crisis countries.
TRANSIT = frozenset("IT GR ES FR TZ".split())
# The countries this service watches most: a stronger prior, before any population (Tripoli
# in a report with no other clue is more likely the Lebanese one for us).
FOCUS = frozenset(
    "SY LB TR JO IQ SD TD SS CD RW UG BI PS MM BD UA PL MD RO HU SK HT YE AF SO ET"
    # and the Americas' and Sahel's routes: Darién, Tapachula, Agadez, Kenya's camps
    " PA CO MX NE KE".split()
)
CRISIS_WEIGHT = 20

_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                              "ـ": None, "ؤ": "و", "ئ": "ي"})
_APOSTROPHES = re.compile(r"['’‘`ʿʾ´]")
_NON_WORD = re.compile(r"[\W_]+")


def normalize(name: str) -> str:
    """Folds a name to its lookup key: no case, accents, apostrophes, Arabic letter variants."""
    if name.isascii():  # most names: no accents or Arabic letters to fold
        s = name.lower()
        if s.isalnum():  # one plain word: nothing more to do (half the load time is here)
            return s
    else:
        s = unicodedata.normalize("NFKD", name)
        s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
        s = s.translate(_ARABIC_FOLD)
    s = _APOSTROPHES.sub("", s)
    return _NON_WORD.sub(" ", s).strip()


def load_generic_words(path: Path = DATA / "generic_words.txt") -> frozenset[str]:
    """Normalized words that name a kind of place ("state", "ولاية", "estado"), never one."""
    words = (line.strip() for line in path.read_text("utf-8").splitlines())
    return frozenset(normalize(w) for w in words if w and not w.startswith("#"))


@dataclass(frozen=True, slots=True)
class Place:
    id: str
    name: str
    country: str
    level: str
    parent_id: str | None = None
    pcode: str | None = None
    aliases: tuple[str, ...] = ()

    def to_ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "country": self.country, "level": self.level}


def _in_country(_id: str, place: Place, country: str) -> bool:
    return place.country == country


def _contains(key: str, _ids: list[str], part: str) -> bool:
    return part in key


@dataclass(frozen=True, slots=True)
class Export:
    """A gazetteer's whole content, in its maps' order: what the index on disk is built from."""

    places: list[Place]
    population: dict[str, int]
    names: dict[str, list[str]]
    children: dict[str, list[str]]
    pcodes: dict[str, str]
    prefixes: list[str]
    first_words: list[str]
    adjectives: dict[str, str]
    generic: frozenset[str]
    max_tokens: int


class Gazetteer:
    """Places indexed by id, P-code, normalized name and alias; staff additions apply at once.

    With a `store` (the shipped data's index on disk) the maps read through to it; without, they
    hold `places` in memory."""

    def __init__(self, places: Iterable[Place] = (), *, population: dict[str, int] | None = None,
                 adjectives: dict[str, str] | None = None,
                 generic: frozenset[str] | None = None, store: Store | None = None) -> None:
        self._by_id: Table[Place] = Table(matches=_in_country)
        self._by_key: Table[list[str]] = Table(matches=_contains)
        self._by_pcode: Table[str] = Table()
        self._children: Table[list[str]] = Table()
        self._population: Table[int] = Table(dict(population or {}))
        self.max_tokens = 1
        # first word of every name: a text word not in here starts no place name
        self.first_words = WordSet()
        # proper word-prefixes of multi-word names ("baalbek", "north darfur"): a longest
        # match stops extending as soon as the words so far begin no longer name
        self._prefixes = WordSet()
        if store is not None:
            self._by_id = Table(fetch=store.place, scan=store.all_places, size=store.places,
                                matches=_in_country)
            self._by_key = Table(fetch=store.ids, scan=store.names, matches=_contains)
            self._by_pcode = Table(fetch=store.pcode)
            self._children = Table(fetch=store.children)
            self._population = Table(fetch=store.population)
            self.max_tokens = store.max_tokens
            self.first_words = WordSet(has=store.is_first_word)
            self._prefixes = WordSet(has=store.is_prefix)
            adjectives = adjectives or store.adjectives
            generic = generic if generic is not None else store.generic
        # a name made only of these words is no town's or site's name (see generic_words.txt)
        self.generic = load_generic_words() if generic is None else generic
        # normalized country adjective or demonym ("lebanese", "libanaise") -> ISO alpha-2
        self.adjectives: dict[str, str] = dict(adjectives or {})
        self._lock = threading.Lock()
        # per-word decisions of the extractor's report scan (see app.extract.places.scan);
        # emptied whenever a place is added, so staff additions are seen at once
        self.word_cache: dict[str, tuple[int, str, int, str, list[Place]]] = {}
        # and its per-run decisions: (word, name run) -> (words, k, key, places, adjective)
        self.run_cache: dict[tuple[str, str], tuple[list[str], int, str, list[Place], str]] = {}
        # and the longest name over a sentence's words: (lexicon, (norm, text) of the words)
        # -> (words used, key, places, possessive)
        self.name_cache: dict[tuple[object, tuple[tuple[str, str], ...]],
                              tuple[int, str, list[Place], bool]] = {}
        for place in places:
            self._insert(place)

    # -- building -------------------------------------------------------------------------
    def _index_name(self, key: str, place_id: str) -> None:
        if not key:
            return
        ids = self._by_key.setdefault(key, [])  # this process's copy: changes stay
        if place_id not in ids:
            ids.append(place_id)
        if " " not in key:
            self.first_words.add(key)
            return
        words = key.split(" ")
        self.max_tokens = max(self.max_tokens, len(words))
        self.first_words.add(words[0])
        for k in range(1, len(words)):
            self._prefixes.add(" ".join(words[:k]))

    def is_generic(self, key: str) -> bool:
        """Whether a normalized name is only words for a kind of place ("the city", "ولاية")."""
        if key in self.generic:
            return True
        return " " in key and all(w in self.generic for w in key.split(" "))

    def _names(self, place: Place) -> list[str]:
        keys = [normalize(place.name)]
        if keys[0] and place.level not in OWN_GENERIC_LEVELS and self.is_generic(keys[0]):
            keys = [""]
        keys += [k for k in map(normalize, place.aliases) if k and not self.is_generic(k)]
        return keys

    def _insert(self, place: Place) -> None:
        old = self._by_id.get(place.id)
        if old is not None:
            for key in self._names(old):
                ids = self._by_key.editable(key)
                if ids and place.id in ids:
                    ids.remove(place.id)
            siblings = self._children.editable(old.parent_id) if old.parent_id else None
            if siblings and old.id in siblings:
                siblings.remove(old.id)
        self._by_id[place.id] = place
        for key in self._names(place):
            self._index_name(key, place.id)
        if place.pcode:
            self._by_pcode[place.pcode.upper()] = place.id
        if place.parent_id:
            self._children.setdefault(place.parent_id, []).append(place.id)

    def add(self, place: Place) -> None:
        """Adds or replaces a place (staff additions); resolve and extract see it at once."""
        with self._lock:
            self._insert(place)
            self.word_cache.clear()
            self.run_cache.clear()
            self.name_cache.clear()

    def export(self) -> Export:
        """Everything an in-memory gazetteer holds (one over an index holds what it added)."""
        return Export(
            places=list(self._by_id.values()), population=dict(self._population.items()),
            names=dict(self._by_key.items()), children=dict(self._children.items()),
            pcodes=dict(self._by_pcode.items()), prefixes=self._prefixes.added(),
            first_words=self.first_words.added(), adjectives=self.adjectives,
            generic=self.generic, max_tokens=self.max_tokens)

    # -- lookups --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, place_id: str) -> Place | None:
        return self._by_id.get(place_id)

    def by_pcode(self, pcode: str) -> Place | None:
        pid = self._by_pcode.get(pcode.strip().upper())
        return None if pid is None else self._by_id.get(pid)

    def population(self, place_id: str) -> int:
        return self._population.get(place_id, 0)

    def lookup(self, key: str) -> list[Place]:
        """All places one normalized key names (see `normalize`), unranked."""
        return [self._by_id[i] for i in self._by_key.get(key) or () if i in self._by_id]

    def is_prefix(self, key: str) -> bool:
        """Whether `key` begins some longer name ("north" of "north darfur")."""
        return key in self._prefixes

    def longest(self, words: list[str]) -> tuple[int, str]:
        """Longest run words[:k] that is a name: (k, key), or (0, "")."""
        best = (0, "")
        key = ""
        for k, w in enumerate(words, 1):
            key = f"{key} {w}" if key else w
            if self._by_key.get(key):
                best = (k, key)
            if key not in self._prefixes:
                break
        return best

    def rank(self, places: list[Place], key: str, context: Iterable[str] = ()) -> list[Place]:
        """Orders same-named places: context countries, exact name, level, focus, importance."""
        ctx = set(context)
        # a district and a town of one name and country are one place to a reader (Cox's
        # Bazar): the broader wins there; across countries the more important one wins
        # (Boa Vista the Brazilian city, not the Cape Verdean municipality)
        weight: dict[str, int] = {}
        for p in places:
            weight[p.country] = max(weight.get(p.country, 0), self.importance(p))

        def score(p: Place) -> tuple[int, int, int, int, int, int, int, int]:
            # a country beats a town's alternate spelling, even in context ("Moldova" the
            # country, not Fundu Moldovei in a report on Romania); then the report's
            # countries ("Joda" the crossing in a report on Sudan, not a town in India); then
            # a place's own name beats another's alternate spelling
            own = p.level == "country" or self.own_key(p) == key
            return (
                0 if p.level == "country" else 1,
                0 if p.country in ctx else 1,
                0 if own else 1,
                _RANK_TIER.get(p.level, 5),
                0 if p.country in FOCUS else 1,
                -weight[p.country],
                LEVEL_RANK.get(p.level, 5),
                -self.importance(p),
            )

        return sorted(places, key=score)

    def own_key(self, place: Place) -> str:
        """A place's own name as a report writes it bare: without the words for its kind
        ("Joda crossing" is "joda", the crossing's own name, not an Indian town's alias)."""
        key = normalize(place.name)
        words = key.split(" ")
        while len(words) > 1 and words[-1] in self.generic:
            words.pop()  # a trailing kind word only: "El Beni" keeps its article
        return " ".join(words)

    def importance(self, place: Place) -> int:
        """Population, weighted up in crisis and transit countries (see CRISIS_WEIGHT); a place
        without a known population counts as a town of 1,000."""
        pop = self._population.get(place.id) or 1000
        weighted = place.country in CRISIS or place.country in TRANSIT
        return pop * CRISIS_WEIGHT if weighted else pop

    def resolve(self, name: str, country: str | None = None) -> Place | None:
        key = normalize(name)
        cands = self.lookup(key)
        if not cands and key.startswith(("the ", "al ", "el ")):
            key = key.split(" ", 1)[1]
            cands = self.lookup(key)
        if country:
            cands = [p for p in cands if p.country == country.upper()]
        if not cands:
            adj = self.adjectives.get(key)
            place = self.get(adj) if adj else None
            if place is not None and (not country or place.country == country.upper()):
                return place
            return None
        return self.rank(cands, key, [country.upper()] if country else [])[0]

    def search(self, q: str | None = None, country: str | None = None,
               limit: int = 50) -> list[Place]:
        cc = country.upper() if country else None
        if not q or not normalize(q):
            found = list(self._by_id.values(cc))
            found.sort(key=lambda p: (LEVEL_RANK.get(p.level, 5), p.name))
            return found[: max(limit, 0)]
        key = normalize(q)
        hits: dict[str, int] = {}
        for name_key, ids in self._by_key.items(key):
            quality = 0 if name_key == key else 1 if name_key.startswith(key) else 2
            for pid in ids:
                hits[pid] = min(hits.get(pid, 9), quality)
        places = [self._by_id[i] for i in hits if i in self._by_id]
        places = [p for p in places if cc is None or p.country == cc]
        places.sort(key=lambda p: (hits[p.id], LEVEL_RANK.get(p.level, 5),
                                   -self.importance(p), p.name))
        return places[: max(limit, 0)]

    def children(self, place_id: str) -> list[Place]:
        return [self._by_id[i] for i in self._children.get(place_id) or () if i in self._by_id]

    def ancestors(self, place_id: str) -> list[Place]:
        out: list[Place] = []
        seen = {place_id}
        place = self._by_id.get(place_id)
        while place is not None and place.parent_id and place.parent_id not in seen:
            seen.add(place.parent_id)
            place = self._by_id.get(place.parent_id)
            if place is not None:
                out.append(place)
        return out

    def within(self, place: Place, other: Place) -> bool:
        """True when `place` lies inside `other` (by parent chain or country)."""
        if other.level == "country":
            return place.country == other.country and place.id != other.id
        return any(a.id == other.id for a in self.ancestors(place.id))


def _adjective_forms(base: str, lang: str) -> list[str]:
    if lang == "es":
        return _spanish_adjective_forms(base)
    if lang != "fr":
        return [base]
    # French adjectives agree: libanais/libanaise/libanaises, syrien/syrienne/syriens...
    forms = {base, base + "s", base + "e", base + "es"}
    if base.endswith("ien"):
        forms |= {base + "ne", base + "nes"}
    if base.endswith("s"):
        forms.add(base + "e")
    return sorted(forms)


def _spanish_adjective_forms(base: str) -> list[str]:
    # Spanish adjectives agree too: sirio/siria/sirios/sirias, sudanés/sudanesa/sudaneses,
    # iraquí/iraquíes, nicaragüense/nicaragüenses
    forms = {base}
    if base.endswith("o"):
        forms |= {base[:-1] + e for e in ("a", "os", "as")}
    elif base.endswith(("és", "án", "ín")):
        stem = base[:-2] + strip_accent(base[-2])
        forms |= {stem + e for e in (base[-1] + "a", base[-1] + "es", base[-1] + "as")}
    elif base.endswith(("í", "ú")):
        forms |= {base + "es", base + "s"}
    elif base.endswith("e"):
        forms.add(base + "s")
    return sorted(forms)


def strip_accent(c: str) -> str:
    return "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))


def parse_sources() -> Gazetteer:
    """The shipped data parsed into memory (about a second): what the index on disk holds."""
    places: list[Place] = []
    population: dict[str, int] = {}
    with (DATA / "places.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            pid, level, country, parent, pcode, pop, name, aliases = line.rstrip("\n").split("\t")
            places.append(Place(pid, name, country, level, parent or None, pcode or None,
                                tuple(aliases.split("|")) if aliases else ()))
            if pop:
                population[pid] = int(pop)
    curated = json.loads((DATA / "curated.json").read_text("utf-8"))
    adjectives: dict[str, str] = {}
    for iso2, entry in curated["countries"].items():
        for word in entry.get("adj", []):
            adjectives[normalize(word)] = iso2
        for lang in ("fr", "es"):
            for word in entry.get(lang, []):
                for form in _adjective_forms(word, lang):
                    adjectives[normalize(form)] = iso2
    return Gazetteer(places, population=population, adjectives=adjectives)


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The shipped gazetteer, opened once per process and shared: over its index on disk
    (built on first use when the install did not, see app/gazetteer/store.py), else parsed
    into memory.

    What a process reads stays as long as the process, so it is moved out of the garbage
    collector's sight (`gc.freeze`): otherwise every full collection walks it all, which cost
    a worker a fifth of its ingest time when the whole gazetteer was in memory
    (bench/ingest.py, 240 -> 306 reports/s)."""
    path = index_path()
    gazetteer = Gazetteer(store=Store(path)) if path is not None else parse_sources()
    gc.freeze()
    return gazetteer
