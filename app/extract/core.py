"""The extractor: from a report's text to displacement figures (see CONTRACT.md)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

from app.extract import discourse, language
from app.extract import places as pl
from app.extract.confidence import Evidence, confidence
from app.extract.figures import (
    Candidate,
    candidate,
    death_phrase,
    own_verb,
    rejected_context,
    said_hosting,
)
from app.extract.lexicon import Lexicon, every, load, vocabulary
from app.extract.numbers import Amount, find_amounts
from app.extract.text import TATWEEL, Token, fold, sentence_at, strip_accents, tokenize
from app.extract.timing import as_of, kind_of
from app.gazetteer.index import Gazetteer, Place, load_gazetteer

EXTRACTOR_VERSION = "2025.3"
_LOOKBACK = 50  # places an anaphor may reach back over
MAX_FIGURES = 200  # per report (CONTRACT.md): a flood of numbers gives a small answer
MAX_QUOTE = 400    # characters of a quote, cut around the number in a long sentence

_WORDS = re.compile(r"[^\W\d_]+")
_LINE_BROKEN = re.compile(r"([^\W\d_]+)-[ \t]*\n[ \t]*([^\W\d_]+)")
_DIGIT = re.compile(r"\d")
_ASCII = bytes(range(128))


class _Prefilter:
    """What a lexicon makes cheap to look for in a whole report: its trigger words (as UTF-8
    bytes, see _present_triggers), the stems found inside clitic-glued words, and whether a
    sentence holds a digit or a number word at all."""

    def __init__(self, lx: Lexicon) -> None:
        self.triggers = lx.triggers
        self.triggers_b = frozenset(w.encode() for w in lx.triggers)
        self.stems = lx.displacement_stems
        self.stems_re = re.compile("|".join(map(re.escape, self.stems))) if self.stems else None
        # str.find on each stem is faster than the regex (an alternation of words that open
        # on common letters); empty stems would match everywhere: left to the regex
        self.stems_found = all(self.stems)
        # each stem's non-ASCII characters (UTF-8): where they are not among the report's own
        # non-ASCII characters (a short string), the stem is nowhere in the report
        self.stem_marks = tuple("".join(c for c in stem if not c.isascii()).encode()
                                for stem in self.stems)
        words = sorted(lx.number_words, key=len, reverse=True)
        # a regex of every number word is slow (its alternatives are tried at each offset):
        # it is kept for text whose words carry vowel marks, sets serve the rest
        self.numberish = re.compile("|".join([r"\d", *map(re.escape, words)]))
        self.number_words = frozenset(lx.number_words)
        self.joiners = frozenset(j for j in lx.number_joiners if len(j) == 1)

    def has_number(self, folded: str, a: int, b: int) -> bool:
        """Whether folded[a:b] holds a digit or a number word (a glued "و" allowed)."""
        if _DIGIT.search(folded, a, b):
            return True
        if TATWEEL in folded:
            return self.numberish.search(folded, a, b) is not None
        words = set(_WORDS.findall(folded, a, b))
        if not words.isdisjoint(self.number_words):
            return True
        return any(w[1:] in self.number_words for w in words if w[:1] in self.joiners)

    def stem_positions(self, s: str, data: bytes) -> list[int]:
        """Where the stems' regex matches in `s` (left to right, no overlaps, the first stem
        listed winning at one offset), in order. `data` is `s` as UTF-8."""
        if self.stems_re is None or not self.stems_found:
            return [] if self.stems_re is None else [m.start() for m in self.stems_re.finditer(s)]
        marks = data.translate(None, _ASCII)  # UTF-8 keeps the other characters whole
        found: list[tuple[int, int, int]] = []  # (offset, rank in the list, length)
        for rank, stem in enumerate(self.stems):
            if self.stem_marks[rank] not in marks:
                continue
            i = s.find(stem)
            while i != -1:
                found.append((i, rank, len(stem)))
                i = s.find(stem, i + 1)
        out: list[int] = []
        end = 0
        for i, _, n in sorted(found):
            if i >= end:
                out.append(i)
                end = i + n
        return out

    def has_stem(self, s: str) -> bool:
        # Arabic clitics glue to words ("والنازحين", "فنزح"): look for the roots inside words
        return any(stem in s for stem in self.stems)


_PREFILTERS: dict[str, _Prefilter] = {}


def _prefilter(lx: Lexicon) -> _Prefilter:
    got = _PREFILTERS.get(lx.code)
    if got is None:
        got = _PREFILTERS[lx.code] = _Prefilter(lx)
    return got


@dataclass(frozen=True, slots=True)
class ExtractedFigure:
    count: int
    low: int | None
    high: int | None
    qualifier: str
    unit: str
    people: int
    kind: str
    destination: Place | None
    origin: Place | None
    as_of: date | None
    span: tuple[int, int]
    quote: str
    evidence: int = Evidence.NONE  # Evidence flags
    confidence: float = 0.5
    in_place: bool = False  # dwellings emptied where they stand: no destination to give

    def to_contract(self) -> dict[str, Any]:
        """The figure object exactly as CONTRACT.md lays it out."""
        return {
            "count": self.count,
            "low": self.low,
            "high": self.high,
            "qualifier": self.qualifier,
            "unit": self.unit,
            "people": self.people,
            "kind": self.kind,
            "destination": None if self.destination is None else self.destination.to_ref(),
            "origin": None if self.origin is None else self.origin.to_ref(),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "span": [self.span[0], self.span[1]],
            "quote": self.quote,
            "confidence": self.confidence,
        }


def _hard_boundary(toks: list[Token], i: int, lx: Lexicon) -> bool:
    """A clause break at toks[i]: ';', ', and', ', but', ', while', or a subordinator."""
    t = toks[i]
    if t.text in (";", ":", "(", ")"):
        return True
    if t.text == "-" and i > 0 and toks[i - 1].end < t.start:
        return not _dash_aside(toks, i)  # a spaced dash, not a hyphen
    if t.text == "," and i + 1 < len(toks) and toks[i + 1].norm in lx.clause_conj:
        return True
    return t.norm in lx.subordinators and i > 0


def _spaced_dash(toks: list[Token], i: int) -> bool:
    return toks[i].text == "-" and i > 0 and toks[i - 1].end < toks[i].start


def _dash_aside(toks: list[Token], i: int) -> bool:
    """Whether the spaced dash at toks[i] opens or closes a short aside without a number
    ("250 people - mostly women and children - arrived"): commas, not clause breaks."""
    for step in (1, -1):
        j = i + step
        while 0 <= j < len(toks) and abs(j - i) <= 8 and toks[j].kind != "num" and (
                toks[j].text not in ",;:()"):
            if _spaced_dash(toks, j):
                return True
            j += step
    return False


def _bounds(toks: list[Token], lx: Lexicon) -> list[int]:
    return [i for i in range(len(toks)) if _hard_boundary(toks, i, lx)]


def _clause(bounds: list[int], first: int, last: int, n: int) -> tuple[int, int]:
    lo = max((b for b in bounds if b < first), default=-1) + 1
    hi = min((b for b in bounds if b > last), default=n)
    return lo, hi


def _bounds_between(bounds: list[int], a: int, b: int) -> list[int]:
    return [x for x in bounds if a < x < b]


class _Doc:
    """Per-report state: the place scan (context countries, antecedents), made on demand."""

    def __init__(self, text: str, folded: str, words: set[bytes], gaz: Gazetteer,
                 language_of: Callable[[], Lexicon]) -> None:
        self.text = text
        self.words = words
        self._language_of = language_of
        self._lx: Lexicon | None = None
        self.folded = folded
        self.gaz = gaz
        self._scan: pl.Scan | None = None
        self._resolved: list[tuple[int, Place]] | None = None
        self._positions: list[int] = []
        self._expulsion: bool | None = None

    @property
    def lx(self) -> Lexicon:
        """The report's language, detected when a sentence first needs it."""
        if self._lx is None:
            self._lx = self._language_of()
        return self._lx

    @property
    def expulsion(self) -> bool:
        """The report is about a campaign expelling migrants: people leaving or crossing out
        are sent back, not displaced ("165,000 Afghans have left Pakistan since the crackdown
        on undocumented migrants began")."""
        if self._expulsion is None:
            # a phrase can only occur when each of its words does: checked on the report's
            # distinct words first, so most reports never strip the accents of their whole text
            # (ASCII words are their own bare form: looked up as bytes, only the others are
            # decoded and stripped)
            words = self.words
            bare = {strip_accents(w.decode("utf-8", "surrogatepass"))
                    for w in words if not w.isascii()}
            maybe = [p for p in self.lx.expulsion_campaigns
                     if not all(w.isalpha() for w in p) or all(
                         (w.isascii() and w.encode() in words) or w in bare for w in p)]
            plain = strip_accents(self.folded) if maybe else ""
            self._expulsion = any(" ".join(p) in plain for p in maybe)
        return self._expulsion

    @property
    def scan(self) -> pl.Scan:
        # capitalised words of every language: the scan only gathers names and countries
        if self._scan is None:
            self._scan = pl.scan(self.folded, self.text, self.gaz, every())
        return self._scan

    def places_before(self, offset: int) -> list[Place]:
        """The last places named before `offset`, in order: what an anaphor can mean.
        Bounded (bisect, then at most _LOOKBACK places) so long reports stay linear."""
        if self._resolved is None:
            ctx = self.scan.context
            self._resolved = [(pos, self.gaz.rank(c, key, ctx)[0])
                              for pos, key, c in self.scan.names]
            self._positions = [pos for pos, _ in self._resolved]
        k = bisect.bisect_left(self._positions, offset)
        return [p for _, p in self._resolved[max(0, k - _LOOKBACK):k]]


