"""Place mentions in a sentence: gazetteer names, country adjectives, anaphora, and their role."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from app.extract.lexicon import Lexicon
from app.extract.text import (
    ARABIC_FIRST,
    ARABIC_LAST,
    Token,
    fold,
    is_arabic,
    strip_accents,
)
from app.gazetteer.index import Gazetteer, Place, normalize


@dataclass(slots=True)
class Mention:
    first: int                 # token index range of the name
    last: int
    role: str                  # "dest", "origin", "container", "near", "none"
    place: Place | None        # resolved place (None for an unresolved anaphor)
    candidates: list[Place] = field(default_factory=list)
    key: str = ""
    anaphor: tuple[str, ...] = ()   # levels an anaphor ("the base", "there") may refer to
    anaphor_word: str = ""
    possessive: bool = False
    there: bool = False        # "there": the place last named, a destination
    crossed: bool = False      # a country's border crossed: a destination (see find_mentions)


# the levels "there" may refer to: any place
THERE_LEVELS = ("site", "city", "admin2", "admin1", "country")


def _suffix(word: str, suffixes: tuple[str, ...]) -> str:
    """The first of `suffixes` that `word` ends with (and is longer than), or ""."""
    for s in suffixes:
        if word.endswith(s) and len(word) > len(s):
            return s
    return ""


def _filler(word: str, lx: Lexicon) -> bool:
    """A word that may sit between a preposition and a place, with or without its elided
    article: "au point d'entrée d'Adré"."""
    return word in lx.place_fillers or any(
        word.startswith(p) and word[len(p):] in lx.place_fillers for p in lx.elisions)


def _common_noun(key: str, lx: Lexicon) -> bool:
    """A one-word name that is a common word of the language ("the", "camp", "عين")."""
    return (key in lx.not_places or key in lx.place_nouns or key in lx.name_heads
            or key in lx.anaphors)


def _kind_word(word: str, gaz: Gazetteer, lx: Lexicon) -> bool:
    """A word for a kind of place ("ولاية" state, "مخيم" camp): no clitic to strip from it
    ("ولاية" is no "و" + "لاية", Lae in Papua New Guinea)."""
    return gaz.is_generic(word) or _common_noun(word, lx)


def _name_at(toks: list[Token], i: int, gaz: Gazetteer,
             lx: Lexicon) -> tuple[int, str, list[Place], bool]:
    """Longest gazetteer name starting at toks[i]: (last index, key, places, possessive)."""
    words: list[int] = []
    j = i
    n = len(toks)
    while j < n and len(words) < gaz.max_tokens:
        t = toks[j]
        if t.kind == "word":
            if words and t.start > toks[words[-1]].end + 1 and toks[j - 1].kind != "punct":
                break
            words.append(j)
        elif t.text == "-" and words and j + 1 < n and toks[j + 1].kind == "word":
            pass
        else:
            break
        j += 1
    # the answer depends only on the words' norms and texts: decided once per run of words
    cache_key = (lx, tuple((toks[x].norm, toks[x].text) for x in words))
    cache = gaz.name_cache
    got = cache.get(cache_key)
    if got is None:
        if len(cache) > 100_000:
            cache.clear()
        got = cache[cache_key] = _longest_name(toks, words, gaz, lx)
    used, key, found, possessive = got
    return (words[used - 1] if used else -1), key, found, possessive


def _longest_name(toks: list[Token], words: list[int], gaz: Gazetteer,
                  lx: Lexicon) -> tuple[int, str, list[Place], bool]:
    """_name_at over the word tokens `words`: (how many make the name, key, places,
    possessive); (0, "", [], False) when none does."""
    for k in range(len(words), 0, -1):
        idx = words[:k]
        norms = [toks[x].norm for x in idx]
        key = " ".join(norms)
        found = gaz.lookup(key)
        if not found and any(toks[x].text.endswith("'") for x in idx[:-1]):
            # an elided article inside a name: "Côte d'Ivoire" is keyed "cote divoire"
            key = "".join(toks[x].norm + ("" if toks[x].text.endswith("'") else " ")
                          for x in idx).strip()
            found = gaz.lookup(key)
        possessive = False
        suffix = _suffix(toks[idx[-1]].text, lx.possessive_suffixes)
        if not found and suffix:
            key = " ".join([*norms[:-1], norms[-1][:1 - len(suffix)]])
            found = gaz.lookup(key)
            possessive = bool(found)
        if not found and k == 1 and is_arabic(norms[0]) and norms[0][0] in lx.name_clitics and (
                not _kind_word(norms[0], gaz, lx)):
            key = norms[0][1:]
            found = gaz.lookup(key) if len(key) > 2 else []
        if found:
            if k == 1 and _common_noun(key, lx):
                continue  # "معبر" (crossing) alone is a common noun, not Ma'bar in Yemen
            return k, key, found, possessive
    return 0, "", [], False


def find_mentions(toks: list[Token], gaz: Gazetteer, lx: Lexicon) -> list[Mention]:
    """Place names, country adjectives before place nouns, and anaphors, left to right."""
    out: list[Mention] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.kind != "word" or not (t.upper or is_arabic(t.text)):
            if t.norm in lx.anaphors or t.norm in lx.there_words:
                anaphor = _anaphor_at(toks, i, lx)
                if anaphor is not None:
                    out.append(anaphor)
            if i and toks[i - 1].norm in lx.adj_place_nouns:
                adj = _lower_adjective(toks, i, gaz, lx)
                if adj is not None:
                    out.append(adj)
            i += 1
            continue
        last, key, places, possessive = -1, "", list[Place](), False
        suffix = _suffix(t.text, lx.possessive_suffixes)
        first = t.norm[:1 - len(suffix)] if suffix else t.norm
        if t.norm in gaz.first_words or first in gaz.first_words or is_arabic(t.text):
            last, key, places, possessive = _name_at(toks, i, gaz, lx)
        if last >= 0:
            out.append(Mention(i, last, "none", None, _regional(toks, i, places, gaz, lx), key,
                               possessive=possessive))
            i = last + 1
            continue
        if t.norm in lx.anaphors and is_arabic(t.text):
            anaphor = _anaphor_at(toks, i, lx)
            if anaphor is not None:
                out.append(anaphor)
                i += 1
                continue
        if i and toks[i - 1].norm in lx.adj_place_nouns:
            adj = _lower_adjective(toks, i, gaz, lx)
            if adj is not None:
                out.append(adj)
                i += 1
                continue
        iso = gaz.adjectives.get(t.norm)
        if iso and i + 1 < n and toks[i + 1].norm in lx.adj_place_nouns:
            place = gaz.get(iso)
            if place is not None:
                out.append(Mention(i, i + 1, "none", None, [place], t.norm))
                i += 2
                continue
        i += 1
    out = _whole_names(toks, out)
    for m in out:
        # "Russia's Khmeimim base": a possessive qualifies the next name, it is no place
        # ("Marib's 197 camps", "Hatay's container cities" are that place's own)
        # (and "South Sudan's Ruweng Administrative Area", a name the gazetteer lacks)
        owned = m.possessive and m.last + 1 < len(toks) and (
            not toks[m.last + 1].upper or all(x.first != m.last + 1 for x in out))
        m.role = "none" if m.possessive and not owned else _role(toks, m, out, gaz, lx)
    # "ont franchi la frontière tchadienne": a border crossed leads into its country, unless
    # the sentence names where they went ("crossed the Syrian border into Lebanon")
    for k, m in enumerate(out):
        if m.crossed:
            later = any(x.role == "dest" for x in out[k + 1:])
            m.role = "none" if later else "dest"
    return out


def _whole_names(toks: list[Token], mentions: list[Mention]) -> list[Mention]:
    """Drops names that are only pieces of a longer name the gazetteer lacks: "Lac Vert" is
    no Lac (Chad) beside a Weert (Netherlands), "Pobé-Mengao" no Pobé in Benin. Two names side
    by side stay when they share a country ("Adre Chad") or the first owns the second
    ("Russia's Khmeimim base"); a country stays in a hyphenated pair ("Sudan-Chad border")."""
    n = len(toks)
    drop: set[int] = set()
    for k, m in enumerate(mentions):
        if m.anaphor or not m.candidates:
            continue
        j = m.last + 1
        if (j + 1 < n and toks[j].text == "-" and toks[j].start == toks[m.last].end
                and toks[j + 1].upper and toks[j + 1].start == toks[j].end
                and all(p.level != "country" for p in m.candidates)):
            drop.add(k)
        nxt = mentions[k + 1] if k + 1 < len(mentions) else None
        if (nxt is not None and not m.possessive and not nxt.anaphor and nxt.candidates
                and nxt.first == j
                and toks[j].start <= toks[m.last].end + 1
                and not {p.country for p in m.candidates} & {p.country for p in nxt.candidates}):
            drop.update((k, k + 1))
    return [m for k, m in enumerate(mentions) if k not in drop]


def _regional(toks: list[Token], i: int, places: list[Place], gaz: Gazetteer,
              lx: Lexicon) -> list[Place]:
    """A country after a direction word ("northern Lebanon", "le nord du Liban", "شمال لبنان")
    becomes the country's own region of that name when the gazetteer has one ("North
    Lebanon" governorate); otherwise the country stays."""
    countries = [p for p in places if p.level == "country"]
    if len(countries) != 1:
        return places
    j = i - 1
    while j >= 0 and toks[j].norm in lx.region_links and i - j < 3:
        j -= 1
    direction = lx.directions.get(toks[j].norm) if j >= 0 else None
    if direction is None:
        return places
    country = countries[0]
    for name in (country.name, *country.aliases):
        region = [p for p in gaz.lookup(f"{direction} {normalize(name)}")
                  if p.level == "admin1" and p.country == country.country]
        if region:
            return region[:1]
    return places


