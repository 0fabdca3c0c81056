"""Amounts in tokens: digits in every national style, scale words, number words, vague amounts."""

from __future__ import annotations

from dataclasses import dataclass

from app.extract.text import Token
from app.gazetteer.index import normalize

_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
    # French
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "soixante": 60, "dun": 1, "dune": 1,
    # Arabic (folded: ة -> ه)
    "واحد": 1, "اثنان": 2, "اثنين": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4,
    "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمانيه": 8,
    "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30,
    "اربعين": 40, "خمسين": 50,
}
_ONES = {normalize(k): val for k, val in _ONES.items()}
# "six" is also French; "sept" is also the month abbreviation, handled by the date check.
_SCALES = {
    "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
    "cent": 100, "cents": 100, "mille": 1000, "millions": 1_000_000, "milliard": 10**9,
    "مييه": 100, "ميه": 100, "مايه": 100, "الف": 1000, "الاف": 1000, "الفا": 1000,
    "مليون": 1_000_000, "ملايين": 1_000_000,
    "tausend": 1000, "millionen": 1_000_000, "mio": 1_000_000,
}
_SCALES = {normalize(k): val for k, val in _SCALES.items()}
# Scale words glued to digits: "10k", "2.5m", "1.2bn".
_SUFFIX_SCALES = {"k": 1000, "m": 1_000_000, "mn": 1_000_000, "bn": 10**9}

# Vague amounts: (words, table key). Matched longest first.
VAGUE = {
    "dozens": (24, 99), "hundreds": (200, 999), "thousands": (2000, 9999),
    "tens_of_thousands": (20000, 99999), "hundreds_of_thousands": (200000, 999999),
    "millions": (2_000_000, 9_999_999),
}
_VAGUE_PHRASES: list[tuple[tuple[str, ...], str]] = sorted(
    [
        (("tens", "of", "thousands"), "tens_of_thousands"),
        (("hundreds", "of", "thousands"), "hundreds_of_thousands"),
        (("dozens",), "dozens"), (("hundreds",), "hundreds"), (("thousands",), "thousands"),
        (("millions",), "millions"),
        (("several", "hundred"), "hundreds"), (("a", "few", "hundred"), "hundreds"),
        (("several", "thousand"), "thousands"), (("a", "few", "thousand"), "thousands"),
        (("several", "dozen"), "dozens"),
        (("dizaines", "de", "milliers"), "tens_of_thousands"),
        (("centaines", "de", "milliers"), "hundreds_of_thousands"),
        (("dizaines",), "dozens"), (("centaines",), "hundreds"), (("milliers",), "thousands"),
        (("plusieurs", "centaines"), "hundreds"), (("plusieurs", "milliers"), "thousands"),
        (("quelques", "centaines"), "hundreds"), (("quelques", "milliers"), "thousands"),
        (("عشرات", "الاف"), "tens_of_thousands"), (("عشرات", "الالاف"), "tens_of_thousands"),
        (("مييات", "الاف"), "hundreds_of_thousands"),
        (("مييات", "الالاف"), "hundreds_of_thousands"),
        (("مئات", "الاف"), "hundreds_of_thousands"),
        (("مئات", "الالاف"), "hundreds_of_thousands"),
        (("عشرات",), "dozens"), (("مييات",), "hundreds"), (("مئات",), "hundreds"),
        (("الاف",), "thousands"), (("الالاف",), "thousands"), (("ملايين",), "millions"),
        (("المئات",), "hundreds"), (("العشرات",), "dozens"), (("الملايين",), "millions"),
        (("مئات", "الاشخاص"), "hundreds"),
        (("dutzende",), "dozens"), (("hunderte",), "hundreds"), (("tausende",), "thousands"),
        (("zehntausende",), "tens_of_thousands"), (("hunderttausende",), "hundreds_of_thousands"),
    ],
    key=lambda p: -len(p[0]),
)