def extract(text: str, published: date | None = None, lang: str | None = None, *,
            gazetteer: Gazetteer | None = None, household_size: int = 5,
            household_sizes: Mapping[str, int] | None = None) -> list[ExtractedFigure]:
    """Displacement figures in `text`; never raises on any str input (else returns []).
    `lang` is a hint: the language is detected from the text when it does not fit."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        return _extract(text, published if isinstance(published, date) else None,
                        lang if isinstance(lang, str) else None,
                        gazetteer or load_gazetteer(), household_size, household_sizes or {})
    except RecursionError:  # pragma: no cover - defensive: a report is never worth a crash
        return []


def _extract(text: str, published: date | None, lang: str | None, gaz: Gazetteer,
             household_size: int, household_sizes: Mapping[str, int]) -> list[ExtractedFigure]:
    folded = fold(text)
    # every language's trigger words find the sentences worth reading; each sentence is then
    # read with its own language's lexicon
    pf = _prefilter(every())
    data = folded.encode("utf-8", "surrogatepass")
    words = _report_words(data)
    present = {w.decode() for w in pf.triggers_b.intersection(words)}
    stem_at = pf.stem_positions(folded, data)  # found at all when some stem is in the report
    if not present and not stem_at and TATWEEL not in folded and "-\n" not in folded:
        return []
    # Only sentences holding a displacement word are read closely.
    if TATWEEL in folded:  # Arabic with vowel marks: words carry tatweels, compare without
        trigger_at = [m.start() for m in _WORDS.finditer(folded)
                      if m.group().replace(TATWEEL, "") in pf.triggers]
    else:
        trigger_at = [i for w in present for i in _word_positions(folded, w)]
    trigger_at += stem_at
    if "-\n" in folded:  # "dis-\nplaced": a trigger hyphenated across a line break
        trigger_at += [m.start() for m in _LINE_BROKEN.finditer(folded)
                       if m.group(1) + m.group(2) in pf.triggers]
    trigger_at.sort()
    doc = _Doc(text, folded, words, gaz, lambda: load(language.of_report(words, lang)))
    out: list[ExtractedFigure] = []
    sentences: list[tuple[int, int]] = []  # each figure's sentence
    done = 0
    for pos in trigger_at:
        if pos < done:
            continue
        a, b = sentence_at(folded, text, pos, done)
        done = b
        if not pf.has_number(folded, a, b):
            continue
        got = _sentence(doc, a, b, published, household_size, household_sizes)
        out += got
        sentences += [(a, b)] * len(got)
        if len(out) >= MAX_FIGURES:
            break
    return _discourse(doc, out[:MAX_FIGURES], sentences[:MAX_FIGURES])


# ASCII punctuation, digits and blanks to spaces: bytes.translate + split runs at C speed, far
# cheaper than a \w+ regex over the whole report. UTF-8 bytes of other letters are >= 0x80 and
# stay inside their words.
_SPLIT_BYTES = bytes(
    32 if (c < 128 and not chr(c).isalpha()) else c for c in range(256))


def _report_words(data: bytes) -> set[bytes]:
    """The distinct words of a folded report given as UTF-8 (surrogates passed), as bytes."""
    return set(data.translate(_SPLIT_BYTES).split())



def _word_positions(s: str, word: str) -> list[int]:
    """Offsets where `word` stands as a whole word in `s` (str.find runs in C)."""
    out: list[int] = []
    n = len(word)
    i = s.find(word)
    while i != -1:
        if (i == 0 or not s[i - 1].isalnum()) and (i + n == len(s) or not s[i + n].isalnum()):
            out.append(i)
        i = s.find(word, i + 1)
    return out


_GLUED_MIN = 6  # shortest pair of words PDF extraction glues worth splitting ("lecamp")


@dataclass(frozen=True, slots=True)
class _Glue:
    known: frozenset[str]      # every word the lexicon knows
    function: frozenset[str]   # its short grammar words: one side of a glued pair


@cache
def _glued(lx: Lexicon) -> _Glue:
    return _Glue(vocabulary(lx) | lx.function_words, lx.function_words)


def _unglue(toks: list[Token], g: _Glue) -> list[Token]:
    """Words glued by PDF extraction split in two ("displacedby", "forcedmore", "lecamp"):
    an unknown lower-case word made of a known word and a grammar word of the language."""
    out: list[Token] = []
    for t in toks:
        w = t.norm
        if (t.kind != "word" or t.upper or len(w) < _GLUED_MIN or w in g.known
                or len(t.text) != len(w) or not w.isalpha()):
            out.append(t)
            continue
        for k in range(2, len(w) - 1):
            head, tail = w[:k], w[k:]
            if head in g.known and tail in g.known and (head in g.function or tail in g.function):
                out.append(Token(t.text[:k], head, t.start, t.start + k, False, "word"))
                out.append(Token(t.text[k:], tail, t.start + k, t.end, False, "word"))
                break
        else:
            out.append(t)
    return out


def _sentence(doc: _Doc, a: int, b: int, published: date | None,
              household_size: int, household_sizes: Mapping[str, int]) -> list[ExtractedFigure]:
    toks = tokenize(doc.folded, doc.text, a, b)
    sentence_words = {t.norm for t in toks}
    lx = load(language.of_sentence(sentence_words, doc.lx.code))
    glued = _glued(lx)
    if not glued.known.issuperset(w for w in sentence_words if len(w) >= _GLUED_MIN):
        toks = _unglue(toks, glued)
        sentence_words = {t.norm for t in toks}
    n = len(toks)
    rumoured = not sentence_words.isdisjoint(lx.rejection)
    has_displacement = not sentence_words.isdisjoint(lx.displacement) or _prefilter(
        lx).has_stem(doc.folded[a:b])
    has_stock = not (sentence_words.isdisjoint(lx.stock_verbs)
                     and sentence_words.isdisjoint(lx.register)
                     and sentence_words.isdisjoint(lx.remain)
                     and sentence_words.isdisjoint(lx.hosting))
    bounds = _bounds(toks, lx)
    amounts = find_amounts(toks, lx)
    cands: list[Candidate] = []
    previous: Candidate | None = None
    killed = False  # the amount before was read and rejected by its words (a death toll)
    for k, amt in enumerate(amounts):
        clause_lo, clause_hi = lo, hi = _clause(bounds, amt.first, amt.last, n)
        if k > 0:
            lo = max(lo, amounts[k - 1].last + 1)
        if k + 1 < len(amounts):
            hi = _own_end(toks, amt, min(hi, amounts[k + 1].first), lx)
        c = candidate(toks, amt, lo, hi, previous, lx)
        if c is not None and killed and _elliptical(toks, amounts[k - 1], amt, hi, lx):
            c = None  # "72 losing their lives in Jableh and 60 others in Baniyas"
        if c is not None and _strip_article(toks[c.noun_end].norm, lx) in lx.demographic and (
                c.part or any(t.norm in lx.part_before for t in toks[lo:amt.first][-6:])):
            c = None  # "including 300 children": a breakdown of a figure, not a second one
        if c is not None and c.part and not c.aside and _idle_part(toks, c, hi, lx):
            c = None  # "de los cuales 1,7 millones ya cuentan con el Estatuto": no movement
        if c is not None and any(t.norm in lx.exits for t in toks[lo:hi]) and doc.expulsion:
            c = None  # leaving the country that expels them: a return
        if c is not None and rumoured and (any(
                t.norm in lx.rejection for t in toks[clause_lo:clause_hi])
                or _denied_after(toks, bounds, clause_hi, lx)):
            c = None  # "denied rumours that 50,000 had fled"
        killed = c is None and not _dated(toks, amt, lx) and rejected_context(
            toks, amt, lo, hi, lx)
        if c is None:
            continue
        cands.append(c)
        previous = c
    if not cands:
        return []
    if not has_displacement:  # "ونزوح": a one-letter "and" glued to the word of movement
        has_displacement = any(w[:1] in lx.coordinators and w[1:] in lx.displacement
                               for w in sentence_words)
    # places are read only for sentences that hold a figure: the report-wide scan they
    # need (context countries, antecedents) is the costly part
    mentions = _mentions(doc, toks, lx)
    figures: list[tuple[Candidate, Place | None, Place | None, int, int]] = []
    how: list[int] = []   # where each figure's destination came from
    for k, c in enumerate(cands):
        seg_lo, seg_hi = _segment(cands, k, bounds, n)
        dest, origin = _places_in(doc, toks, mentions, seg_lo, seg_hi, c, lx)
        first = c.amount.first
        if dest is None and first > 0 and toks[first - 1].text == ":" and (
                c.noun_end + 1 >= n or toks[c.noun_end + 1].kind == "punct"):
            # a table cell: "IDPs in shelters in Benghazi: 15,200" names its place in the label
            label = max((b for b in bounds if b < first - 1), default=-1) + 1
            dest, origin = _places_in(doc, toks, mentions, label, first - 1, c, lx)
        if c.dwelling:  # "9,800 homes in Dadu were evacuated": where the homes are
            dest, origin = None, origin or dest
        if c.list_place >= 0:  # "seguida de Perú, con 768.000": the item's own place
            dest = next((m.place for m in mentions if m.last == c.list_place), None) or dest
        if dest is None:  # "1,700 families (about 10,000 people) fled to Marib"
            after = _after_brackets(toks, bounds, c.noun_end + 1)
            if after is not None:
                dest, origin = _places_in(doc, toks, mentions, after[0], after[1], c, lx)
        if dest is None:
            dest = _speaker_goes_on(toks, mentions, bounds, c.amount.first, lx) or dest
        borrowed = False  # the destination comes from another clause's place
        if dest is None and any(t.norm in lx.wild_places for t in toks[seg_lo:seg_hi]):
            # "fled into the bush", "a la selva": inside the country they fled within; "...
            # evacuated from X, while thousands more fled into the forest": the sentence's
            # origin before the figure when its clause names none
            source = origin or next((f[2] for f in reversed(figures) if f[2] is not None),
                                    None) or next((m.place for m in reversed(mentions) if (
                                        m.role == "origin" and m.last < c.amount.first)), None)
            if source is not None:
                dest = doc.gaz.get(source.country) or dest
                borrowed = source is not origin
        if dest is None and origin is not None and c.displaced_noun and not c.dwelling and (
                sentence_words.isdisjoint(lx.crossing)):
            # "la cifra de desplazados por la violencia en el Catatumbo": the displaced of a
            # region (read as where the violence is, not as whence they fled) are in its country
            region = _located(toks, mentions, seg_lo, seg_hi, lx)
            if region is not None:
                dest = doc.gaz.get(region.country) or dest
                borrowed = dest is not None
        if k:  # a running total names its own place when it has one ("bringing ... in X to N")
            own = next((j for j in range(cands[k - 1].noun_end + 1, c.amount.first)
                        if toks[j].norm in lx.bringing), None)
            if own is not None:
                own_dest, _ = _places_in(doc, toks, mentions, own, seg_hi, c, lx)
                dest = own_dest or dest
        how.append(Evidence.NONE if dest is None else Evidence.DEST_SHARED if borrowed
                   else Evidence.DEST_ROLE)
        if dest is not None and any(m.anaphor and m.place is dest for m in mentions):
            how[k] |= Evidence.DEST_ANAPHOR
        if dest is None and (has_displacement or c.displaced_noun):
            floor = cands[k - 1].amount.last + 1 if k else 0
            dest = _relative_antecedent(toks, mentions, floor, c.amount.first, lx)
            how[k] = Evidence.DEST_RELATIVE if dest is not None else Evidence.NONE
        figures.append((c, dest, origin, seg_lo, seg_hi))
    # Figures in one clause group share a destination: "2,300 families, or around 11,000
    # individuals, in Akkar"; "900 arrived in Akkar, bringing the number there to 8,700".
    for k, (c, dest, origin, lo, hi) in enumerate(figures):
        if dest is not None:
            continue
        if c.earlier and k and figures[k - 1][1] is not None:
            figures[k] = (c, figures[k - 1][1], origin, lo, hi)  # "..., up from 6,650"
            how[k] = Evidence.DEST_SHARED
            continue
        for o in sorted(range(len(figures)), key=lambda x: abs(x - k)):
            other = figures[o]
            if o == k or other[1] is None:
                continue
            # a part's own destination is not its whole's: "500,000 fled, 281,000 of them
            # to Poland" (unless the part is an aside: ", including 20,000 children, fled to")
            if o > k and other[0].part and not other[0].aside:
                continue
            lo_, hi_ = sorted((c.amount.first, other[0].amount.first))
            # "1,700 families (about 10,000 people) fled to Marib": a bracketed equivalent
            if not any(toks[x].text not in "()" for x in _bounds_between(bounds, lo_, hi_)):
                figures[k] = (c, other[1], origin, lo, hi)
                how[k] = Evidence.DEST_SHARED
                break
    scene = _scene(toks, mentions, lx) if any(f[1] is None for f in figures) else None
    if scene is not None:
        for k, (c, dest, origin, lo, hi) in enumerate(figures):
            # "Au Burundi, ... plus de 9 000 personnes ont traversé la rivière": the fronted
            # locative sets the scene for every figure that names no place of its own
            # (not the speaker's place: "In Geneva, a spokesman said N had fled"; not for a
            # figure that names where it came from: the scene is then the origin's setting)
            if dest is None and origin is None and scene.place is not None and not any(
                    t.norm in lx.speech for t in toks[scene.last + 1:cands[0].amount.first]):
                figures[k] = (c, scene.place, origin, lo, hi)
                how[k] = Evidence.DEST_RELATIVE
    out: list[ExtractedFigure] = []
    seen: set[tuple[int, str, str | None]] = set()
    sentence_date = as_of(toks, 0, n, published, lx)
    hedged = not sentence_words.isdisjoint(_hedges(lx))
    for k, (c, dest, origin, lo, hi) in enumerate(figures):
        # Without displacement wording the figure needs a stock verb and a place: "800
        # households from the coast are now in Wadi Khaled", "are staying in schools in X".
        if dest is None and said_hosting(toks, c.amount, lx):
            # "Rwandan authorities said they had received 1,200 Congolese": the speaker hosts
            dest = _speaking_country(doc, toks, c.amount.first, lx)
            if dest is not None:
                how[k] = Evidence.DEST_SHARED
                figures[k] = (c, dest, origin, lo, hi)
        if not (has_displacement or c.displaced_noun or (has_stock and dest is not None)):
            continue
        amt = c.amount
        if k and c.qualifier == "exact" and amt.first > 0 and toks[amt.first - 1].text == "(" and (
                figures[k - 1][0].noun_end == amt.first - 2):
            # "al menos 420 familias (1.260 personas)": the bracketed equivalent is as sure
            c = replace(c, qualifier=figures[k - 1][0].qualifier)
        # the same figure said twice in one sentence comes out once
        key = (amt.value, c.unit, None if dest is None else dest.id)
        if key in seen:
            continue
        seen.add(key)
        size = household_size
        if dest is not None:
            size = household_sizes.get(dest.country, household_size)
        people = amt.value if c.unit == "people" else amt.value * size
        low, high = amt.low, amt.high
        if amt.vague is None and not amt.range_:
            low, high = _bounds_of(c.qualifier, amt.value)
        kind = kind_of(toks, *_around_brackets(toks, bounds, lo, _own_end(toks, amt, hi, lx)),
                       amt.first, c.noun_end, lx)
        if c.earlier and out:
            kind = out[-1].kind  # "..., up from 410,000 in January": the same count's kind
        out.append(ExtractedFigure(
            count=amt.value, low=low, high=high, qualifier=c.qualifier, unit=c.unit,
            people=people, kind=kind, destination=dest,
            origin=origin, as_of=as_of(toks, lo, hi, published, lx) or sentence_date,
            span=(amt.start, amt.end), quote=quote_around(doc.text, a, b, amt.start, amt.end),
            evidence=(ev := _evidence(toks, lx, c, lo, hi, dest, origin, how[k], hedged,
                                      len(cands))),
            confidence=confidence(ev), in_place=c.dwelling,
        ))
    return out


def _speaker_goes_on(toks: list[Token], mentions: list[pl.Mention], bounds: list[int],
                     first: int, lx: Lexicon) -> Place | None:
    """The destination of the clause before, when the figure's clause is the speaker going on
    about it after a comma: "denied that 50,000 had reached X, stressing that the number of
    arrivals did not exceed 6,000" ("..., مؤكدا أن عدد الوافدين لم يتجاوز 6 آلاف")."""
    b = max((x for x in bounds if x < first), default=-1)
    if b < 1 or toks[b].text != "," or toks[b + 1].norm not in lx.speech:
        return None
    start = max((x for x in bounds if x < b), default=-1) + 1
    return next((m.place for m in mentions if m.role == "dest" and m.place is not None
                 and start <= m.first and m.last < b), None)