def _lower_adjective(toks: list[Token], i: int, gaz: Gazetteer,
                     lx: Lexicon) -> Mention | None:
    """French and Arabic put the adjective after the noun: "la frontière libanaise"."""
    if i == 0 or toks[i - 1].norm not in lx.adj_place_nouns:
        return None
    t = toks[i]
    iso = lx.country_adjectives.get(t.norm) or gaz.adjectives.get(t.norm)
    place = gaz.get(iso) if iso else None
    if place is None:
        return None
    return Mention(i - 1, i, "none", None, [place], t.norm)


def _anaphor_at(toks: list[Token], i: int, lx: Lexicon) -> Mention | None:
    t = toks[i]
    word = t.norm
    if word in lx.there_words:
        nxt = toks[i + 1].norm if i + 1 < len(toks) else ""
        if nxt in lx.existential_verbs:
            return None
        return Mention(i, i, "none", None, anaphor=THERE_LEVELS, anaphor_word=word, there=True)
    levels = lx.anaphors.get(word)
    if levels is None or i == 0:
        return None
    prev = toks[i - 1].norm
    if not word.startswith(lx.article_prefixes) and prev not in lx.articles and not (
            prev in lx.place_fillers and i > 1 and toks[i - 2].norm in lx.articles):
        return None
    # "the base at Hmeimim", "la base russe de Hmeimim": the name itself follows (not in
    # Arabic after a word with its own article: "المخيم يضم", a name there is its construct
    # without the article, "مخيم الزعتري")
    own_article = is_arabic(word) and word.startswith(lx.article_prefixes)
    for k in range(i + 1, min(i + 5, len(toks)) if not own_article else 0):
        if toks[k].kind == "word" and (toks[k].upper or is_arabic(toks[k].text)):
            return None
        if toks[k].norm not in lx.place_fillers and toks[k].norm not in lx.name_links:
            break
    return Mention(i, i, "none", None, anaphor=levels, anaphor_word=word)