_VAGUE_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _key in _VAGUE_PHRASES:
    # the same folding as tokens get ("مئات" -> "ميات")
    _folded = tuple(normalize(w) for w in _words)
    _VAGUE_BY_FIRST.setdefault(_folded[0], []).append((_folded, _key))


@dataclass(slots=True)
class Amount:
    value: int
    low: int | None
    high: int | None
    vague: str | None       # key of the contract's vague table
    first: int              # token index range [first, last] of the amount words
    last: int
    start: int              # character span of the number itself
    end: int
    range_: bool = False
    scale: int = 1          # the scale word's multiplier ("7 thousand" -> 1000)


def parse_digits(s: str) -> float | None:
    """'10,000' '10.000' '12000' '1.5' '2,5' -> value; None when it is no plain quantity."""
    if "." not in s and "," not in s:
        return float(s)
    seps = [c for c in s if c in ".,"]
    groups = s.replace(",", ".").split(".")
    if all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
        # 10,000 / 10.000 / 1,234,567: thousands separators
        return float("".join(groups))
    if len(seps) == 1:
        return float(groups[0] + "." + groups[1])  # 1.5 / 2,5: a decimal
    return None


def _word_number(toks: list[Token], i: int) -> tuple[int, int] | None:
    """English/French/Arabic number words from toks[i]: (value, last index) or None."""
    total = 0
    current = 0
    last = -1
    j = i
    n = len(toks)
    seen = False
    while j < n:
        w = toks[j].norm
        if w in _ONES:
            if seen and current % 10 != 0 and current < 100 and toks[j - 1].text != "-":
                break
            current += _ONES[w]
        elif w in _SCALES and (seen or w in ("hundred", "thousand", "mille", "cent", "الف") or (
                j > i and toks[j - 1].norm in ("a", "an"))):
            scale = _SCALES[w]
            if not seen:
                current = 1
            if scale == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * scale
                current = 0
        elif w in ("-", "and", "et", "و") and seen and j + 1 < n and (
                toks[j + 1].norm in _ONES or toks[j + 1].norm in _SCALES):
            j += 1
            continue
        elif w in ("a", "an") and not seen and j + 1 < n and toks[j + 1].norm in (
                "hundred", "thousand", "million"):
            j += 1
            continue
        else:
            break
        seen = True
        last = j
        j += 1
    if not seen:
        return None
    return total + current, last


def _scale_after(toks: list[Token], j: int, glued: bool) -> tuple[int, int] | None:
    """A scale word at toks[j] ("million", "k" glued to the digits): (multiplier, index)."""
    if j >= len(toks):
        return None
    t = toks[j]
    if glued and t.norm in _SUFFIX_SCALES and t.kind == "word":
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if nxt is None or nxt.start > t.end or not nxt.text.isalnum():
            return _SUFFIX_SCALES[t.norm], j
        return None
    if t.norm in ("million", "millions", "billion", "thousand", "mille", "مليون", "ملايين",
                  "الف", "الاف", "الفا", "millionen", "mio", "tausend", "milliard", "milliards"):
        return _SCALES.get(t.norm, 10**9), j
    return None


# Arabic number words (folded: ة -> ه, ئ -> ي, أ/إ/آ -> ا). Arabic counts in its own grammar:
# duals ("ألفان", "مليونين"), hundreds written as one word ("ثلاثمائة"), "و" glued to the next
# word ("أربعة آلاف وخمسمائة"), halves ("مليون ونصف المليون", "نصف مليون").
def _ar_hundreds() -> dict[str, int]:
    stems = {"ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6,
             "سته": 6, "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9,
             "تسعه": 9}
    out = {"مايه": 100, "ميه": 100, "مايتان": 200, "مايتين": 200, "ميتان": 200,
           "ميتين": 200, "مايتي": 200, "ميتي": 200, "مايتا": 200, "ميتا": 200}
    for stem, k in stems.items():
        out[stem + "مايه"] = k * 100
        out[stem + "ميه"] = k * 100
    return out


