"""Marking figures in text: the number highlighted in its quote, every figure in its report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from app.reports.models import Figure

_RTL_LANGS = frozenset({"ar", "fa", "ur", "he", "ps", "ckb"})
_RTL_CHARS = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LETTERS = re.compile(r"[^\W\d_]")


def direction(text: str, lang: str | None = None) -> str:
    """"rtl" for Arabic, Persian, Urdu or Hebrew text (by its language or its letters)."""
    if lang and lang.split("-")[0].lower() in _RTL_LANGS:
        return "rtl"
    sample = text[:2000]
    letters = len(_LETTERS.findall(sample))
    return "rtl" if letters and len(_RTL_CHARS.findall(sample)) / letters > 0.3 else "ltr"


def mark_number(quote: str, number: str) -> Markup:
    """The quote with the figure's number (as written in the report) highlighted once."""
    at = quote.find(number) if number else -1
    if at < 0:
        return Markup(escape(quote))
    return Markup(f"{escape(quote[:at])}<mark>{escape(number)}</mark>"
                  f"{escape(quote[at + len(number):])}")


def mark_figures(text: str, figures: Sequence[Figure]) -> Markup:
    """The report's text with each figure's number wrapped in a link to its reading."""
    out: list[str] = []
    cursor = 0
    for n, f in enumerate(sorted(figures, key=lambda f: f.span_start), start=1):
        start, end = max(f.span_start, cursor), min(f.span_end, len(text))
        if start >= end:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f'<a class="fig" href="#reading-{n}" id="figure-{n}"><mark>'
                   f"{escape(text[start:end])}</mark><sup>{n}</sup></a>")
        cursor = end
    out.append(escape(text[cursor:]))
    return Markup("".join(out))
