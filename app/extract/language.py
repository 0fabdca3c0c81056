"""Which language a report, or one sentence of it, is written in: from the lexicons' own
words (their function words first) and the script, so adding a language file teaches
detection too."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from app.extract.lexicon import LANGUAGES, load, vocabulary
from app.extract.text import strip_accents

_MIN_SENTENCE_EVIDENCE = 3  # weighted words a sentence needs to leave its report's language
_MIN_REPORT_EVIDENCE = 8    # telling words below which a report's accented words are read too
_FUNCTION_WEIGHT = 2        # a function word says more than a content word of the lexicon


def _own(tables: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """Each language's words that no other language lists ("de", "la", "en" tell French
    from Spanish nothing)."""
    return {code: own - frozenset().union(*(w for c, w in tables.items() if c != code))
            for code, own in tables.items()}


@cache
def _signatures() -> dict[str, tuple[tuple[str, int], ...]]:
    """Each telling word and the languages it tells, with its weight."""
    function = _own({code: load(code).function_words for code in LANGUAGES})
    content = _own({code: vocabulary(load(code)) for code in LANGUAGES})
    table: dict[str, dict[str, int]] = {}
    for code in LANGUAGES:
        for w in content[code]:
            table.setdefault(w, {})[code] = 1
        for w in function[code]:
            table.setdefault(w, {})[code] = _FUNCTION_WEIGHT
    return {w: tuple(by.items()) for w, by in table.items()}


@cache
def _signature_words() -> frozenset[str]:
    return frozenset(_signatures())


@cache
def _signature_bytes() -> frozenset[bytes]:
    return frozenset(w.encode() for w in _signatures())


@cache
def _weight_rows() -> dict[bytes, tuple[int, ...]]:
    """Each telling word (as UTF-8 bytes) and its weight in each language, in LANGUAGES'
    order: a report's scores are the column sums of its words' rows (summed in C)."""
    rows: dict[bytes, tuple[int, ...]] = {}
    for w, langs in _signatures().items():
        by = dict(langs)
        rows[w.encode()] = tuple(by.get(code, 0) for code in LANGUAGES)
    return rows


@cache
def _script_language() -> str | None:
    return next((code for code in LANGUAGES if load(code).own_script), None)


def _scores(words: Iterable[str]) -> dict[str, int]:
    sig = _signatures()
    scores = dict.fromkeys(LANGUAGES, 0)
    for w in words:
        for code, weight in sig.get(w, ()):
            scores[code] += weight
    return scores


def of_report(words: set[bytes], hint: str | None) -> str:
    """The language of a report's Latin-script text from its distinct words (folded, as UTF-8
    bytes); `hint` is the `lang` the report came with, kept when the text bears it out.
    (Arabic is told by its script, sentence by sentence: see of_sentence.)"""
    hint = hint.lower()[:2] if isinstance(hint, str) else None
    script = _script_language()
    # the set intersection and sums run in C; accented words are looked at only when they
    # say little
    telling = words & _signature_bytes()
    scores = dict.fromkeys(LANGUAGES, 0)
    if telling:
        rows = _weight_rows()
        columns = zip(*[rows[w] for w in telling], strict=True)
        scores = dict(zip(LANGUAGES, map(sum, columns), strict=True))
    if len(telling) < _MIN_REPORT_EVIDENCE:
        sig = _signatures()
        bare = [bare for w in words if not w.isascii() and not 0xD8 <= w[0] <= 0xDB
                and (bare := strip_accents(w.decode("utf-8", "surrogatepass"))) in sig]
        for code, score in _scores(bare).items():
            scores[code] += score
    top = max(scores.values())
    if hint in scores and hint != script and 2 * scores[hint] >= top:
        return hint
    if top == 0:
        return hint if hint in LANGUAGES and hint != script else LANGUAGES[0]
    return max(scores, key=lambda c: (scores[c], c == hint))


def of_sentence(words: set[str], report: str) -> str:
    """The language of one sentence from its distinct words (folded): its report's unless
    they clearly say another (a quoted Arabic statement in an English report, a French
    paragraph in a bilingual one)."""
    scores = _scores(words & _signature_words())  # the intersection runs in C
    if report == _script_language():
        # a report in its own script: a sentence without those words is in another language
        report = max(scores, key=lambda c: (scores[c], c == report))
    best = max(scores, key=lambda c: (scores[c], c == report))
    if best != report and scores[best] >= _MIN_SENTENCE_EVIDENCE and (
            scores[best] > 2 * scores.get(report, 0)):
        return best
    return report