_AR_SMALL = {
    "واحد": 1, "واحده": 1, "احد": 1, "احدي": 1, "اثنان": 2, "اثنين": 2, "اثنا": 2, "اثني": 2,
    "اثنتان": 2, "اثنتين": 2, "اثنتا": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4,
    "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8,
    "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
    **_ar_hundreds(),
}
# scale words: (multiplier, dual): "ألف" 1000, "ألفان"/"ألفين"/"ألفي" 2 x 1000, "آلاف" after 3-10
_AR_SCALES: dict[str, tuple[int, bool]] = {
    "الف": (1000, False), "الاف": (1000, False), "الفا": (1000, True), "الفان": (1000, True),
    "الفين": (1000, True), "الفي": (1000, True),
    "مليون": (1_000_000, False), "ملايين": (1_000_000, False), "مليونا": (1_000_000, True),
    "مليونان": (1_000_000, True), "مليونين": (1_000_000, True), "مليوني": (1_000_000, True),
}
_AR_HALF = "نصف"


def _ar_word(w: str, seen: bool) -> str:
    """A number word with a glued "و" ("وخمسمائة") read without it once a number has begun."""
    if seen and len(w) > 2 and w[0] == "و" and (w[1:] in _AR_SMALL or w[1:] in _AR_SCALES
                                                 or w[1:] == _AR_HALF):
        return w[1:]
    return w


def arabic_number(toks: list[Token], i: int) -> tuple[int, int] | None:
    """Arabic number words from toks[i]: (value, last index) or None."""
    n = len(toks)
    total = 0
    current = 0
    last = -1
    seen = False
    half_of = 0      # "نصف مليون": the next scale is halved
    last_scale = 10**12
    j = i
    while j < n:
        w = _ar_word(toks[j].norm, seen)
        if w == "و" and seen and j + 1 < n:
            nxt = toks[j + 1].norm
            if nxt in _AR_SMALL or nxt in _AR_SCALES or nxt == _AR_HALF:
                j += 1
                continue
            # "مليون و400 ألف": digits continue a number spelled in words
            digits = parse_digits(nxt) if toks[j + 1].kind == "num" else None
            if digits is not None and total and not current and digits == int(digits):
                k = j + 2
                scale = _AR_SCALES.get(toks[k].norm, (1, False))[0] if k < n else 1
                part = int(digits) * scale
                if 0 < part < last_scale:
                    total += part
                    last = k if scale > 1 else j + 1
                    j = last + 1
                    continue
            break
        if w in _AR_SMALL and not half_of:
            v = _AR_SMALL[w]
            if v == 10 and 0 < current % 100 < 10:
                current += 10              # "ثلاثة عشر" 13
            elif seen and current % 10 and v < 10:
                break                      # two units in a row: not one number
            else:
                current += v
        elif w in _AR_SCALES:
            scale, dual = _AR_SCALES[w]
            if half_of:
                total += scale // 2
                half_of = 0
            else:
                k = current if current else (2 if dual else 1)
                if w in ("الاف", "ملايين") and not current:
                    break                  # a bare plural is a vague amount, read elsewhere
                total += k * scale
                current = 0
                last_scale = min(last_scale, scale)
        elif w == _AR_HALF:
            if not seen:
                half_of = 1               # "نصف مليون"
            elif total and not current:
                # "مليون ونصف", "مليون ونصف المليون": half the last scale
                scale = 1_000_000 if total >= 1_000_000 else 1000
                total += scale // 2
                if j + 1 < n and toks[j + 1].norm in ("المليون", "الالف", "الف", "مليون"):
                    j += 1
            else:
                break
        else:
            break
        seen = True
        last = j
        j += 1
    if not seen or half_of:
        return None
    return total + current, last


def find_amounts(toks: list[Token]) -> list[Amount]:
    """All amounts in a sentence's tokens, left to right, ranges merged."""
    out: list[Amount] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        amt: Amount | None = None
        if t.kind == "num":
            amt = _digit_amount(toks, i)
        elif t.kind == "word":
            amt = _vague_amount(toks, i) or _words_amount(toks, i)
        if amt is None:
            i += 1
            continue
        out.append(amt)
        i = amt.last + 1
    return _merge_ranges(toks, out)


