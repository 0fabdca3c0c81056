"""Text plumbing: a same-length folded copy of the text, sentences and tokens with offsets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

# Every mapping is one character to one character, so offsets in the folded copy are
# offsets in the original text: spans and quotes come straight from the report.
_FOLD = str.maketrans({
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian) digits
    "٬": ",", "٫": ".", "،": ",", "؛": ";", "؟": "?",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "’": "'", "‘": "'", "–": "-", "—": "-", "‑": "-", "“": '"', "”": '"', "«": '"', "»": '"',
    "„": '"',
    # Arabic vowel marks become the (letter-class) tatweel so words stay whole; tokens drop it
    **{chr(c): "ـ" for c in [*range(0x064B, 0x0653), 0x0670]},
})


_FOLD_PAIRS = [(chr(k), v) for k, v in _FOLD.items() if isinstance(v, str)]
# every character fold replaces, as one class: one C scan finds which occur
_FOLD_CHARS = re.compile("[" + "".join(re.escape(src) for src, _ in _FOLD_PAIRS) + "]")
_ASCII = bytes(range(128))  # (every replaced character is non-ASCII)


def fold(text: str) -> str:
    """Lower-cased copy of `text`, same length, digits as ASCII, Arabic letter variants merged."""
    # str.translate with a dict costs ~50 ns a character: replace only what occurs
    out = text
    if not text.isascii():
        # scanned among the non-ASCII characters only: dropping the ASCII bytes of the UTF-8
        # text keeps the others whole, and is far cheaper than the class scan it saves
        rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII)
        present = set(_FOLD_CHARS.findall(rest.decode("utf-8", "surrogatepass")))
        if present:
            for src, dst in _FOLD_PAIRS:
                if src in present:
                    out = out.replace(src, dst)
    low = out.lower()
    if len(low) == len(out):
        return low
    # a few characters lower-case to two ("İ"): keep those as they are
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in out)


def strip_accents(word: str) -> str:
    if word.isascii():
        return word
    s = unicodedata.normalize("NFKD", word)
    return "".join(c for c in s if not unicodedata.combining(c))


# A sentence ends at ., ! or ? followed by space and a capital, digit, quote or non-Latin
# letter; or at a blank line / line break.
# A word hyphenated across a line break ("fami-\nlies") does not end its sentence.
# (the lookahead names the characters every match opens with: the regex engine then skips
# ahead to them instead of trying the second branch at every offset)
_SENT_END = re.compile(r"(?=[.!?\t \n])(?:[.!?]+[\"'”»)\]]*[ \t]+|(?<![^\W\d_]-)[ \t]*\n[\s]*)")
# its first branch alone, for text without a line break: the engine then skips to the
# punctuation instead of trying the second branch at every blank
_SENT_END_PUNCT = re.compile(r"[.!?]+[\"'”»)\]]*[ \t]+")
_ABBREV = frozenset("mr mrs ms dr st no gen col lt sgt u.s u.n e.g i.e vs approx ca est".split())


def _is_break(text: str, cased: str, m: re.Match[str], floor: int) -> bool:
    """Whether a sentence-end match really ends a sentence (not "Dr. Smith", "U.N. staff")."""
    end = m.end()
    if end >= len(text):
        return False
    if "\n" in m.group():
        return True
    if cased[end].islower():
        return False
    j = m.start()
    k = j
    while k > floor and j - k < 12 and (text[k - 1].isalpha() or text[k - 1] == "."):
        k -= 1
    word = text[k:j].lower()
    return not (word in _ABBREV or (len(word) == 1 and word.isalpha()))


_WINDOW = 2000  # a sentence longer than this is cut: bounded work per trigger


def _sentence_ends(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """_SENT_END's matches in text[start:end]."""
    pattern = _SENT_END if text.find("\n", start, end) != -1 else _SENT_END_PUNCT
    return pattern.finditer(text, start, end)


def sentence_at(text: str, original: str, pos: int, floor: int = 0) -> tuple[int, int]:
    """(start, end) of the sentence around offset `pos`, looking at most _WINDOW back/ahead
    and never before `floor` (the end of the previous sentence read)."""
    cased = original if len(original) == len(text) else text
    lo = max(0, floor, pos - _WINDOW)
    start = lo
    # the last real break before pos: look close first, test candidates from the nearest back
    for reach in (400, _WINDOW):
        near = max(lo, pos - reach)
        ends = [m for m in _sentence_ends(text, near, pos) if m.end() <= pos]
        found = next((m for m in reversed(ends) if _is_break(text, cased, m, lo)), None)
        if found is not None:
            start = found.end()
            break
        if near == lo:
            break
    end = min(len(text), pos + _WINDOW)
    for m in _sentence_ends(text, pos, end):
        if _is_break(text, cased, m, pos) or m.end() >= len(text):
            end = m.start() + len(m.group().rstrip())
            break
    return start, end


