"""When a figure holds: its kind (a stock or a flow within a period) and its as_of date."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from app.extract.lexicon import Lexicon
from app.extract.text import Token


@cache
def _total_phrases_by_first(lx: Lexicon) -> tuple[bool, dict[str, tuple[tuple[str, ...], ...]]]:
    """The lexicon's stock phrases by their first word, so a token is tried only against its
    own; and whether an empty phrase (one that matches anywhere) is among them."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in lx.total_phrases:
        if phrase:
            by_first.setdefault(phrase[0], []).append(tuple(phrase))
    return (any(not p for p in lx.total_phrases),
            {w: tuple(ps) for w, ps in by_first.items()})


def kind_of(toks: list[Token], lo: int, hi: int, amount_first: int, noun_end: int,
            lx: Lexicon) -> str:
    """'new' for a flow within a period ("another 1,300", "on Saturday", "in the past 24
    hours", "7,300 new arrivals"), else 'total'. Reads toks[lo:hi], the figure's clause; a
    date that goes with a speech verb ("..., officials said on Friday") dates the report,
    not the movement."""
    end = max(noun_end, amount_first)
    if hi < len(toks) and toks[hi].norm in lx.since:
        # "since" opens a phrase here, not a clause: "... new arrivals since the beginning of June"
        hi = next((k for k in range(hi + 1, len(toks)) if toks[k].kind == "punct"), len(toks))
    before = toks[max(lo, amount_first - 8):amount_first]
    # "bringing the total to 8,700": a running total
    if any(t.norm in lx.total_before for t in before):
        return "total"
    for j in range(amount_first - 1, lo - 1, -1):
        if toks[j].kind == "num":
            break
        if toks[j].norm in lx.bringing:
            return "total"  # "ليرتفع عدد الأسر النازحة منذ مطلع سبتمبر إلى 3900 أسرة"
    # the figure's own stretch: not what a "bringing" after it, or a fronted subordinate
    # clause before it, says
    for j in range(end + 1, hi):
        if toks[j].norm in lx.bringing:
            hi = j
            break
    for j in range(amount_first - 1, lo - 1, -1):
        if toks[j].text == "," and any(t.norm in lx.front_subordinators for t in toks[lo:j]):
            lo = j + 1
            break
    if any(t.norm in lx.count_nouns for t in toks[lo:amount_first]) and any(
            t.norm in lx.count_verbs for t in toks[lo:amount_first]):
        return "total"  # a statistic noun counts a stock: "put the number ... at 100,417"
    window = toks[lo:hi]
    anywhere, by_first = _total_phrases_by_first(lx)
    for k, t in enumerate(window):
        w = t.norm
        if w in lx.since:
            if any(x.norm in lx.beginning for x in window[k + 1:k + 4]) and any(
                    x.norm in lx.short_periods or x.norm in lx.months
                    for x in window[k + 1:k + 6]):
                return "new"  # "since the beginning of the week", "منذ بداية الأسبوع"
            return "total"
        if anywhere:
            return "total"
        for phrase in by_first.get(w, ()):
            if tuple(x.norm for x in window[k:k + len(phrase)]) == phrase:
                return "total"
    after = end + 1  # over raising verbs: "another 1,500 are reported to be sheltering"
    while after < hi and after < end + 5 and toks[after].norm in lx.aux:
        after += 1
    verb = toks[max(lo, amount_first - 3):amount_first] + toks[end + 1:min(hi, after + 4)]
    stock = any(t.norm in lx.stock_kind or t.norm in lx.remain for t in verb)
    until = 0
    for k, t in enumerate(window):
        w = t.norm
        nxt = window[k + 1].norm if k + 1 < len(window) else ""
        nxt2 = window[k + 2].norm if k + 2 < len(window) else ""
        if _speech_near(window, k, lx):
            continue
        if w in lx.deadline_preps and any(
                x.norm in lx.weekdays or x.norm in lx.months for x in window[k + 1:k + 4]):
            until = k + 4  # "by Sunday evening", "hasta el domingo", "حتى صباح الخميس": as of
        if k < until:
            continue
        if w in lx.new_markers:
            if stock and w in lx.another:
                continue  # "another 55,000 refugees live outside the camp": a stock
            return "new"
        if w in lx.per_words and nxt in lx.per_units:
            return "new"
        if stock:
            continue
        if w in lx.recent and (nxt in lx.period_units or nxt2 in lx.period_units):
            return "new"
        if w in lx.period_units and (nxt in lx.recent or nxt2 in lx.recent):
            return "new"  # "la semaine dernière", "الأسبوع الماضي", "la semana pasada"
        if w in lx.during and (nxt in lx.period_units or nxt2 in lx.period_units
                               or w in lx.during_alone):
            return "new"
        if (w in lx.during or w in lx.month_preps) and _period_after(window, k + 1, lx):
            return "new"  # "in three days", "en une semaine", "en las últimas 48 horas"
        if w in lx.period_openers and (nxt in lx.weekdays or nxt in lx.period_nouns):
            return "new"
        if w in lx.weekdays and k > 0 and (window[k - 1].kind == "word" or nxt in lx.recent):
            return "new"  # French and Arabic put the bare weekday after the verb: "lundi";
            # ", samedi dernier"
        if w in lx.weekdays and k == 0 and nxt == ",":
            return "new"  # a fronted bare weekday: "Samedi, 3 400 maisons ont été évacuées"
        if w in lx.date_preps and nxt.isdigit() and nxt2 in lx.months:
            return "new"
        if w in lx.range_openers and _date_range(window, k + 1, lx):
            return "new"  # "between 1 and 12 March", "entre le 20 et le 31 mars"
        if w in lx.month_preps and _month_after(window, k + 1, lx):
            return "new"  # "in September", "en février"
    return "total"