def _digit_amount(toks: list[Token], i: int) -> Amount | None:
    t = toks[i]
    text = t.text
    last = i
    # "12 000" (space or no-break space): thousands groups split by a single blank
    if text.isdigit() and len(text) <= 3:
        while (last + 1 < len(toks) and toks[last + 1].kind == "num"
               and len(toks[last + 1].text) == 3 and toks[last + 1].text.isdigit()
               and toks[last + 1].start == toks[last].end + 1):
            last += 1
            text += toks[last].text
    value = parse_digits(text)
    if value is None:
        return None
    nxt = last + 1
    glued = nxt < len(toks) and toks[nxt].start == toks[last].end
    sc = _scale_after(toks, nxt, glued)
    end_tok = last
    scale = 1
    if sc is not None:
        scale = sc[0]
        value *= scale
        end_tok = sc[1]
    elif value != int(value):
        return None  # "1.5" alone is no headcount
    return Amount(round(value), None, None, None, i, end_tok, t.start, toks[end_tok].end,
                  scale=scale)


def _vague_amount(toks: list[Token], i: int) -> Amount | None:
    for words, key in _VAGUE_BY_FIRST.get(toks[i].norm, ()):
        k = len(words)
        if i + k > len(toks):
            continue
        if all(toks[i + m].norm == words[m] for m in range(k)):
            # "hundreds" needs a following "of"/"de"/noun; a bare "thousands" still counts
            low, high = VAGUE[key]
            return Amount(low, low, high, key, i, i + k - 1, toks[i].start, toks[i + k - 1].end)
    return None


def _words_amount(toks: list[Token], i: int) -> Amount | None:
    if "\u0600" <= toks[i].norm[0] <= "\u06ff":
        got_ar = arabic_number(toks, i)
        if got_ar is None or got_ar[0] < 100:
            return None
        value, last = got_ar
        scale = max((_AR_SCALES.get(t.norm, (1, False))[0] for t in toks[i:last + 1]),
                    default=1)
        return Amount(value, None, None, None, i, last, toks[i].start, toks[last].end,
                      scale=scale)
    if toks[i].norm not in _ONES and toks[i].norm not in _SCALES and toks[i].norm not in (
            "a", "an"):
        return None
    got = _word_number(toks, i)
    if got is None:
        return None
    value, last = got
    # lone small words ("one", "two") are rarely headcounts; keep those with a scale
    if value < 100:
        return None
    scale = max((_SCALES.get(t.norm, 1) for t in toks[i:last + 1]), default=1)
    return Amount(value, None, None, None, i, last, toks[i].start, toks[last].end, scale=scale)


def _merge_ranges(toks: list[Token], amts: list[Amount]) -> list[Amount]:
    """'5,000 to 7,000', 'between 5,000 and 7,000', '5,000-7,000' become one amount."""
    out: list[Amount] = []
    k = 0
    while k < len(amts):
        a = amts[k]
        if k + 1 < len(amts) and a.vague is None:
            b = amts[k + 1]
            gap = [t.norm for t in toks[a.last + 1: b.first]]
            between = a.first > 0 and toks[a.first - 1].norm in ("between", "entre", "بين")
            if b.vague is None and (gap in (["to"], ["-"], ["a"], ["و"], ["الى"], ["and"])
                                    and (gap != ["and"] or between)) and b.value > a.value:
                lo = a.value
                # "5 to 7 thousand": the scale on the second number applies to both
                if a.scale == 1 and b.scale > 1 and lo * b.scale < b.value:
                    lo *= b.scale
                out.append(Amount(lo, lo, b.value, None, a.first, b.last, a.start, a.end, True,
                                  b.scale))
                k += 2
                continue
        out.append(a)
        k += 1
    return out