def _speaking_country(doc: _Doc, toks: list[Token], first: int, lx: Lexicon) -> Place | None:
    """The country of the speaker named before toks[first]: a country adjective next to a
    speaker noun ("Rwandan authorities", "les autorités tchadiennes", "السلطات الأردنية")."""
    for i in range(first - 1, -1, -1):
        if toks[i].norm not in lx.speakers:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < first and toks[j].kind == "word":
                word = toks[j].norm
                iso = lx.country_adjectives.get(word) or doc.gaz.adjectives.get(word)
                if iso:
                    return doc.gaz.get(iso)
    return None


def _mentions(doc: _Doc, toks: list[Token], lx: Lexicon) -> list[pl.Mention]:
    """The places a sentence names, with their roles, resolved."""
    mentions = pl.find_mentions(toks, doc.gaz, lx)
    for m in mentions:
        if m.anaphor:
            m.place = pl.antecedent(m, doc.places_before(toks[m.first].start), lx)
        elif len(m.candidates) == 1:
            m.place = m.candidates[0]
        else:
            # the report-wide scan only matters when a name is shared by several places
            pl.resolve(m, doc.gaz, doc.scan.context, doc.scan.neighbours)
    return mentions


def _discourse(doc: _Doc, figures: list[ExtractedFigure],
               sentences: list[tuple[int, int]]) -> list[ExtractedFigure]:
    """Figures with no destination of their own given one from the report (discourse.py)."""
    if all(f.destination is not None or f.in_place for f in figures):
        return figures

    def read(a: int, b: int) -> discourse.Reading:
        toks = tokenize(doc.folded, doc.text, a, b)
        lx = load(language.of_sentence({t.norm for t in toks}, doc.lx.code))
        return discourse.Reading(a, b, toks, _mentions(doc, toks, lx), lx)

    def next_sentence(b: int) -> tuple[int, int] | None:
        pos = b
        while pos < len(doc.text) and not doc.text[pos].isalnum():
            pos += 1
        if pos >= len(doc.text):
            return None
        return sentence_at(doc.folded, doc.text, pos, b)

    def dominant() -> str | None:
        # the country the headline (or dateline) names that the report names most
        start = next((i for i, ch in enumerate(doc.text) if ch.isalnum()), 0)
        end = sentence_at(doc.folded, doc.text, start)[1]
        named: set[str] = set()
        for pos, key, found in doc.scan.names:
            if pos >= end:
                break
            # a country or a region, not a town that may be the speaker's ("in Khartoum")
            place = doc.gaz.rank(found, key, doc.scan.context)[0]
            before = _WORDS.findall(doc.folded, max(0, pos - 30), pos)[-2:]
            if any(w in doc.lx.speakers for w in before):
                continue  # "authorities in X said": where they speak, not what of
            if place.level in ("country", "admin1"):
                named.add(place.country)
        # ... and that the report names most: headline and body agree
        top = doc.scan.context.most_common(1)
        if not top:  # names shared by several countries leave no context: one named decides
            return next(iter(named)) if len(named) == 1 else None
        return top[0][0] if top[0][0] in named else None

    report = discourse.Report(doc.text, doc.gaz, read, next_sentence, dominant)
    items = [discourse.Item(f.span[0], f.span[1], a, b, f.destination, f.origin)
             for f, (a, b) in zip(figures, sentences, strict=True)]
    out: list[ExtractedFigure] = []
    for f, got in zip(figures, discourse.destinations(report, items), strict=True):
        if got is not None and not f.in_place:
            ev = (f.evidence | Evidence.DEST_DISCOURSE) & ~Evidence.DEST_COUNTRY
            f = replace(f, destination=got, evidence=ev, confidence=confidence(ev))
        out.append(f)
    return out


