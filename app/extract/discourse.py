"""The discourse step: a figure whose own clause names no destination gets one from the report.

Run once per report, after every sentence was read on its own. In order, a figure with no
destination takes:
  1. a destination said later for the same people: "N were displaced. The majority moved to
     X", "N fled ..., many of them walking to X", "..., mainly X"; or the one country its
     parts went to ("Of these, A arrived in X and B in Y");
  2. the destination of the figure before it in the same paragraph, when its own clause names
     no place at all (it goes on with the same movement: "N fled into X; on Sunday alone,
     some M crossed");
  3. (an origin alone is no destination, CONTRACT.md: "N fled Mosul" keeps none;)
  4. the country that speaks or acts on it ("Egypt says N have crossed", "Chad relocated
     N refugees"), when it is not the origin's;
  5. for displacement inside a country (no refugee or border word, no origin), the country
     the report's headline names.
People who cross a border never take their origin's country. Every destination found here is
weaker evidence than one read in the figure's own clause (Evidence.DEST_DISCOURSE).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.extract.lexicon import Lexicon
from app.extract.places import Mention
from app.extract.text import Token, is_arabic
from app.gazetteer.index import Gazetteer, Place

_NEXT_REACH = 6       # a majority word opening the next sentence, within this many tokens
_MAJORITY_REACH = 12  # its destination, within this many tokens of it
_SPEAKER_REACH = 3    # a speaking country, within this many tokens before its verb


@dataclass(slots=True)
class Reading:
    """A sentence as the discourse step reads it: tokens and resolved place mentions."""

    a: int
    b: int
    toks: list[Token]
    mentions: list[Mention]
    lx: Lexicon


@dataclass(slots=True)
class Item:
    """One figure of the report: its number's offsets, its sentence, its places so far."""

    start: int
    end: int
    a: int
    b: int
    dest: Place | None
    origin: Place | None


class Report:
    """What the step asks of the report: sentences read on demand, the country it is about."""

    def __init__(self, text: str, gaz: Gazetteer, read: Callable[[int, int], Reading],
                 next_sentence: Callable[[int], tuple[int, int] | None],
                 dominant: Callable[[], str | None]) -> None:
        self.text = text
        self.gaz = gaz
        self._read = read
        self._next = next_sentence
        self._dominant = dominant
        self._cache: dict[tuple[int, int], Reading] = {}

    def read(self, a: int, b: int) -> Reading:
        got = self._cache.get((a, b))
        if got is None:
            got = self._cache[(a, b)] = self._read(a, b)
        return got

    def following(self, b: int) -> Reading | None:
        span = self._next(b)
        return None if span is None else self.read(*span)

    def dominant(self) -> Place | None:
        iso = self._dominant()
        return None if iso is None else self.gaz.get(iso)


def destinations(report: Report, items: Sequence[Item]) -> list[Place | None]:
    """For each figure, the destination the discourse gives it (None: none, or it had one)."""
    out: list[Place | None] = []
    final: list[Place | None] = []
    for k, it in enumerate(items):
        got = None if it.dest is not None else _inherit(report, items, final, k)
        out.append(got)
        final.append(it.dest or got)
    return out


def _inherit(report: Report, items: Sequence[Item], final: list[Place | None],
             k: int) -> Place | None:
    it = items[k]
    r = report.read(it.a, it.b)
    at = next((i for i, t in enumerate(r.toks) if t.start >= it.end), len(r.toks))
    fig = next((i for i, t in enumerate(r.toks) if t.start >= it.start), len(r.toks))
    crossing = _crossing(r)
    # 1. "the majority moved to X": later in its sentence, or opening the next one
    starts = {other.start for other in items}
    got = _majority_dest(r, at, len(r.toks), starts)
    if got is None:
        nxt = report.following(it.b)
        if nxt is not None:
            got = _majority_dest(nxt, 0, _NEXT_REACH, starts, opening=True) or _parts_country(
                nxt, report.gaz)
    if got is not None and not _same_country(got, it.origin, crossing):
        return got
    # 2. the same movement going on: "on Sunday alone, some 11,500 people crossed"
    if k and it.origin is None and final[k - 1] is not None:
        prev = items[k - 1]
        if "\n" not in report.text[prev.end:it.start] and not _own_places(r, fig, prev):
            return final[k - 1]
    # 3. an origin alone is no destination (CONTRACT.md): "N fled Mosul" stays without one
    # 4. "Egypt says N have crossed": the speaking country hosts them
    speaker = _speaker(r, report.gaz, fig)
    if speaker is not None and (it.origin is None or speaker.country != it.origin.country):
        return speaker
    # 5. displaced inside the country the headline names, when the figure's own sentence
    # gives its places to other figures ("N fled, M of them to Poland") or to none
    if crossing or it.origin is not None or any(
            m.role in ("dest", "origin") and m.place is not None for m in r.mentions):
        return None
    return report.dominant()


def _same_country(place: Place, origin: Place | None, crossing: bool) -> bool:
    return crossing and origin is not None and place.country == origin.country


