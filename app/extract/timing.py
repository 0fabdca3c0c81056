"""When a figure holds: its kind (a stock or a flow within a period) and its as_of date."""

from __future__ import annotations

from datetime import date, timedelta

from app.extract import vocabulary as v
from app.extract.text import Token
from app.gazetteer.index import normalize

_PERIOD_UNITS = frozenset("hours hour day days week weeks night nights month weekend 24 48 72"
                          .split()) | v.PERIOD_UNITS_MORE
_RECENT = frozenset("past last previous derniere dernieres derniers dernier".split()) | (
    v.RECENT_MORE)
_DURING = frozenset({"خلال", "during", "within", "pendant", "en", "over"})
_NEW_PHRASES_AR = frozenset({"الليله", "امس", "اليوم"})


def kind_of(toks: list[Token], lo: int, hi: int, amount_first: int,
            noun_end: int | None = None) -> str:
    """'new' for a flow within a period ("another 1,300", "on Saturday", "in the past 24
    hours", "7,300 new arrivals"), else 'total'. Reads toks[lo:hi], the figure's clause; a
    date that goes with a speech verb ("..., officials said on Friday") dates the report,
    not the movement."""
    end = noun_end if noun_end is not None and noun_end >= amount_first else amount_first
    before = toks[max(lo, amount_first - 8):amount_first]
    # "bringing the total to 8,700": a running total
    if any(t.norm in ("bringing", "total", "totals", "cumulative", "altogether") for t in before):
        return "total"
    for j in range(amount_first - 1, lo - 1, -1):
        if toks[j].kind == "num":
            break
        if toks[j].norm in v.BRINGING:
            return "total"  # "ليرتفع عدد الأسر النازحة منذ مطلع سبتمبر إلى 3900 أسرة"
    # the figure's own stretch: not what a "bringing" after it, or a fronted subordinate
    # clause before it, says
    for j in range(end + 1, hi):
        if toks[j].norm in v.BRINGING:
            hi = j
            break
    for j in range(amount_first - 1, lo - 1, -1):
        if toks[j].text == "," and any(t.norm in v.FRONT_SUBORDINATORS for t in toks[lo:j]):
            lo = j + 1
            break
    window = toks[lo:hi]
    for k, t in enumerate(window):
        w = t.norm
        if w in ("since", "depuis", "منذ", "seit", "desde"):
            if _beginning_after(window, k) and any(
                    t.norm in v.SHORT_PERIODS for t in window[k + 1:k + 6]):
                return "new"  # "since the beginning of the week", "منذ بداية الأسبوع"
            return "total"
        if w == "so" and k + 1 < len(window) and window[k + 1].norm == "far":
            return "total"
    noun = toks[max(lo, amount_first - 1):min(hi, end + 3)]
    if any(t.norm in v.NEW_NOUN_MODIFIERS for t in noun):
        return "new"  # "7,300 new arrivals", "2,000 newly displaced"
    verb = toks[max(lo, amount_first - 3):amount_first] + toks[end + 1:min(hi, end + 5)]
    stock = any(t.norm in v.STOCK_KIND for t in verb)
    for k, t in enumerate(window):
        w = t.norm
        nxt = window[k + 1].norm if k + 1 < len(window) else ""
        nxt2 = window[k + 2].norm if k + 2 < len(window) else ""
        if _speech_near(window, k):
            continue
        if w in v.NEW_MARKERS or w in _NEW_PHRASES_AR:
            if stock and w in _ANOTHER:
                continue  # "another 55,000 refugees live outside the camp": a stock
            return "new"
        if w in ("per", "a", "each", "every", "par") and nxt in ("day", "jour", "week"):
            return "new"
        if stock:
            continue
        if w in _RECENT and (nxt in _PERIOD_UNITS or nxt2 in _PERIOD_UNITS):
            return "new"
        if w in _PERIOD_UNITS and (nxt in _RECENT or nxt2 in _RECENT):
            return "new"  # "la semaine dernière", "الأسبوع الماضي", "la semana pasada"
        if (w in _DURING or w in v.DURING_MORE) and _period_after(window, k + 1):
            return "new"
        if w in _DURING and w != "en" and (nxt in _PERIOD_UNITS or nxt2 in _PERIOD_UNITS
                                           or w == "خلال"):
            return "new"
        if w in ("on", "le", "يوم", "this", "cette", "ce", "el", "este", "esta") and (
                nxt in v.WEEKDAYS or nxt in ("week", "weekend", "semaine", "morning", "semana")):
            return "new"
        if w in v.WEEKDAYS and k > 0 and window[k - 1].kind == "word" and (
                window[k - 1].norm not in v.SPEECH):
            return "new"  # French and Arabic put the bare weekday after the verb: "lundi"
        if w in ("per", "a", "each", "every", "par") and nxt in ("day", "jour", "week"):
            return "new"
        if w in ("on", "le") and nxt.isdigit() and nxt2 in v.MONTHS:
            return "new"
        if w in v.RANGE_OPENERS and _date_range(window, k + 1):
            return "new"  # "between 1 and 12 March", "entre le 20 et le 31 mars"
        if w in v.DURING_MORE and w not in ("over",) and _month_after(window, k + 1):
            return "new"  # "in September", "en février"
    return "total"


_ANOTHER = frozenset(normalize(w) for w in "another autres otros اخرون اخري".split())


def _speech_near(window: list[Token], k: int) -> bool:
    """Whether the time word at window[k] goes with a speech verb: "said on Friday",
    "ont indiqué vendredi", "dijeron el viernes", "بيان اليوم الثلاثاء"."""
    for j in range(max(0, k - 3), k):
        if window[j].norm in v.SPEECH:
            return True
    return False


def _beginning_after(window: list[Token], k: int) -> bool:
    return any(t.norm in v.BEGINNING for t in window[k + 1:k + 4])


def _period_after(window: list[Token], k: int) -> bool:
    """ "in three days", "en une semaine", "in 24 hours", "في يوم واحد", "en las últimas"."""
    j = k
    while j < len(window) and window[j].norm in _ARTICLES_TIME:
        j += 1
    if j < len(window) and window[j].norm in _RECENT:
        j += 1
    if j < len(window) and (window[j].norm in v.SMALL_COUNTS or window[j].kind == "num"):
        j += 1
    if j > k and j < len(window) and window[j].norm in _PERIOD_UNITS:
        return True
    # Arabic counts after the unit: "في يوم واحد", "خلال يومين"
    return j == k and j + 1 < len(window) and window[j].norm in _PERIOD_UNITS and (
        window[j + 1].norm in v.SMALL_COUNTS)


def _date_range(window: list[Token], k: int) -> bool:
    j = k
    if j < len(window) and window[j].norm in ("le", "el", "the"):
        j += 1
    if not (j < len(window) and window[j].kind == "num" and len(window[j].norm) <= 2):
        return False
    rest = [t.norm for t in window[j + 1:j + 6]]
    return any(w in v.MONTHS for w in rest) and len(
        [t for t in window[j:j + 6] if t.kind == "num"]) >= 2


def _month_after(window: list[Token], k: int) -> bool:
    j = k
    if j < len(window) and window[j].norm in ("the", "el", "le", "mes"):
        j += 1
    if j >= len(window) or window[j].norm not in v.MONTHS or len(window[j].norm) < 3:
        return False
    # "in March 2011" dates a past event, "on 12 March" is read elsewhere
    nxt = window[j + 1].norm if j + 1 < len(window) else ""
    return not (nxt.isdigit() and len(nxt) == 4)


_ARTICLES_TIME = frozenset(normalize(w) for w in "the les la las los el les past".split())


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