def _around_brackets(toks: list[Token], bounds: list[int], lo: int, hi: int) -> tuple[int, int]:
    """A figure's clause read over a bracketed aside: "4,312 households (about 21,560 people)
    arrived between 20 and 31 March" -- both figures take the period after the brackets."""
    n = len(toks)
    if lo > 0 and toks[lo - 1].text == "(":
        lo = max((b for b in bounds if b < lo - 1 and toks[b].text != ")"), default=-1) + 1
        hi = next((b for b in bounds if b >= hi and toks[b].text == ")"), hi)
    while hi < n and toks[hi].text in ("(", ")"):
        close = next((b for b in bounds if b > hi and toks[b].text == ")"), None)
        if toks[hi].text == "(" and close is None:
            break
        start = close if toks[hi].text == "(" and close is not None else hi
        hi = next((b for b in bounds if b > start and toks[b].text != ")"), n)
    return lo, hi


@cache
def _hedges(lx: Lexicon) -> frozenset[str]:
    return lx.modals | lx.hedging | lx.modal_particles


def _evidence(toks: list[Token], lx: Lexicon, c: Candidate, lo: int, hi: int,
              dest: Place | None, origin: Place | None, how: int, hedged: bool,
              crowd: int) -> int:
    """The evidence flags of one figure (see confidence.py)."""
    e = how
    if c.displaced_noun:
        e |= Evidence.DISPLACED_NOUN
    if any(t.norm in lx.displacement for t in toks[lo:hi]):
        e |= Evidence.DISPLACEMENT_VERB
    elif not c.displaced_noun:
        e |= Evidence.STOCK_ONLY
    if dest is not None and dest.level == "country":
        e |= Evidence.DEST_COUNTRY
    if hedged:
        e |= Evidence.HEDGE
    if c.amount.vague is not None:
        e |= Evidence.VAGUE
    if c.noun_end == c.amount.last:
        e |= Evidence.IMPLIED_UNIT
    if crowd >= 3:
        e |= Evidence.CROWDED
    if c.part:
        e |= Evidence.PART
    if origin is not None:
        e |= Evidence.ORIGIN
    return e


