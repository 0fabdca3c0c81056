"""Amounts in tokens: digits in every national style, scale words, number words, vague amounts."""

from __future__ import annotations

from dataclasses import dataclass

from app.extract.lexicon import Lexicon, Phrase, every
from app.extract.text import ARABIC_FIRST, ARABIC_LAST, Token

VAGUE = {
    "dozens": (24, 99), "hundreds": (200, 999), "thousands": (2000, 9999),
    "tens_of_thousands": (20000, 99999), "hundreds_of_thousands": (200000, 999999),
    "millions": (2_000_000, 9_999_999),
}


def _vague_by_first(lx: Lexicon) -> dict[str, list[tuple[Phrase, str]]]:
    """Vague phrases by their first word, longest first."""
    out: dict[str, list[tuple[Phrase, str]]] = {}
    for words, key in sorted(lx.vague.items(), key=lambda p: -len(p[0])):
        out.setdefault(words[0], []).append((words, key))
    return out


_VAGUE_CACHE: dict[str, dict[str, list[tuple[Phrase, str]]]] = {}


_ROUND_SCALES = frozenset({100, 1000, 1_000_000})  # "a hundred", "a thousand", "a million"


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


def _word_number(toks: list[Token], i: int, lx: Lexicon) -> tuple[int, int] | None:
    """English/French/Arabic number words from toks[i]: (value, last index) or None."""
    total = 0
    current = 0
    last = -1
    j = i
    n = len(toks)
    seen = False
    while j < n:
        w = toks[j].norm
        if w in lx.ones:
            if seen and current % 10 != 0 and current < 100 and toks[j - 1].text != "-":
                break
            current += lx.ones[w]
        elif w in lx.scales and (seen or w in lx.scale_alone or (
                j > i and toks[j - 1].norm in lx.indefinite)):
            scale = lx.scales[w]
            if not seen:
                current = 1
            if scale == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * scale
                current = 0
        elif (w == "-" or w in lx.number_joiners) and seen and j + 1 < n and (
                toks[j + 1].norm in lx.ones or toks[j + 1].norm in lx.scales):
            j += 1
            continue
        elif w in lx.indefinite and not seen and j + 1 < n and toks[j + 1].norm in (
                lx.scales) and lx.scales[toks[j + 1].norm] in _ROUND_SCALES:
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


def _scale_after(toks: list[Token], j: int, glued: bool,
                 lx: Lexicon) -> tuple[int, int] | None:
    """A scale word at toks[j] ("million", "k" glued to the digits): (multiplier, index)."""
    if j >= len(toks):
        return None
    t = toks[j]
    if glued and t.norm in lx.suffix_scales and t.kind == "word":
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if nxt is None or nxt.start > t.end or not nxt.text.isalnum():
            return lx.suffix_scales[t.norm], j
        return None
    if t.norm in lx.scales_after_digits:
        return lx.scales[t.norm], j
    return None


def _ar_word(w: str, seen: bool, lx: Lexicon) -> str:
    """A number word with a glued "و" ("وخمسمائة") read without it once a number has begun."""
    if seen and len(w) > 2 and w[0] in lx.number_joiners and (
            w[1:] in lx.ones or w[1:] in lx.scales or w[1:] in lx.half):
        return w[1:]
    return w


def arabic_number(toks: list[Token], i: int, lx: Lexicon) -> tuple[int, int] | None:
    """Arabic number words from toks[i]: (value, last index) or None."""
    n = len(toks)
    total = 0
    current = 0
    last = -1
    seen = False
    half_of = 0      # "نصف مليون": the next scale is halved
    last_scale = 10**12
    joined = -1      # the last index before a "و" that joined more words to the number
    j = i
    while j < n:
        w = _ar_word(toks[j].norm, seen, lx)
        if seen and (w != toks[j].norm or w in lx.number_joiners):
            joined = last
        if w in lx.number_joiners and seen and j + 1 < n:
            nxt = toks[j + 1].norm
            if nxt in lx.ones or nxt in lx.scales or nxt in lx.half:
                j += 1
                continue
            # "مليون و400 ألف": digits continue a number spelled in words
            digits = parse_digits(nxt) if toks[j + 1].kind == "num" else None
            if digits is not None and total and not current and digits == int(digits):
                k = j + 2
                scale = lx.scales.get(toks[k].norm, 1) if k < n else 1
                part = int(digits) * scale
                if 0 < part < last_scale:
                    total += part
                    last = k if scale > 1 else j + 1
                    j = last + 1
                    continue
            break
        if w in lx.ones and not half_of:
            v = lx.ones[w]
            if v == 10 and 0 < current % 100 < 10:
                current += 10              # "ثلاثة عشر" 13
            elif seen and current % 10 and v < 10:
                break                      # two units in a row: not one number
            else:
                current += v
        elif w in lx.scales:
            scale, dual = lx.scales[w], w in lx.dual_scales
            if half_of:
                total += scale // 2
                half_of = 0
            else:
                k = current if current else (2 if dual else 1)
                if joined >= 0 and total and scale >= last_scale >= 1000:
                    return total, joined   # "ألفين وثلاثة آلاف": a second number after "و"
                if w in lx.bare_plural_scales and not current:
                    break                  # a bare plural is a vague amount, read elsewhere
                total += k * scale
                current = 0
                last_scale = min(last_scale, scale)
        elif w in lx.half:
            if not seen:
                half_of = 1               # "نصف مليون"
            elif total and not current:
                # "مليون ونصف", "مليون ونصف المليون": half the last scale
                scale = 1_000_000 if total >= 1_000_000 else 1000
                total += scale // 2
                if j + 1 < n and toks[j + 1].norm in lx.half_nouns:
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