def _role(toks: list[Token], m: Mention, mentions: list[Mention], gaz: Gazetteer,
          lx: Lexicon) -> str:
    """Reads back from the name over fillers to the preposition or verb that governs it."""
    starts = {x.last: x for x in mentions if x is not m and not x.anaphor}
    j = m.first - 1
    steps = 0
    described = False  # read back over descriptive words once
    while j >= 0 and steps < 7:
        t = toks[j]
        w = t.norm
        if t.kind == "num" and steps == 0 and _gapped(toks, m, j, lx):
            return "dest"  # "18,000 have reached Cúcuta, 8,500 Ocaña and 4,000 Tibú"
        if t.text == "," and steps <= 1 and _apposed(toks, j, lx):
            return "dest"  # "hacia la cabecera municipal, Pie de Pató", "to nearby towns, mainly X"
        if j in starts:
            prev = starts[j]
            if prev.possessive:
                j = prev.first - 1
                steps += 1
                continue
            return "container" if w not in ("-",) else "none"
        if w in lx.dest_preps:
            # "fled Mirebalais, in the Centre department, to Hinche": where the origin lies
            before = starts.get(j - 2) if (j > 1 and toks[j - 1].text == ","
                                           and w in lx.static_preps) else None
            if before is not None and before.role == "origin":
                return "origin"
            return _governed(toks, j, m, lx)
        if w[:1] in lx.dest_clitics and _kind_word(w[1:], gaz, lx):
            return "dest"  # "في مخيمات إغاثة بإقليم السند"
        # verb-first hosting: "تستضيف تشاد 600 ألف لاجئ", "استقبلت مدينة أربيل 1500 عائلة"
        if w in lx.hosting:
            return "dest"
        # "arrived on Lampedusa", "stranded on Lesbos": on an island after an arrival word
        if w in lx.landing_preps and j > 0 and toks[j - 1].norm in lx.landing:
            return "dest"
        # "crossed the Darién Gap", "through the Joda crossing": a crossing point is where
        # people are counted (not "crossed the Syrian border": a country is no such site)
        if w in lx.through and any(p.level == "site" for p in m.candidates):
            return "dest"
        if w in lx.through and _border(toks, m, lx):
            m.crossed = True
            return "none"
        if w in lx.origin_preps:
            return "origin"
        if w in lx.near_preps:
            return "near"
        if w in lx.container_preps and j > 0 and gaz.is_generic(toks[j - 1].norm):
            # "fled to three villages of Masisi": the villages' place, the role of the phrase
            j = _over_count(toks, j - 2, lx)
            steps += 2
            continue
        if w in lx.container_preps and j > 0 and toks[j - 1].norm not in lx.place_fillers:
            return "container"
        if t.upper and t.kind == "word" and j + 1 < m.first and _filler(toks[j + 1].norm, lx):
            # "en la plaza Simón Bolívar de Boa Vista": back over the site's own name to its
            # kind word; the phrase's role is the place's
            k = j
            while k > j - 3 and k > 0 and toks[k].upper and toks[k].kind == "word" and (
                    k not in starts):
                k -= 1
            if k < j and toks[k].norm in lx.named_sites:
                steps += j - k
                j = k - 1
                continue
        if _filler(w, lx) or w in lx.articles or w in lx.place_nouns or (
                w in lx.translit_articles) or (
                t.text == "-" and j > 0 and toks[j - 1].end == t.start) or (
                t.upper and gaz.adjectives.get(w)) or gaz.is_generic(w):
            j = _over_count(toks, j - 1, lx) if gaz.is_generic(w) else j - 1
            steps += 1
            continue
        # descriptive words inside the place phrase: "to the sprawling Zamzam camp", "sur la
        # base aérienne d'Incirlik"
        k = j if described else _over_modifier(toks, j, gaz, lx)
        k = k if k != j or described else _over_descriptions(toks, j, lx)
        if k != j:
            described = True
            steps += j - k
            j = k
            continue
        break
    # The subject of a hosting verb is where people are: "Tawila is hosting 300,000", over an
    # apposition: "Kassala, a city of some 400,000 people, is now hosting 60,000".
    if _hosts(toks, m.last + 1, lx):
        return "dest"
    k = m.last + 1
    if k < len(toks) and toks[k].text == ",":
        close = next((x for x in range(k + 1, min(k + 12, len(toks))) if toks[x].text == ","),
                     None)
        if close is not None and any(toks[x].norm in lx.population_preps
                                     for x in range(k + 1, close)) and _hosts(
                toks, close + 1, lx):
            return "dest"
    if m.there:
        return "dest"
    return "none"