def _speech_near(window: list[Token], k: int, lx: Lexicon) -> bool:
    """Whether the time word at window[k] goes with a speech verb: "said on Friday",
    "ont indiqué vendredi", "dijeron el viernes", "بيان اليوم الثلاثاء"."""
    return any(window[j].norm in lx.speech for j in range(max(0, k - 3), k))


def _period_after(window: list[Token], k: int, lx: Lexicon) -> bool:
    """ "in three days", "en une semaine", "in 24 hours", "في يوم واحد", "en las últimas"."""
    j = k
    while j < len(window) and window[j].norm in lx.period_articles:
        j += 1
    if j < len(window) and window[j].norm in lx.recent:
        j += 1
    if j < len(window) and (window[j].norm in lx.small_counts or window[j].kind == "num"):
        j += 1
    if k < j < len(window) and window[j].norm in lx.period_units:
        return True
    # Arabic counts after the unit: "في يوم واحد"
    return j == k and j + 1 < len(window) and window[j].norm in lx.period_units and (
        window[j + 1].norm in lx.small_counts)


def _date_range(window: list[Token], k: int, lx: Lexicon) -> bool:
    j = k
    if j < len(window) and window[j].norm in lx.period_articles:
        j += 1
    if not (j < len(window) and window[j].kind == "num" and len(window[j].norm) <= 2):
        return False
    rest = window[j:j + 6]
    return any(t.norm in lx.months for t in rest) and sum(t.kind == "num" for t in rest) >= 2


def _month_after(window: list[Token], k: int, lx: Lexicon) -> bool:
    j = k
    while j < len(window) and j < k + 3 and window[j].norm in lx.period_articles:
        j += 1  # "au cours du mois de juin"
    if j >= len(window) or window[j].norm not in lx.months or len(window[j].norm) < 3:
        return False
    # "in March 2011" dates a past event
    nxt = window[j + 1].norm if j + 1 < len(window) else ""
    return not (nxt.isdigit() and len(nxt) == 4)


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