def find_amounts(toks: list[Token], lx: Lexicon | None = None) -> list[Amount]:
    """All amounts in a sentence's tokens, left to right, ranges merged (read with every
    language's number words unless a lexicon is given)."""
    lx = lx or every()
    out: list[Amount] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        amt: Amount | None = None
        if t.kind == "num":
            amt = _digit_amount(toks, i, lx)
        elif t.kind == "word":
            amt = _vague_amount(toks, i, lx) or _words_amount(toks, i, lx)
        if amt is None:
            i += 1
            continue
        out.append(amt)
        i = amt.last + 1
    return _merge_ranges(toks, out, lx)


def _digit_amount(toks: list[Token], i: int, lx: Lexicon) -> Amount | None:
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
    sc = _scale_after(toks, nxt, glued, lx)
    end_tok = last
    scale = 1
    if sc is not None:
        scale = sc[0]
        value *= scale
        end_tok = sc[1]
        rest = _glued_remainder(toks, end_tok + 1, scale, lx)
        if rest is not None:
            value += rest[0]
            end_tok = rest[1]
    elif value != int(value):
        return None  # "1.5" alone is no headcount
    return Amount(round(value), None, None, None, i, end_tok, t.start, toks[end_tok].end,
                  scale=scale)


def _glued_remainder(toks: list[Token], j: int, scale: int,
                     lx: Lexicon) -> tuple[int, int] | None:
    """The rest of a number after its scale, joined by a conjunction glued to its digits:
    "30 ألفاً و76" is 30,076 (the conjunction written as part of the next word)."""
    if j + 1 >= len(toks) or toks[j].norm not in lx.number_joiners:
        return None
    nxt = toks[j + 1]
    if nxt.kind != "num" or nxt.start != toks[j].end or not nxt.text.isdigit():
        return None
    if j + 2 < len(toks) and toks[j + 2].norm in lx.scales:
        return None  # "بين 10 آلاف و12 ألف": a second number, a range
    rest = int(nxt.text)
    return (rest, j + 1) if 0 < rest < scale else None


def _vague_amount(toks: list[Token], i: int, lx: Lexicon) -> Amount | None:
    by_first = _VAGUE_CACHE.get(lx.code)
    if by_first is None:
        by_first = _VAGUE_CACHE[lx.code] = _vague_by_first(lx)
    for words, key in by_first.get(toks[i].norm, ()):
        k = len(words)
        if i + k > len(toks):
            continue
        if all(toks[i + m].norm == words[m] for m in range(k)):
            # "hundreds" needs a following "of"/"de"/noun; a bare "thousands" still counts
            low, high = VAGUE[key]
            return Amount(low, low, high, key, i, i + k - 1, toks[i].start, toks[i + k - 1].end)
    return None


def _words_amount(toks: list[Token], i: int, lx: Lexicon) -> Amount | None:
    if ARABIC_FIRST <= toks[i].norm[0] <= ARABIC_LAST:
        got_ar = arabic_number(toks, i, lx)
        if got_ar is None or got_ar[0] < 100:
            return None
        value, last = got_ar
        scale = max((lx.scales.get(t.norm, 1) for t in toks[i:last + 1]), default=1)
        return Amount(value, None, None, None, i, last, toks[i].start, toks[last].end,
                      scale=scale)
    if toks[i].norm not in lx.ones and toks[i].norm not in lx.scales and toks[i].norm not in (
            lx.indefinite):
        return None
    got = _word_number(toks, i, lx)
    if got is None:
        return None
    value, last = got
    # lone small words ("one", "two") are rarely headcounts; keep those with a scale
    if value < 100:
        return None
    scale = max((lx.scales.get(t.norm, 1) for t in toks[i:last + 1]), default=1)
    return Amount(value, None, None, None, i, last, toks[i].start, toks[last].end, scale=scale)


def _merge_ranges(toks: list[Token], amts: list[Amount], lx: Lexicon) -> list[Amount]:
    """'5,000 to 7,000', 'between 5,000 and 7,000', '5,000-7,000' become one amount."""
    out: list[Amount] = []
    k = 0
    while k < len(amts):
        a = amts[k]
        if k + 1 < len(amts) and a.vague is None:
            b = amts[k + 1]
            gap = [t.norm for t in toks[a.last + 1: b.first]]
            between = a.first > 0 and toks[a.first - 1].norm in lx.range_starts
            link = len(gap) == 1 and (gap[0] == "-" or gap[0] in lx.range_links)
            if b.vague is None and link and (
                    gap[0] not in lx.range_links_after_start or between) and b.value > a.value:
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