def _over_modifier(toks: list[Token], j: int, gaz: Gazetteer, lx: Lexicon) -> int:
    """From toks[j], back over the people a kind of place is for: "camp de déplacés de X",
    "campamento de refugiados de X" (to the kind word), "the IDP camp of X", "the refugee camp
    at X" (past the modifier); `j` when there is none."""
    def kind(t: Token) -> bool:
        return (t.kind == "word" and t.norm not in lx.articles
                and (gaz.is_generic(t.norm) or t.norm in lx.place_nouns))

    if toks[j].kind != "word":
        return j
    if j >= 2 and _filler(toks[j - 1].norm, lx) and kind(toks[j - 2]):
        return j - 2
    if j + 1 < len(toks) and kind(toks[j + 1]):
        return j - 1
    return j


def _over_count(toks: list[Token], j: int, lx: Lexicon) -> int:
    """`j` moved back over a count of places before their noun ("12 villages", "trois
    villages"), which is no figure's place."""
    if j >= 0 and (toks[j].kind == "num" or toks[j].norm in lx.number_words):
        return j - 1
    return j


def _over_descriptions(toks: list[Token], j: int, lx: Lexicon) -> int:
    """From toks[j], back over at most two lower-case words that are no preposition, verb or
    noun of the grammar to an article or place noun before them ("the sprawling", "base
    aérienne"): that word's index, or `j` when the words before do not read so."""
    k = j
    while k >= 0 and j - k < 2 and _describes(toks[k], lx):
        k -= 1
    if k == j or k < 0:
        return j
    w = toks[k].norm
    if w in lx.articles or w in lx.place_nouns or _filler(w, lx):
        return k
    return j


