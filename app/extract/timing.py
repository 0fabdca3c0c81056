"""When a figure holds: its kind (a stock or a flow within a period) and its as_of date."""

from __future__ import annotations

from datetime import date, timedelta

from app.extract import vocabulary as v
from app.extract.text import Token

_PERIOD_UNITS = frozenset("hours hour day days week weeks night nights month weekend 24 48 72"
                          .split())
_RECENT = frozenset("past last previous derniere dernieres derniers dernier".split())
_DURING = frozenset({"خلال", "during", "within", "pendant", "en", "over"})
_NEW_PHRASES_AR = frozenset({"الليله", "امس", "اليوم"})


def kind_of(toks: list[Token], lo: int, hi: int, amount_first: int) -> str:
    """'new' for a flow within a period ("another 1,300", "on Saturday", "in the past 24
    hours"), else 'total'. Reads toks[lo:hi], the figure's clause."""
    before = toks[max(lo, amount_first - 8):amount_first]
    # "bringing the total to 8,700", "so far", "since Friday": a running total
    if any(t.norm in ("bringing", "total", "totals", "cumulative", "altogether") for t in before):
        return "total"
    window = toks[lo:hi]
    for k, t in enumerate(window):
        w = t.norm
        if w in ("since", "depuis", "منذ", "seit"):
            return "total"
        if w == "so" and k + 1 < len(window) and window[k + 1].norm == "far":
            return "total"
    for k, t in enumerate(window):
        w = t.norm
        nxt = window[k + 1].norm if k + 1 < len(window) else ""
        nxt2 = window[k + 2].norm if k + 2 < len(window) else ""
        if w in v.NEW_MARKERS or w in _NEW_PHRASES_AR:
            return "new"
        if w in _RECENT and (nxt in _PERIOD_UNITS or nxt2 in _PERIOD_UNITS):
            return "new"
        if w in _DURING and w != "en" and (nxt in _PERIOD_UNITS or nxt2 in _PERIOD_UNITS
                                           or w == "خلال"):
            return "new"
        if w in ("on", "le", "يوم", "this", "cette", "ce") and (
                nxt in v.WEEKDAYS or nxt in ("week", "weekend", "semaine", "morning")):
            return "new"
        if w in ("per", "a", "each", "every", "par") and nxt in ("day", "jour", "week"):
            return "new"
        if w in ("on", "le") and nxt.isdigit() and nxt2 in v.MONTHS:
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


def as_of(toks: list[Token], lo: int, hi: int, published: date | None) -> date | None:
    """The date the figure refers to, when the clause says: "as of 12 March", "on Saturday",
    "yesterday" (resolved against the report's date)."""
    window = toks[lo:hi]
    for k, t in enumerate(window):
        w = t.norm
        prev = window[k - 1].norm if k else ""
        nxt = window[k + 1].norm if k + 1 < len(window) else ""
        nxt2 = window[k + 2].norm if k + 2 < len(window) else ""
        if w.isdigit() and 1 <= len(w) <= 2 and nxt in v.MONTHS:
            year = int(nxt2) if nxt2.isdigit() and len(nxt2) == 4 else None
            return _dated(published, v.MONTHS[nxt], int(w), year)
        if w in v.MONTHS and nxt.isdigit() and 1 <= len(nxt) <= 2 and len(w) > 2:
            year = None
            if k + 3 < len(window) and window[k + 3].norm.isdigit() and len(
                    window[k + 3].norm) == 4:
                year = int(window[k + 3].norm)
            return _dated(published, v.MONTHS[w], int(nxt), year)
        if published is None:
            continue
        if w in v.WEEKDAYS and prev in ("on", "le", "يوم", "last"):
            return _weekday_before(published, v.WEEKDAYS[w])
        if w in ("yesterday", "hier", "امس"):
            return published - timedelta(days=1)
        if w in ("today", "overnight", "tonight"):
            return published
    return None
