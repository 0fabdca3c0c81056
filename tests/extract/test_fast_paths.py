"""The extractor's fast paths find exactly what the plain regexes they replace find, on many
generated strings made of the characters each one is sensitive to."""

from __future__ import annotations

import random
import re

from app.extract import core, places, text
from app.extract.lexicon import every


def _strings(alphabet: list[str], count: int, longest: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest)))
            for _ in range(count)]


def test_name_start_matches_the_alternation_of_both_scripts() -> None:
    plain = re.compile(r"(?:[A-ZÀ-ÖØ-ÞĀ-Ž](?<!\w.)[^\W\d_]*(?:'[^\W\d_]+)?"
                       r"|[\u0600-\u06ff](?<!\w.)[\u0600-\u06ff]*)")
    alphabet = [*"AZaz'_ 0-.,\n", "É", "é", "ß", "Ā", "ž", "Ž", "ı", "İ", "ب", "ة", "٣", "،",
                "ـ", "\u064b", "Ж", "中", "\u0301", "’", "\u0600", "\u06ff", "\u0700", "ǅ"]
    for s in _strings(alphabet, 20_000, 14, 1):
        assert places._NAME_START.findall(s) == plain.findall(s), s


def test_sentence_ends_match_the_full_regex_in_any_window() -> None:
    rnd = random.Random(2)
    for s in _strings([*"aZ .!?\t\n-'\"”»)]_1é", "\u00a0"], 20_000, 16, 2):
        a = rnd.randint(0, len(s))
        b = rnd.randint(a, len(s))
        got = [(m.start(), m.end()) for m in text._sentence_ends(s, a, b)]
        assert got == [(m.start(), m.end()) for m in text._SENT_END.finditer(s, a, b)], (s, a, b)


def test_fold_equals_the_whole_translation() -> None:
    def plain(s: str) -> str:
        low = s.translate(text._FOLD).lower()
        if len(low) == len(s):
            return low
        return "".join(c if len(c.lower()) != 1 else c.lower() for c in s.translate(text._FOLD))

    alphabet = [src for src, _ in text._FOLD_PAIRS] + [*"aB é'", "\ud800", "ب", "中", "İ",
                                                        "\U0001f600"]
    for s in _strings(alphabet, 20_000, 12, 3):
        assert text.fold(s) == plain(s), repr(s)


def test_stem_positions_are_the_stem_regex_matches() -> None:
    pf = core._Prefilter(every())
    assert pf.stems_re is not None
    letters = [*sorted({c for stem in pf.stems for c in stem}), " ", "a", "é"]
    for s in _strings(letters, 20_000, 20, 4):
        data = s.encode("utf-8", "surrogatepass")
        assert pf.stem_positions(s, data) == [m.start() for m in pf.stems_re.finditer(s)], s
