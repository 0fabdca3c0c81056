"""When a figure holds: its kind (a stock or a flow within a period) and its as_of date."""

from __future__ import annotations

from datetime import date, timedelta

from app.extract.lexicon import Lexicon
from app.extract.text import Token


def kind_of(toks: list[Token], lo: int, hi: int, amount_first: int, lx: Lexicon) -> str:
    """'new' for a flow within a period ("another 1,300", "on Saturday", "in the past 24
    hours"), else 'total'. Reads toks[lo:hi], the figure's clause."""
    before = toks[max(lo, amount_first - 8):amount_first]
    # "bringing the total to 8,700", "so far", "since Friday": a running total
    if any(t.norm in lx.total_before for t in before):
        return "total"
    window = toks[lo:hi]
    for k, t in enumerate(window):
        w = t.norm
        if w in lx.since:
            return "total"
        for phrase in lx.total_phrases:
            if tuple(x.norm for x in window[k:k + len(phrase)]) == phrase:
                return "total"
    for k, t in enumerate(window):
        w = t.norm
        nxt = window[k + 1].norm if k + 1 < len(window) else ""
        nxt2 = window[k + 2].norm if k + 2 < len(window) else ""
        if w in lx.new_markers:
            return "new"
        if w in lx.recent and (nxt in lx.period_units or nxt2 in lx.period_units):
            return "new"
        if w in lx.during and (nxt in lx.period_units or nxt2 in lx.period_units
                               or w in lx.during_alone):
            return "new"
        if w in lx.period_openers and (nxt in lx.weekdays or nxt in lx.period_nouns):
            return "new"
        if w in lx.per_words and nxt in lx.per_units:
            return "new"
        if w in lx.date_preps and nxt.isdigit() and nxt2 in lx.months:
            return "new"
    return "total"


def _weekday_before(published: date, weekday: int) -> date:
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dated(published: date | None, month: int, day: int, year: int | None) -> date | None:
    if year is None:
        if published is None:
            return None
        d = _safe_date(published.year, month, day)
        # "12 December" in a January report is last year's
        if d is not None and d > published:
            d = _safe_date(published.year - 1, month, day)
        return d
    return _safe_date(year, month, day)


def as_of(toks: list[Token], lo: int, hi: int, published: date | None,
          lx: Lexicon) -> date | None:
    """The date the figure refers to, when the clause says: "as of 12 March", "on Saturday",
    "yesterday" (resolved against the report's date)."""
    window = toks[lo:hi]
    for k, t in enumerate(window):
        w = t.norm
        prev = window[k - 1].norm if k else ""
        nxt = window[k + 1].norm if k + 1 < len(window) else ""
        nxt2 = window[k + 2].norm if k + 2 < len(window) else ""
        if w.isdigit() and 1 <= len(w) <= 2 and nxt in lx.months:
            year = int(nxt2) if nxt2.isdigit() and len(nxt2) == 4 else None
            return _dated(published, lx.months[nxt], int(w), year)
        if w in lx.months and nxt.isdigit() and 1 <= len(nxt) <= 2 and len(w) > 2:
            year = None
            if k + 3 < len(window) and window[k + 3].norm.isdigit() and len(
                    window[k + 3].norm) == 4:
                year = int(window[k + 3].norm)
            return _dated(published, lx.months[w], int(nxt), year)
        if published is None:
            continue
        if w in lx.weekdays and prev in lx.weekday_preps:
            return _weekday_before(published, lx.weekdays[w])
        if w in lx.yesterday:
            return published - timedelta(days=1)
        if w in lx.today:
            return published
    return None
