"""Deciding which amounts in a sentence are displacement figures: unit, qualifier, negatives."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from app.extract import vocabulary as v
from app.extract.numbers import Amount, find_amounts
from app.extract.text import Token
from app.gazetteer.index import normalize

# Qualifier phrases before the number, longest first (folded, accents off).
_QUALIFIERS: list[tuple[tuple[str, ...], str]] = sorted(
    [
        (("at", "least"), "at_least"), (("no", "fewer", "than"), "at_least"),
        (("no", "less", "than"), "at_least"), (("not", "less", "than"), "at_least"),
        (("a", "minimum", "of"), "at_least"), (("au", "moins"), "at_least"),
        (("ما", "لا", "يقل", "عن"), "at_least"), (("لا", "يقل", "عن"), "at_least"),
        (("mindestens",), "at_least"),
        (("more", "than"), "more_than"), (("over",), "more_than"),
        (("upwards", "of"), "more_than"), (("in", "excess", "of"), "more_than"),
        (("exceeding",), "more_than"), (("exceeded",), "more_than"),
        (("exceeds",), "more_than"), (("above",), "more_than"), (("plus", "de"), "more_than"),
        (("plus", "d"), "more_than"), (("اكثر", "من"), "more_than"),
        (("ما", "يزيد", "عن"), "more_than"), (("ما", "يزيد", "على"), "more_than"),
        (("يزيد", "عن"), "more_than"), (("mehr", "als"), "more_than"), (("uber",), "more_than"),
        (("about",), "about"), (("around",), "about"), (("some",), "about"),
        (("roughly",), "about"), (("an", "estimated"), "about"), (("estimated",), "about"),
        (("nearly",), "about"), (("almost",), "about"), (("close", "to"), "about"),
        (("approximately",), "about"), (("approx",), "about"), (("circa",), "about"),
        (("an", "approximate"), "about"), (("environ",), "about"), (("pres", "de"), "about"),
        (("pres", "d"), "about"), (("quelque",), "about"), (("presque",), "about"),
        (("nearly", "about"), "about"), (("نحو",), "about"), (("حوالي",), "about"),
        (("قرابه",), "about"), (("ما", "يقارب"), "about"), (("زهاء",), "about"),
        (("etwa",), "about"), (("rund",), "about"), (("fast",), "about"),
        (("ungefahr",), "about"), (("une", "estimation", "de"), "about"),
        (("up", "to"), "up_to"), (("as", "many", "as"), "up_to"),
        (("no", "more", "than"), "up_to"), (("as", "much", "as"), "up_to"),
        (("jusqu", "a"), "up_to"), (("jusqua",), "up_to"), (("ما", "يصل", "الى"), "up_to"),
        (("حتى",), "up_to"),
        (("bis", "zu"), "up_to"), (("ما", "يربو", "على"), "more_than"),
        (("يربو", "على"), "more_than"), (("يزيد", "على"), "more_than"),
        (("بنحو",), "about"), (("بحوالي",), "about"), (("بقرابة",), "about"),
        (("ما", "يقرب", "من"), "about"), (("بما", "يقارب"), "about"),
        (("بما", "لا", "يقل", "عن"), "at_least"), (("بأكثر", "من"), "more_than"),
        (("fewer", "than"), "less_than"), (("less", "than"), "less_than"),
        (("under",), "less_than"), (("moins", "de"), "less_than"),
        (("moins", "d"), "less_than"), (("اقل", "من"), "less_than"),
        (("weniger", "als"), "less_than"), (("below",), "less_than"),
        *v.QUALIFIER_EXTRA,
    ],
    key=lambda q: -len(q[0]),
)
# the same folding tokens get ("على" -> "علي", "قرابة" -> "قرابه")
_QUALIFIERS = [(tuple(normalize(w) for w in words), q) for words, q in _QUALIFIERS]
_MONEY = frozenset({"$", "€", "£", "usd", "us", "eur", "dollars", "euros", "sdg", "lbp"})
_AGE_BEFORE = frozenset({"aged", "age", "ages", "agee", "عمر", "بعمر"})
_COUNT_NOUNS = frozenset({"number", "total", "figure", "tally", "count", "nombre", "عدد",
                          "zahl"})
_COUNT_VERBS = frozenset({"to", "at", "reached", "of", "hit", "exceeded", "topped",
                          "surpassed", "passed", "stood", "a", "بلغ", "الى", "إلى", "rose",
                          "climbed", "is", "was", "now"})
_AUX = frozenset({"have", "has", "had", "been", "were", "are", "was", "is", "now", "already",
                  "reportedly", "also", "ont", "sont", "se", "s", "hätten", "sind", "haben"})
_HEDGING = frozenset(normalize(w) for w in
                     "could may might would pourrait pourraient peut peuvent".split())
_OF = frozenset({"of", "de", "d", "من", "des"})


@dataclass(slots=True)
class Candidate:
    amount: Amount
    unit: str
    qualifier: str
    noun_end: int          # last token index of the figure's noun phrase
    displaced_noun: bool   # the noun itself says displaced ("refugees", "new arrivals")
    part: bool = False     # a part of an earlier figure: "281,000 of them", "dont 20 000"
    aside: bool = False    # ... set off by commas: "500,000, including 20,000 children, fled"


def qualifier_of(toks: list[Token], amt: Amount) -> str:
    if amt.vague:
        return "vague"
    if amt.range_:
        return "about"
    i = amt.first
    if toks[i].norm in ("dun", "dune") and i > 0:  # "plus d'un million", "près d'un million"
        q_fr = {"plus": "more_than", "moins": "less_than", "pres": "about"}.get(toks[i - 1].norm)
        if q_fr:
            return q_fr
    for words, q in _QUALIFIERS:
        k = len(words)
        if i - k < 0:
            continue
        if all(toks[i - k + m].norm == words[m] for m in range(k)):
            return q
    nxt = toks[amt.last + 1].text if amt.last + 1 < len(toks) else ""
    if nxt == "+":
        return "more_than"
    after = [t.norm for t in toks[amt.last + 1: amt.last + 6]]
    if "على" in after and "الاقل" in after:
        return "at_least"
    if "تقريبا" in after:
        return "about"
    for a, b in itertools.pairwise(after):
        if (a, b) in (("or", "more"), ("et", "plus"), ("or", "over")):
            return "more_than"
    return "exact"


def _strip_al(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


def _unit_of(word: str, upper: bool) -> str | None:
    word = v.TYPOS.get(word, word)
    if word in v.FAMILIES or _strip_al(word) in v.FAMILIES:
        return "families"
    if word in v.HOUSEHOLDS:
        return "households"
    if word in v.PEOPLE or _strip_al(word) in v.PEOPLE or word in v.GROUPS:
        return "people"
    if upper and len(word) > 4 and word.endswith(v.GROUP_SUFFIXES):
        return "people"  # "Syrians", "Alawites", "Congolese"
    return None


def head_noun(toks: list[Token], amt: Amount) -> tuple[str | None, int, bool]:
    """(unit, last token of the noun phrase, noun says displaced) for the words after the
    number: "10,000 Alawite civilians" -> people. (None, -1, False) when there is none or it
    names something else ("30 massacres")."""
    j = amt.last + 1
    n = len(toks)
    skipped = 0
    displaced = False
    while j < n and skipped <= 3:
        t = toks[j]
        w = t.norm
        if t.kind != "word":
            if t.text in ("-", "'", "+") and skipped == 0:
                j += 1
                skipped += 1
                continue
            return None, -1, False
        if w in v.NOT_PEOPLE:
            return None, -1, False
        if w in v.EVENT_NOUNS:
            return "people", j, True  # "7,400 crossings", "14,000 displacements"
        unit = _unit_of(w, t.upper)
        if unit is None and not t.upper:
            unit = _glued_unit(w)  # "peoplewere": words glued by PDF extraction
        if unit is not None:
            displaced = displaced or w in v.DISPLACED_NOUNS or _strip_al(w) in v.DISPLACED_NOUNS
            # "displaced people", "internally displaced persons": keep reading the phrase
            if w in ("displaced", "deplaces", "deplacees") and j + 1 < n and _unit_of(
                    toks[j + 1].norm, toks[j + 1].upper):
                j += 1
                continue
            if w in ("asylum",) and j + 1 < n:
                j += 1
            return unit, j, displaced
        if w in v.NOUN_MODIFIERS or w in _OF or (t.upper and skipped < 2) or (
                _adjectival(w) and skipped < 2):
            displaced = displaced or w in v.DISPLACED_NOUNS or w in v.DISPLACEMENT
            j += 1
            skipped += 1
            continue
        return None, -1, False
    return None, -1, False


def _adjectival(word: str) -> bool:
    """An unknown lower-case word that looks like an adjective or participle ("2,500
    unregistered IDPs", "900 newly arrived Sudanese"), so it may modify the noun after it."""
    return (len(word) > 4 and word.isalpha() and word.endswith(v.MODIFIER_SUFFIXES)
            and word not in v.NEGATIVE and word not in v.AID_VERBS)


def _glued_unit(word: str) -> str | None:
    """A unit noun glued to the next word ("peoplewere", "familiesfled")."""
    if len(word) < 8 or not word.isascii():
        return None
    for k in range(4, len(word) - 1):
        rest = word[k:]
        if rest in _AUX or rest in v.DISPLACEMENT or rest in v.DEST_PREPS:
            unit = _unit_of(word[:k], False)
            if unit is not None:
                return unit
    return None


def rejected_context(toks: list[Token], amt: Amount, lo: int, hi: int) -> bool:
    """True when the words around the number make it no displacement figure: deaths, aid,
    money, percentages, ages, dates, populations, returns, orders, what might happen."""
    first, last = amt.first, amt.last
    prev = toks[first - 1].norm if first > 0 else ""
    prev2 = toks[first - 2].norm if first > 1 else ""
    nxt = toks[last + 1].norm if last + 1 < len(toks) else ""
    if prev in _MONEY or nxt in _MONEY or nxt in ("%", "٪", "percent", "per", "pour"):
        return True
    nxt2 = toks[last + 2].norm if last + 2 < len(toks) else ""
    may_verb = nxt == "may" and nxt2 in ("have", "be", "not", "now", "still", "also")
    if prev in _AGE_BEFORE or prev in v.MONTHS or (nxt in v.MONTHS and not may_verb):
        return True
    if prev in ("of", "de", "to") and prev2 in v.POPULATION_BEFORE:
        return True  # "a town of 80,000", "home to 80,000"
    if prev2 == "population" or prev == "population":
        return True
    if _arabic_modal(toks[max(lo, first - 4):first]):
        return True
    # deaths, aid or orders just before: "killing 35 people", "delivered parcels to 1,200";
    # not across "and" to a number that says displaced itself: "3,500 killed and 15,000
    # displaced"
    back = toks[max(lo, first - 6):first]
    if nxt in v.DISPLACED_NOUNS or nxt in _DISPLACED_AFTER:
        for k in range(len(back) - 1, -1, -1):
            if back[k].norm in ("and", "et", "while", "و"):
                back = back[k + 1:]
                break
    for k, t in enumerate(back):
        if t.norm in v.NEGATIVE and not _in_name(back, k):
            return True
    # aid reaches past an earlier number: "delivered 2,400 parcels to 1,200 households"
    aid_back = toks[max(0, first - 10):first]
    for k, t in enumerate(aid_back):
        if t.norm in v.AID_VERBS and not _in_name(aid_back, k):
            return True
    if prev in ("to", "for") and prev2 in v.NOT_PEOPLE:
        return True
    if (any(t.norm in v.ORDERS for t in toks[max(lo, first - 3):first])
            or any(t.norm in v.STRONG_ORDERS for t in toks[max(lo, first - 8):first])) and (
            not _carried_out(toks, last + 1, hi)):
        return True
    if prev in ("to", "for", "a", "pour", "ل") and prev2 in v.AID_NOUNS:
        return True
    if prev in _OF_WHOLE or (prev in _ARTICLES_OF and prev2 in _OF_WHOLE):
        # the whole of a partitive is a population: "500 of the 4,000 villagers"
        k = first - (2 if prev in _OF_WHOLE else 3)
        if k >= 0 and toks[k].kind == "num":
            return True
    after = toks[last + 1:hi]
    # A word governs the figure only inside its own verb group: once the movement verb has
    # come, a later cause or attribution ("fled due to the fighting", ", officials said,
    # adding that the number could rise") is no longer about this figure.
    moved = False
    detached = False
    for k, t in enumerate(after):
        w = t.norm
        nxt_w = after[k + 1].norm if k + 1 < len(after) else ""
        if _death_phrase(after, k):
            return True
        if w in v.DISPLACEMENT and t.kind == "word" and k > 0:
            moved = True
            continue
        if moved and (t.text == "," or w in v.CAUSES):
            detached = True
        if detached or _in_name(after, k):
            continue
        if moved and w in v.MODALS:
            continue
        if w in v.RISK_NOUNS and nxt_w in _OF and k + 2 < len(after) and (
                after[k + 2].norm not in v.DISPLACEMENT):
            continue  # "at risk of cholera": the displaced are still counted
        if w in v.NOT_MODAL_AFTER and nxt_w in v.NOT_MODAL_AFTER[w]:
            continue  # "set up", "due to the fighting"
        if w in v.NEGATIVE or w in v.AID_VERBS:
            # "نزح عشرات الآلاف من سكان رفح": residents of a place fled, no population
            if w in _RESIDENTS and k > 0 and after[k - 1].norm == "من" and (
                    _arabic_verb_before(toks, first, lo)):
                continue
            return True
        if w in v.ORDERS and nxt_w in ("to", "de"):
            return True
        if w in v.MODALS:
            rest = [x.norm for x in after[k + 1:k + 3] if x.norm != "not"]
            if w in _HEDGING and rest and rest[0] in ("have", "avoir"):
                continue  # a hedged past estimate: "may have been displaced", "could have fled"
            if not rest or rest[0] not in v.STATIVE_AFTER_MODAL or (
                    rest[0] == "be" and len(rest) > 1 and rest[1] not in v.STATIVE_AFTER_MODAL
                    and rest[1] not in ("in", "at", "now")):
                return True
    return False


_AR_MODAL = frozenset({"قد", "ربما", "يتوقع", "متوقع", "المتوقع", "يخشي", "تخشي", "يحتمل"})


def _arabic_modal(before: list[Token]) -> bool:
    """Arabic puts the verb first: "قد ينزح مليون" (a million may flee), "سينزح" (will flee),
    "من المتوقع أن يصل" (expected to arrive). "قد نزح" (have fled) is a figure."""
    for k, t in enumerate(before):
        w = t.norm
        nxt = before[k + 1].norm if k + 1 < len(before) else ""
        if w in ("قد", "وقد") and nxt[:1] in ("ي", "ت"):
            return True
        if w in _AR_MODAL and w not in ("قد", "وقد"):
            return True
        if len(w) >= 4 and w[:2] in ("سي", "ست") and (
                "نزح" in w or "لج" in w or "فر" in w or "صل" in w):
            return True
    return False


_AR_QUALIFIER_WORDS = frozenset(w for words, _ in _QUALIFIERS for w in words
                                if w[:1] >= "\u0600" and w not in ("الي", "حتي"))


def _arabic_verb_before(toks: list[Token], first: int, lo: int) -> bool:
    """An Arabic displacement verb just before the amount, over qualifier words and a
    "قد": "لجأ عشرات الآلاف", "فر أكثر من 5 آلاف" (not "وصل إلى 500": reaching a number)."""
    j = first - 1
    steps = 0
    while j >= lo and steps < 5:
        w = toks[j].norm
        if w in v.AR_VERBS or (len(w) > 2 and w[0] in "وف" and w[1:] in v.AR_VERBS):
            return True
        if w not in _AR_QUALIFIER_WORDS and w not in ("قد", "وقد", "لقد", "ما"):
            return False
        j -= 1
        steps += 1
    return False


_OF_WHOLE = frozenset(normalize(w) for w in "of de des du d من اصل".split())
_ARTICLES_OF = frozenset(normalize(w) for w in "the these those les ces".split())


def _in_name(toks: list[Token], k: int) -> bool:
    """A capitalised word inside a run of capitalised words is part of a name ("the Victims
    Support Office", "Missing Migrants Project"): it says nothing about the figure."""
    t = toks[k]
    if not t.upper:
        return False
    prev_up = k > 0 and toks[k - 1].upper and toks[k - 1].kind == "word"
    next_up = k + 1 < len(toks) and toks[k + 1].upper and toks[k + 1].kind == "word"
    return prev_up or next_up


def _death_phrase(toks: list[Token], k: int) -> bool:
    for phrase in v.DEATH_PHRASES:
        if all(k + m < len(toks) and toks[k + m].norm == w for m, w in enumerate(phrase)):
            return True
    return False


def _carried_out(toks: list[Token], lo: int, hi: int) -> bool:
    """Whether the words after an ordered number say the people did leave ("12,000 have been
    evacuated to Kharkiv"), up to the next comma (", where many had fled" is someone else)."""
    for t in toks[lo:hi]:
        if t.text == ",":
            return False
        if t.norm in v.CARRIED_OUT or t.norm in v.CARRIED_OUT_MORE:
            return True
    return False


_RESIDENTS = frozenset({"سكان"})
_DISPLACED_AFTER = frozenset(normalize(w) for w in "displaced uprooted déplacés déplacées".split())
# "250,000 people live in the town" is a population; "400,000 already live", "displaced
# people live in camps", "are living in schools" are not
_POPULATION_VERBS = frozenset(normalize(w) for w in
                              "live lives inhabit vivent habitent يعيش يعيشون يسكن يسكنون".split())


def candidate(toks: list[Token], amt: Amount, lo: int, hi: int,
              previous: Candidate | None) -> Candidate | None:
    """The amount as a displacement figure candidate, or None. toks[lo:hi] is its clause."""
    if rejected_context(toks, amt, lo, hi):
        return None
    unit, noun_end, displaced = head_noun(toks, amt)
    if unit is None:
        unit, noun_end, displaced = _partitive_unit(toks, amt)
    if unit is None:
        unit, noun_end, displaced = _implied_unit(toks, amt, lo, previous)
    if unit is None:
        return None
    if not displaced and noun_end + 1 < len(toks) and toks[noun_end + 1].norm in (
            _POPULATION_VERBS):
        return None
    part = _partition(toks, amt)
    aside = part and noun_end + 1 < len(toks) and toks[noun_end + 1].text == ","
    return Candidate(amt, unit, qualifier_of(toks, amt), noun_end, displaced, part, aside)


def _partitive_unit(toks: list[Token], amt: Amount) -> tuple[str | None, int, bool]:
    """The part of a partitive takes the whole's noun: "500 of the 4,000 villagers"."""
    j = amt.last + 1
    if j >= len(toks) or toks[j].norm not in _OF_WHOLE:
        return None, -1, False
    j += 1
    if j < len(toks) and toks[j].norm in _ARTICLES_OF:
        j += 1
    if j >= len(toks) or toks[j].kind != "num":
        return None, -1, False
    whole = next((a for a in find_amounts(toks[j:j + 6]) if a.first == 0), None)
    if whole is None:
        return None, -1, False
    shifted = Amount(whole.value, None, None, None, j, j + whole.last, 0, 0)
    unit, end, displaced = head_noun(toks, shifted)
    return unit, end, displaced


_PART_BEFORE = frozenset(normalize(w) for w in
                         "dont including incl among منهم منهن بينهم من_بينهم".split())
_PART_AFTER = (("of", "them"), ("of", "whom"), ("of", "which"), ("among", "them"),
               ("dentre", "eux"), ("dentre", "elles"), ("parmi", "eux"), ("منهم",), ("منهن",))


def _partition(toks: list[Token], amt: Amount) -> bool:
    """Whether the amount counts part of an earlier figure: "of whom 281,000", "281,000 of
    them went to Poland", "dont 281 000 en Pologne", "منهم 281 ألفا"."""
    j = amt.first - 1
    while j >= 0 and j >= amt.first - 3 and toks[j].norm in _PART_QUALIFIER_WORDS:
        j -= 1
    if j >= 0 and (toks[j].norm in _PART_BEFORE or (
            toks[j].norm in ("whom", "which", "them") and j > 0
            and toks[j - 1].norm in ("of", "among"))):
        return True
    after = tuple(t.norm for t in toks[amt.last + 1:amt.last + 3])
    return any(after[:len(p)] == p for p in _PART_AFTER)


_PART_QUALIFIER_WORDS = frozenset(w for words, _ in _QUALIFIERS for w in words) | {"some"}


def _implied_unit(toks: list[Token], amt: Amount, lo: int,
                  previous: Candidate | None) -> tuple[str | None, int, bool]:
    """Figures without their own noun: "and 60,000 into Chad" (after another figure),
    "10,000 have fled", "displaced 10,000", "the number of arrivals rose to 8,700"."""
    n = len(toks)
    j = amt.last + 1
    nxt = toks[j].norm if j < n else ""
    if previous is not None and nxt in v.DEST_PREPS and nxt not in ("for", "in", "at"):
        return previous.unit, amt.last, previous.displaced_noun
    # "281,000 of them went to Poland", "of whom 281,000 went": a part of the figure just
    # before (not of a death toll: "132 killed, 72 of them in Tartus")
    if previous is not None and _partition(toks, amt) and not any(
            t.kind == "num" for t in toks[previous.amount.last + 1:amt.first]):
        end = amt.last
        if nxt in ("of", "among", "dentre", "parmi"):
            end += 2
        elif nxt in ("منهم", "منهن"):
            end += 1
        return previous.unit, end, True
    k = j
    while k < n and (toks[k].norm in _AUX or (
            toks[k].norm in _HEDGING and k + 1 < n and toks[k + 1].norm == "have")):
        k += 1
    # "10,000 have fled", "another 1,300 arrived"
    if k < n and toks[k].norm in v.DISPLACEMENT and (k > j or toks[k].norm.endswith("ed")):
        return "people", amt.last, True
    # "Adré, where 400,000 already live": living somewhere already, in a relative clause
    if (k < n and toks[k].norm in v.STOCK_VERBS and amt.first > 0
            and any(t.text in v.RELATIVE for t in toks[max(lo, amt.first - 4):amt.first])
            and any(t.norm in ("already", "now", "currently") for t in toks[j:k + 2])):
        return "people", amt.last, True
    if amt.first > 0 and toks[amt.first - 1].norm in ("displaced", "uprooted", "hosting",
                                                      "sheltering", "received", "welcomed"):
        return "people", amt.last, True
    if _arabic_verb_before(toks, amt.first, lo):
        return "people", amt.last, True
    # "bringing the number of new arrivals there to 8,700"
    if amt.first > 0 and toks[amt.first - 1].norm in _COUNT_VERBS:
        back = toks[max(lo, amt.first - 12):amt.first]
        for m, t in enumerate(back):
            if t.norm in _COUNT_NOUNS:
                for u in back[m + 1:]:
                    unit = _unit_of(u.norm, u.upper)
                    if unit is not None and (u.norm in v.DISPLACED_NOUNS or
                                             _strip_al(u.norm) in v.DISPLACED_NOUNS):
                        return unit, amt.last, True
    return None, -1, False