def quote_around(text: str, a: int, b: int, start: int, end: int) -> str:
    """The sentence text[a:b], or in a long sentence at most MAX_QUOTE characters of it around
    the number text[start:end], cut at blanks when one is near."""
    quote = text[a:b].strip()
    if len(quote) <= MAX_QUOTE:
        return quote
    room = max(0, MAX_QUOTE - (end - start))
    lo = max(a, start - room // 2)
    hi = min(b, lo + MAX_QUOTE)
    lo = max(a, hi - MAX_QUOTE)
    # a cut inside a word moves to the next blank (within a tenth of the window)
    if lo > a:
        blank = text.find(" ", lo, min(start, lo + MAX_QUOTE // 10))
        lo = blank + 1 if blank != -1 else lo
    if hi < b:
        blank = text.rfind(" ", max(end, hi - MAX_QUOTE // 10), hi)
        hi = blank if blank != -1 else hi
    return text[lo:hi].strip()[:MAX_QUOTE]


def _bounds_of(qualifier: str, value: int) -> tuple[int | None, int | None]:
    if qualifier == "exact":
        return value, value
    if qualifier in ("at_least", "more_than"):
        return value, None
    if qualifier in ("up_to", "less_than"):
        return None, value
    return None, None


def _segment(cands: list[Candidate], k: int, bounds: list[int], n: int) -> tuple[int, int]:
    """Token range whose places belong to figure k: from the clause break (or the figure)
    before it to the next figure or clause break."""
    amt = cands[k].amount
    if k == 0:
        lo = max((b for b in bounds if b < amt.first), default=-1) + 1
    else:
        prev = cands[k - 1].amount
        between = _bounds_between(bounds, prev.last, amt.first)
        lo = between[-1] + 1 if between else amt.first
    if k + 1 < len(cands):
        nxt = cands[k + 1].amount
        between = _bounds_between(bounds, amt.last, nxt.first)
        hi = between[0] if between else nxt.first
    else:
        hi = min((b for b in bounds if b > max(amt.last, cands[k].noun_end)), default=n)
    return lo, hi


def _relative_antecedent(toks: list[Token], mentions: list[pl.Mention], floor: int,
                         first: int, lx: Lexicon) -> Place | None:
    """The place a relative clause holding the figure hangs on: "fled to Adré, where 400,000
    already live", "Goma, où 200 000 déplacés vivent", "رفح حيث يحتمي مليون نازح"."""
    for r in range(first - 1, max(floor, first - 12) - 1, -1):
        if toks[r].text not in lx.relative:
            continue
        end = r - 1 if r > 0 and toks[r - 1].text == "," else r
        for m in mentions:
            if m.last == end - 1 and m.place is not None and not m.possessive:
                return m.place
        return None
    return None


def _idle_part(toks: list[Token], c: Candidate, hi: int, lx: Lexicon) -> bool:
    """A part of an earlier figure that neither moves nor has a place of its own."""
    if any(t.norm in lx.dest_preps for t in toks[c.noun_end + 1:min(hi, c.noun_end + 4)]):
        return False  # "dont 281 000 en Pologne", "281,000 of them went to Poland"
    return not own_verb(toks, c.amount.first, c.amount.last, hi, lx)


def _after_brackets(toks: list[Token], bounds: list[int], j: int) -> tuple[int, int] | None:
    """The stretch after a bracketed aside that follows a figure's noun at toks[j:]."""
    if j >= len(toks) or toks[j].text != "(":
        return None
    close = next((b for b in bounds if b > j and toks[b].text == ")"), None)
    if close is None:
        return None
    return close + 1, next((b for b in bounds if b > close), len(toks))


def _dated(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """A date or a measure ("25 August", "40 %"): rejected for what it is, no verdict that a
    next figure could share."""
    near = toks[max(0, amt.first - 1):amt.first] + toks[amt.last + 1:amt.last + 2]
    return any(t.norm in lx.months or t.norm in lx.percent or t.norm in lx.money for t in near)


@cache
def _qualifier_words_of(lx: Lexicon) -> frozenset[str]:
    """Every word of the lexicon's qualifier phrases."""
    return frozenset(w for q in lx.qualifiers for w in q)


def _own_end(toks: list[Token], amt: Amount, hi: int, lx: Lexicon) -> int:
    """`hi` moved back over the next figure's own leading words ("and another 2,000", "y
    otras 2.000"): they are not this figure's period or qualifier. At a clause break no
    figure follows: "evacuated 4,500 people overnight, as ..." keeps its "overnight"."""
    if hi >= len(toks) or toks[hi].kind == "punct" or toks[hi].norm in lx.subordinators:
        return hi
    while hi - 1 > amt.last and toks[hi - 1].kind == "word" and (
            toks[hi - 1].norm in lx.new_markers or toks[hi - 1].norm in lx.another
            or toks[hi - 1].norm in _qualifier_words_of(lx)):
        hi -= 1
    return hi


def _denied_after(toks: list[Token], bounds: list[int], hi: int, lx: Lexicon) -> bool:
    """Whether the clause after the figure's, opened by "but", denies it and counts nothing of
    its own: "10,000 had fled X, but the government dismissed the claim as false"."""
    j = hi + 1 if hi < len(toks) and toks[hi].text == "," else hi
    if j >= len(toks) or toks[j].norm not in lx.contrast:
        return False
    span = toks[j:min((b for b in bounds if b > j), default=len(toks))]
    return all(t.kind != "num" for t in span) and any(t.norm in lx.rejection for t in span)


def _elliptical(toks: list[Token], before: Amount, amt: Amount, hi: int, lx: Lexicon) -> bool:
    """Whether an amount joined to the one before has no verb of its own ("and 60 others in
    Baniyas"), so it shares that one's verb and verdict (not across a ';')."""
    if any(t.text == ";" for t in toks[before.last + 1:amt.first]):
        return False
    span = toks[before.last + 1:amt.first] + toks[amt.last + 1:hi]
    verbs = (lx.displacement, lx.stock_verbs, lx.register, lx.remain, lx.hosting)
    dying = {k + m for k in range(len(span)) if death_phrase(span, k, lx)
             for m in range(2)}  # "their lives" is no "lives" of a stock
    # "ونزوح": "and" glued to the verb or noun of movement
    return not any(t.norm in words or (t.norm[:1] in lx.coordinators and t.norm[1:] in words)
                   for k, t in enumerate(span) if k not in dying for words in verbs)


def _strip_article(word: str, lx: Lexicon) -> str:
    for prefix in lx.article_prefixes:
        if word.startswith(prefix) and len(word) > len(prefix) + 2:
            return word[len(prefix):]
    return word


def _fronted(toks: list[Token], m: pl.Mention, c: Candidate, lx: Lexicon) -> bool:
    """A place inside a fronted subordinate clause ("After gangs killed 115 people in
    Pont-Sondé, 6,270 residents fled") is not where the figure's people went."""
    if m.last >= c.amount.first:
        return False
    if not any(t.text == "," for t in toks[m.last + 1:c.amount.first]):
        return False
    return any(t.norm in lx.front_subordinators for t in toks[max(0, m.first - 12):m.first])


def _after_dest_prep(toks: list[Token], first: int, lx: Lexicon) -> bool:
    """Whether a destination preposition introduces the name at toks[first] ("to Gisenyi",
    "vers la ville de Gisenyi"), over articles and place words."""
    j = first - 1
    while j >= 0 and (toks[j].norm in lx.articles or toks[j].norm in lx.place_fillers):
        j -= 1
    return j >= 0 and toks[j].norm in lx.dest_preps


def _located(toks: list[Token], mentions: list[pl.Mention], lo: int, hi: int,
             lx: Lexicon) -> Place | None:
    """An origin named by a static preposition ("violence in X"), not by a word of leaving
    ("fled X", "from X")."""
    for m in mentions:
        if m.role == "origin" and m.place is not None and lo <= m.first < hi:
            j = m.first - 1
            while j >= 0 and (toks[j].norm in lx.articles or toks[j].norm in lx.place_fillers):
                j -= 1
            if j >= 0 and toks[j].norm in lx.static_preps and toks[j].norm not in lx.origin_preps:
                return m.place
    return None


def _scene(toks: list[Token], mentions: list[pl.Mention], lx: Lexicon) -> pl.Mention | None:
    """The place of a fronted scene-setting locative opening the sentence: "In Chad, ...",
    "À Goris, première ville arménienne après ..., les autorités ont recensé N"."""
    if not toks or toks[0].norm not in lx.static_preps:
        return None
    m = next((m for m in mentions if not m.anaphor), None)
    if m is None or m.place is None or m.first > 3 or m.last + 1 >= len(toks) or (
            toks[m.last + 1].text != ","):
        return None
    if any(t.norm not in lx.articles and t.norm not in lx.place_fillers for t in toks[1:m.first]):
        return None
    return m


def _places_in(doc: _Doc, toks: list[Token], mentions: list[pl.Mention], lo: int, hi: int,
               c: Candidate, lx: Lexicon) -> tuple[Place | None, Place | None]:
    # a running total after the figure has its own place: "2,000 crossed into Chad, bringing
    # the number of refugees in the Adre area to 90,000"
    hi = next((k for k in range(c.noun_end + 1, hi) if toks[k].norm in lx.bringing), hi)
    inside = [m for m in mentions if lo <= m.first and m.last < hi and m.place is not None
              and not _fronted(toks, m, c, lx)]
    # the movement verb after the figure's noun phrase governs its destination: a place in
    # the noun phrase ("580 Mexicans from the municipality of X, in Chiapas, crossed to
    # Guatemala") tells where they come from
    verb = next((k for k in range(c.noun_end + 1, hi) if toks[k].norm in lx.displacement), -1)
    verb_first = any(t.norm in lx.displacement for t in toks[lo:c.amount.first])
    if verb > 0 and not verb_first and any(m.role == "dest" and m.first > verb for m in inside):
        inside = [m for m in inside if m.role != "dest" or not c.noun_end < m.first < verb]
    dests = [m.place for m in inside if m.role == "dest" and m.place is not None]
    origins = [m.place for m in inside if m.role == "origin" and m.place is not None]
    # drop a destination that merely contains another ("Akkar ... in Lebanon")
    specific = [p for p in dests if not any(
        q is not p and doc.gaz.within(q, p) for q in dests)]
    if len(specific) > 1:
        # a fronted locative ("In Goma, 600 people fled to Gisenyi") sets the scene: the
        # destination the movement names after it wins
        scenes = [m.place for m in inside if m.role == "dest" and m.last < c.amount.first
                  and toks[m.last + 1].text == "," and m.first <= lo + 3
                  and toks[lo].norm in lx.static_preps]
        if scenes:  # ... not a place merely near it: "to camps along the Turkish border"
            moved_to = [m.place for m in inside if m.role == "dest"
                        and m.first > c.amount.first and _after_dest_prep(toks, m.first, lx)]
            specific = [p for p in specific if p in moved_to] or specific
    dest = specific[0] if specific else None
    origin = origins[0] if origins else None
    if dest is not None and origin is not None and dest.id == origin.id:
        dest = None
    return dest, origin