def _describes(t: Token, lx: Lexicon) -> bool:
    w = t.norm
    return (t.kind == "word" and not t.upper and not is_arabic(t.text)
            and w not in lx.articles and w not in lx.place_nouns and not _filler(w, lx)
            and w not in lx.triggers and w not in lx.dest_preps and w not in lx.origin_preps
            and w not in lx.near_preps and w not in lx.through and w not in lx.landing
            and w not in lx.speech and w not in lx.coordinators and w not in lx.relative)


def _border(toks: list[Token], m: Mention, lx: Lexicon) -> bool:
    """A country named by its adjective and a border noun: "the Chadian border", "la frontière
    rwandaise"."""
    return (len(m.candidates) == 1 and m.candidates[0].level == "country"
            and any(t.norm in lx.adj_place_nouns for t in toks[m.first:m.last + 1]))


def _hosts(toks: list[Token], start: int, lx: Lexicon) -> bool:
    """A hosting verb within a few words from `start`, before any number."""
    for k in range(start, min(start + 8, len(toks))):
        w = toks[k].norm
        if w in lx.hosting:
            return True
        for p in lx.hosting_phrases:  # "has taken in": few, and rarely past the first word
            if p[0] == w and tuple(t.norm for t in toks[k:k + len(p)]) == p:
                return True
        if toks[k].kind == "num":
            return False
    return False


def _apposed(toks: list[Token], comma: int, lx: Lexicon) -> bool:
    """Whether the comma at toks[comma] closes a destination phrase of common words, so the
    name after it names that destination: "fled to nearby towns, mainly Saint-Marc"."""
    for k in range(comma - 1, max(-1, comma - 6), -1):
        t = toks[k]
        if t.norm in lx.dest_preps and t.norm not in lx.static_preps:
            return True
        if t.kind != "word" or t.upper:
            return False
    return False


def _gapped(toks: list[Token], m: Mention, j: int, lx: Lexicon) -> bool:
    """A place right after a number that is coordinated with a figure before it and ends
    its conjunct: "..., 8,500 Ocaña and some 4,000 Tibú"."""
    before = j - 1
    while before >= 0 and toks[before].kind == "word" and toks[before].norm not in (
            lx.coordinators) and not toks[before].upper and before > j - 3:
        before -= 1  # over qualifiers: "and some 4,000 Tibú"
    if before < 0 or not (toks[before].text == "," or toks[before].norm in lx.coordinators):
        return False
    nxt = toks[m.last + 1] if m.last + 1 < len(toks) else None
    return nxt is None or nxt.kind == "punct" or nxt.norm in lx.coordinators


def _governed(toks: list[Token], j: int, m: Mention, lx: Lexicon) -> str:
    """The role a destination preposition at toks[j] gives the place after it, read from the
    word it hangs on: the speaker's location ("officials in Beirut said", "Speaking in
    Geneva") is none; the place of the homes or the fighting people fled ("homes in Tyre",
    "villages around Homs", "fighting in and around El Fasher") is an origin."""
    k = j - 1
    while k >= 0 and (toks[k].norm in lx.dest_preps or toks[k].norm in lx.coordinators):
        k -= 1
    head = toks[k].norm if k >= 0 else ""
    if head in lx.origin_heads and toks[j].norm in lx.static_preps:
        return "origin"
    if head in lx.speech:
        return "none"  # "Speaking in Geneva, ..."
    if head in lx.speakers:
        near = toks[max(0, k - 3):k] + toks[m.last + 1:m.last + 5]
        if any(t.norm in lx.speech for t in near):
            return "none"
    return "dest"