def _crossing(r: Reading) -> bool:
    words = r.lx.crossing
    return any(t.norm in words or _bare(t.norm, r.lx) in words for t in r.toks)


def _bare(word: str, lx: Lexicon) -> str:
    for prefix in lx.article_prefixes:
        if word.startswith(prefix) and len(word) > len(prefix) + 2:
            return word[len(prefix):]
    return word


def _majority_dest(r: Reading, start: int, reach: int, figures: set[int],
                   opening: bool = False) -> Place | None:
    """The destination after a majority word ("the majority moved to X") found in
    r.toks[start:start + reach], with no other figure (starting at `figures`) before it; a
    sentence `opening` after the figure may also name its people again ("The displaced
    families have taken refuge in El Obeid")."""
    for i in range(start, min(len(r.toks), start + reach)):
        t = r.toks[i]
        if t.start in figures:
            return None  # another figure: its own people
        if t.norm in r.lx.majority or _bare(t.norm, r.lx) in r.lx.majority or (
                opening and t.norm in r.lx.restated):
            for m in r.mentions:
                # "fled to nearby towns, mainly X": a name right after the word needs no role
                if i < m.first <= i + _MAJORITY_REACH and m.place is not None and (
                        m.role == "dest" or (m.role == "none" and m.first <= i + 2)):
                    return m.place
            return None
    return None


def _parts_country(r: Reading, gaz: Gazetteer) -> Place | None:
    """The one country the parts of a figure went to, when the next sentence opens on them:
    "Of these, about 46,500 have arrived in X and some 52,900 in Y"."""
    words = [t.norm for t in r.toks[:_NEXT_REACH] if t.kind == "word"]
    if not any(tuple(words[i:i + len(p)]) == p for p in r.lx.back_parts
               for i in range(len(words))):
        return None
    countries = {m.place.country for m in r.mentions if m.role == "dest" and m.place}
    return gaz.get(next(iter(countries))) if len(countries) == 1 else None


def _own_places(r: Reading, fig: int, prev: Item) -> bool:
    """Whether the figure's clause (from the break before it) names a place of its own."""
    lo = 0
    for i in range(fig - 1, -1, -1):
        t = r.toks[i]
        if t.start < prev.end or t.text in (";", ":") or t.norm in r.lx.subordinators or (
                t.text == "," and r.toks[i + 1].norm in r.lx.clause_conj):
            lo = i + 1
            break
    if any(m.first >= lo and m.place is not None for m in r.mentions):
        return True
    # "fled to nearby towns", "إلى دول الجوار": a way of its own, to no place we know
    movement = r.lx.dest_preps - r.lx.static_preps
    # a word that only heads another place or a date ("arrived on Tuesday") is no way
    not_way = (r.lx.dest_preps | r.lx.static_preps | r.lx.origin_preps | r.lx.date_preps
               | r.lx.weekday_preps)
    return any(t.norm in movement and nxt.kind == "word" and nxt.norm not in not_way
               for t, nxt in zip(r.toks[fig:], r.toks[fig + 1:], strict=False))


def _speaker(r: Reading, gaz: Gazetteer, fig: int) -> Place | None:
    """A country that speaks in the sentence ("Egypt says", "Egyptian officials said"), or
    that is the subject acting on the figure ("Bangladesh moved 1,642 refugees", "the
    Armenian government put the number at N")."""
    acting = r.lx.speech | r.lx.hosting | r.lx.displacement | r.lx.register | r.lx.stock_verbs
    for i, t in enumerate(r.toks):
        if t.norm in r.lx.speakers:
            # "le gouvernement tchadien", "الحكومة الأردنية": the adjective after its noun; in
            # Arabic over the nouns it governs ("إدارة الكوارث والطوارئ التركية")
            for j in range(i + 1, min(i + 4, fig)):
                word = r.toks[j].norm
                iso = r.lx.country_adjectives.get(word) or gaz.adjectives.get(word)
                if iso:
                    return gaz.get(iso)
                if r.toks[j].kind != "word" or not is_arabic(word):
                    break
        if t.norm in r.lx.speakers and i >= 1 and i < fig:
            # "Egyptian officials", "Colombian migration officials": over one common word
            for j in (i - 1, i - 2):
                iso = gaz.adjectives.get(r.toks[j].norm) if j >= 0 else None
                if iso:
                    return gaz.get(iso)
                if j < 0 or r.toks[j].kind != "word" or r.toks[j].upper:
                    break
        if t.norm not in r.lx.speech and not (t.norm in acting and i < fig <= i + 4):
            continue
        for m in r.mentions:
            if i - _SPEAKER_REACH <= m.last < i and m.place is not None and (
                    m.place.level == "country") and not m.possessive and not any(
                    r.toks[j].kind == "punct" for j in range(m.last + 1, i)):
                return m.place
        if i >= 2 and r.toks[i - 1].norm in r.lx.speakers:
            iso = gaz.adjectives.get(r.toks[i - 2].norm)
            if iso:
                return gaz.get(iso)
    return None