@cache
def _elisions() -> frozenset[str]:
    """Articles and conjunctions that elide before a vowel in any lexicon ("d'", "l'")."""
    from app.extract.lexicon import every  # the lexicon needs no text plumbing: no cycle

    return every().elisions


@dataclass(slots=True)
class Token:
    text: str   # folded (lower-case, ASCII digits), accents kept
    norm: str   # accents stripped: the key vocabulary and places are looked up with
    start: int  # offsets in the report
    end: int
    upper: bool  # first letter upper-case in the original (names, sentence starts)
    kind: str   # "num", "word", "punct"


# A word broken across a line by a hyphen ("fami-\nlies") is read whole when it goes on in
# lower case; "Baalbek-\nHermel" stays two names.
_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:-[ \t]*\n[ \t]*[^\W\d_]+)?(?:'[^\W\d_]+)?|[^\w\s]")
_LINE_HYPHEN = re.compile(r"-[ \t]*\n[ \t]*")


def tokenize(folded: str, original: str, start: int, end: int) -> list[Token]:
    """The tokens of folded[start:end]. Double quotes (all folded to '"') are left out: they
    mark a citation or a scare-quoted phrase ("« des milliers » d'autres"), never grammar."""
    toks: list[Token] = []
    for m in _TOKEN.finditer(folded, start, end):
        t = m.group()
        if "'" not in t and "\n" not in t:  # most tokens: no elision, no line-end hyphen
            if t != '"':
                s0 = m.start()
                kind, norm = _kind_norm(t)
                toks.append(Token(t, norm, s0, m.end(), original[s0].isupper(), kind))
            continue
        if "\n" in t:
            gap = _LINE_HYPHEN.search(t)
            if gap is not None and original[m.start() + gap.end()].isupper():
                _split_hyphenated(toks, original, m.start(), t, gap)
                continue
            t = _LINE_HYPHEN.sub("", t)
        if len(t) > 3 and t[1] == "'" and original[m.start()].islower() and (
                original[m.start() + 2].isupper()) and not (toks and toks[-1].upper):
            # an elided article before a name: "l'Égypte", "d'Adré" -> "l" + "Égypte"
            s0 = m.start()
            toks.append(Token(t[0], t[0], s0, s0 + 1, False, "word"))
            toks.append(Token(t[2:], strip_accents(t[2:]).replace("'", ""), s0 + 2, m.end(),
                              True, "word"))
            continue
        kind, norm = _kind_norm(t)
        if "'" in t and not t[0].isdigit() and t[0].isalpha():
            head, _, tail = t.partition("'")
            cut = m.start() + len(head) + 1
            if tail and original[cut].isupper() and head in _elisions():
                # "d'Adré", "l'Ouganda": an elided article, then a name
                toks.append(Token(t[:len(head) + 1], head, m.start(), cut,
                                  original[m.start()].isupper(), "word"))
                toks.append(Token(tail, strip_accents(tail), cut, m.end(), True, "word"))
                continue
        toks.append(Token(t, norm, m.start(), m.end(), original[m.start()].isupper(), kind))
    return toks


@lru_cache(maxsize=65536)
def _kind_norm(t: str) -> tuple[str, str]:
    """A token's kind and lookup key (a word's without accents, apostrophes and tatweels),
    decided once per distinct token."""
    c = t[0]
    if c.isdigit():
        return "num", t
    if not c.isalpha():
        return "punct", t
    norm = strip_accents(t).replace("'", "").replace("ـ", "")
    if not norm:  # a lone vowel mark or tatweel
        return "punct", t
    return "word", norm


def _split_hyphenated(toks: list[Token], original: str, start: int, t: str,
                      gap: re.Match[str]) -> None:
    """A compound name hyphenated at a line end: the two words and the hyphen, as tokens."""
    dash = start + gap.start()
    after = start + gap.end()
    for a, b, kind in ((start, dash, "word"), (dash, dash + 1, "punct"),
                       (after, start + len(t), "word")):
        piece = t[a - start:b - start]
        norm = strip_accents(piece).replace("'", "") if kind == "word" else piece
        toks.append(Token(piece, norm, a, b, original[a].isupper(), kind))


TATWEEL = "\u0640"  # the Arabic stretching letter; vowel marks are folded to it


ARABIC_FIRST, ARABIC_LAST = "\u0600", "\u06ff"  # the Arabic block, for inline range tests


def is_arabic(word: str) -> bool:
    """Whether a word is written in Arabic script (its first character tells)."""
    return bool(word) and 0x0600 <= ord(word[0]) <= 0x06FF