# Capitalised Latin words and Arabic words: the only ones that can start a place name.
# (?<!\w) is tested after the first letter, not before it: a pattern opening on one character
# class lets the regex engine skip ahead to candidate letters instead of trying every offset
# (an alternation of two classes would not: the first letter is one class of both scripts,
# and which script it was is read back with a lookbehind)
_NAME_START = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž\u0600-\u06ff](?<!\w.)"
                         r"(?:(?<=[A-ZÀ-ÖØ-ÞĀ-Ž])[^\W\d_]*(?:'[^\W\d_]+)?|[\u0600-\u06ff]*)")
_NAME_RUN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?(?:[ -][^\W\d_]+(?:'[^\W\d_]+)?){0,5}")
_RUN_SPLIT = re.compile(r"[ -]")


@dataclass(slots=True)
class Scan:
    """Every place named in a report, by position, and the countries the report is about."""
    names: list[tuple[int, str, list[Place]]]   # (offset, key, candidates)
    context: Counter[str]
    # the countries of the names that have one (any level, a town too): what a name shared by
    # places in several countries is read by when the report names no country ("evacuated
    # from Palma ... reached Pemba": the Mozambican Palma)
    neighbours: frozenset[str] = frozenset()


def _fold_word(w: str) -> str:
    return strip_accents(w).replace("'", "")


_SKIP, _ADJ, _NAME, _ONE = 0, 1, 2, 3


def _classify(w: str, gaz: Gazetteer, lx: Lexicon) -> tuple[int, str, int, str, list[Place]]:
    """What a capitalised (or Arabic) word is to the scan: (_SKIP, ...), (_ADJ, iso, ...) for a
    country adjective, (_NAME, folded word, ...) when it may start a longer place name, or
    (_ONE, folded word, k, key, places) when the word alone decides it (no longer name
    begins with it)."""
    first_words = gaz.first_words
    arabic = is_arabic(w)
    fw = w if arabic else _fold_word(w)
    if fw in lx.sentence_starters:
        return _SKIP, "", 0, "", []
    if arabic:
        if fw not in first_words and not (fw[0] in lx.name_clitics and fw[1:] in first_words):
            return _SKIP, "", 0, "", []
    elif fw not in first_words and fw[:-1] not in first_words:
        iso = gaz.adjectives.get(fw)
        return (_ADJ, iso, 0, "", []) if iso else (_SKIP, "", 0, "", [])
    if gaz.is_prefix(fw):
        return _NAME, fw, 0, "", []
    k, key, found = _match(gaz, [fw], w, fw, arabic, lx)
    if not found and gaz.adjectives.get(fw):
        # "Syrian", "Libyan": a country with an "n" is its adjective, no plural of a name
        return _ADJ, gaz.adjectives[fw], 0, "", []
    return _ONE, fw, k, key, found


def _match(gaz: Gazetteer, words: list[str], w: str, fw: str, arabic: bool,
           lx: Lexicon) -> tuple[int, str, list[Place]]:
    k, key = gaz.longest(words)
    found = gaz.lookup(key) if k else []
    plural = _suffix(words[0], lx.plural_suffixes)
    if not found and plural:
        k, key = 1, words[0][:-len(plural)]
        found = gaz.lookup(key)
    if not found and arabic and w[0] in lx.name_clitics and len(w) > 3 and not _kind_word(
            fw, gaz, lx):
        k, key = 1, fw[1:]
        found = gaz.lookup(key)
    return k, key, found


def _occurrences(text: str, word: str) -> list[int]:
    """Offsets where _NAME_START would match exactly `word` in `text`."""
    out: list[int] = []
    n = len(word)
    size = len(text)
    find = text.find
    i = find(word)
    if is_arabic(word):
        while i != -1:  # (is_arabic of one character, inline)
            if not (i and ARABIC_FIRST <= text[i - 1] <= ARABIC_LAST) and not (
                    i + n < size and ARABIC_FIRST <= text[i + n] <= ARABIC_LAST):
                out.append(i)
            i = find(word, i + 1)
        return out
    while i != -1:  # (the text's edges count as blanks)
        before = text[i - 1] if i else " "
        if not (before.isalnum() or before in "_'"):
            j = i + n
            after = text[j] if j < size else " "
            if not after.isalpha() and not (after == "'" and text[j + 1:j + 2].isalpha()):
                out.append(i)
        i = find(word, i + 1)
    return out


def scan(folded: str, original: str, gaz: Gazetteer, lx: Lexicon) -> Scan:
    """One pass over a report for place names (no roles): context countries and antecedents.
    Cheap: only words that start some gazetteer name are looked at closely. Always given the
    same lexicon (every language's): the gazetteer's word cache keeps its classifications."""
    names: list[tuple[int, str, list[Place]]] = []
    ctx: Counter[str] = Counter()
    cache = gaz.word_cache
    if len(cache) > 100_000:
        cache.clear()
    runs = gaz.run_cache
    if len(runs) > 100_000:
        runs.clear()
    # words are listed in C (findall) and classified once per distinct word; only those that
    # may start a name are then located (str.find), so the Python loop is over few words
    maybe: dict[str, tuple[int, str, int, str, list[Place]]] = {}
    # counted in C first: the loop runs once per distinct word (in first-occurrence order)
    for word, times in Counter(_NAME_START.findall(original)).items():
        got = cache.get(word)
        if got is None:
            got = cache[word] = _classify(fold(word), gaz, lx)
        state = got[0]
        if state == _ADJ:
            ctx[got[1]] += times
        elif state == _NAME or (state == _ONE and got[4]):
            maybe[word] = got
    starts = sorted((i, word) for word in maybe for i in _occurrences(original, word))
    spans: list[tuple[int, int, str, list[Place]]] = []
    pos = 0
    for start, word in starts:
        if start < pos:
            continue
        state, fw, k, key, found = maybe[word]
        words = [fw]
        if state == _NAME:
            w = folded[start:start + len(word)]
            run = _NAME_RUN.match(folded, start)
            # the same name run reads the same way wherever it stands: decided once
            run_key = (w, run.group() if run else "")
            got_run = runs.get(run_key)
            if got_run is None:
                arabic = is_arabic(w)
                if run:
                    words = [x if arabic else _fold_word(x)
                             for x in _RUN_SPLIT.split(run.group())]
                k, key, found = _match(gaz, words, w, fw, arabic, lx)
                adj = "" if found else gaz.adjectives.get(fw) or ""
                got_run = runs[run_key] = (words, k, key, found, adj)
            words, k, key, found, adj = got_run
            if adj:
                ctx[adj] += 1  # "Syrian refugees" (a "Syrian coast" begins so)
        if found and not (k == 1 and _common_noun(key, lx)):
            pos = start + len(" ".join(words[:k]))
            spans.append((start, pos, key, found))
    neighbours: set[str] = set()
    for start, _, key, found in _whole_spans(original, spans):
        names.append((start, key, found))
        countries = {p.country for p in found}
        if len(countries) == 1:
            neighbours |= countries
            if any(p.level != "city" for p in found):
                ctx[next(iter(countries))] += 1
    return Scan(names, ctx, frozenset(neighbours))


def _whole_spans(original: str, spans: list[tuple[int, int, str, list[Place]]]
                 ) -> list[tuple[int, int, str, list[Place]]]:
    """_whole_names for the report scan, on character offsets: "Lac Vert", "Pobé-Mengao"."""
    drop: set[int] = set()
    for k, (_, end, _, found) in enumerate(spans):
        if (original[end:end + 1] == "-" and original[end + 1:end + 2].isupper()
                and all(p.level != "country" for p in found)):
            drop.add(k)
        if k + 1 < len(spans):
            nxt_start, _, _, nxt_found = spans[k + 1]
            if (nxt_start == end + 1 and original[end] == " "
                    and not {p.country for p in found} & {p.country for p in nxt_found}):
                drop.update((k, k + 1))
    return [x for k, x in enumerate(spans) if k not in drop]


def resolve(m: Mention, gaz: Gazetteer, ctx: Counter[str],
            neighbours: frozenset[str] = frozenset()) -> None:
    if m.candidates:
        ranked = gaz.rank(m.candidates, m.key, ctx)
        best = ranked[0]
        if best.level != "country" and best.country not in ctx and (
                best.country not in neighbours):
            # no country of the report's: the one of a place named beside it
            best = next((p for p in ranked if p.country in neighbours), best)
        m.place = best


def antecedent(m: Mention, history: list[Place], lx: Lexicon) -> Place | None:
    """The latest earlier place an anaphor can mean: "the base" -> the last base named."""
    wanted = lx.anaphor_kinds.get(m.anaphor_word)
    for place in reversed(history):
        if place.level not in m.anaphor:
            continue
        if wanted and not any(w in normalize(place.name).split() for w in wanted):
            continue
        return place
    return None
