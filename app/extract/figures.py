"""Deciding which amounts in a sentence are displacement figures: unit, qualifier, negatives."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.extract.lexicon import Lexicon, Phrase
from app.extract.numbers import Amount
from app.extract.text import Token, is_arabic


@dataclass(slots=True)
class Candidate:
    amount: Amount
    unit: str
    qualifier: str
    noun_end: int          # last token index of the figure's noun phrase
    displaced_noun: bool   # the noun itself says displaced ("refugees", "new arrivals")
    part: bool = False     # a part of an earlier figure: "281,000 of them", "dont 20 000"
    aside: bool = False    # ... set off by commas: "500,000, including 20,000 children, fled"
    earlier: bool = False  # the figure before at an earlier date: "..., up from 6,650"
    list_place: int = -1   # the last token of a list item's place: "Perú, con 768.000"
    dwelling: bool = False  # households counted as dwellings emptied: "9,800 homes evacuated"


def _qualifiers(lx: Lexicon) -> list[tuple[Phrase, str]]:
    got = _QUALIFIER_CACHE.get(lx.code)
    if got is None:
        got = _QUALIFIER_CACHE[lx.code] = sorted(lx.qualifiers.items(), key=lambda q: -len(q[0]))
    return got


_QUALIFIER_CACHE: dict[str, list[tuple[Phrase, str]]] = {}

@cache
def _qualifier_words(lx: Lexicon) -> frozenset[str]:
    return frozenset(w for words in lx.qualifiers for w in words)


@cache
def _qualifiers_by_last(lx: Lexicon) -> dict[str, list[Phrase]]:
    """Qualifier phrases by their last word, longest first."""
    out: dict[str, list[Phrase]] = {}
    for words, _ in _qualifiers(lx):
        out.setdefault(words[-1], []).append(words)
    return out


def qualifier_of(toks: list[Token], amt: Amount, lx: Lexicon) -> str:
    if amt.vague:
        return "vague"
    if amt.range_:
        return "about"
    i = amt.first
    if toks[i].norm in lx.elided_one and i > 0:  # "plus d'un million", "près d'un million"
        q_elided = lx.elided_heads.get(toks[i - 1].norm)
        if q_elided:
            return q_elided
    if i > 1 and toks[i - 1].text == "." and toks[i - 2].norm in _qualifier_words(lx):
        i -= 1  # an abbreviated qualifier: "approx. 9,500 ind."
    for words, q in _qualifiers(lx):
        k = len(words)
        if i - k < 0:
            continue
        if all(toks[i - k + m].norm == words[m] for m in range(k)):
            return q
    nxt = toks[amt.last + 1].text if amt.last + 1 < len(toks) else ""
    if nxt == "+":
        return "more_than"
    exceeded = _exceeded(toks, i, lx)
    if exceeded is not None:
        return exceeded
    after = tuple(t.norm for t in toks[amt.last + 1: amt.last + 6])
    for k in range(len(after)):
        for words, q in lx.qualifiers_after.items():
            if after[k:k + len(words)] == words:
                return q
    return "exact"


def _exceeded(toks: list[Token], first: int, lx: Lexicon) -> str | None:
    """The qualifier an exceeding verb gives the statistic it governs over its subject:
    "ليتجاوز عدد النازحين في المدينة 300 ألف" (more than), "لم يتجاوز عدد الوافدين 6 آلاف"
    (up to: it did not exceed)."""
    seen_count = False
    for j in range(first - 1, max(-1, first - 10), -1):
        t = toks[j]
        if t.kind != "word":
            return None
        if t.norm in lx.count_nouns:
            seen_count = True
        elif t.norm in lx.exceed_verbs:
            # the statistic's subject after the verb ("ليتجاوز عدد النازحين N") or before it
            # ("the number of refugees topped N", "عدد الوافدين لم يتجاوز N")
            if not seen_count and not any(x.norm in lx.count_nouns
                                          for x in toks[max(0, j - 12):j]):
                return None
            negated = j > 0 and toks[j - 1].norm in lx.negations
            return "up_to" if negated else "more_than"
    return None


def _strip_al(word: str, lx: Lexicon) -> str:
    """The word without its glued article ("النازحين" -> "نازحين")."""
    for prefix in lx.article_prefixes:
        if word.startswith(prefix) and len(word) > len(prefix) + 2:
            return word[len(prefix):]
    return word


def _unit_of(word: str, upper: bool, lx: Lexicon) -> str | None:
    word = lx.typos.get(word, word)
    bare = _strip_al(word, lx)
    if word in lx.families or bare in lx.families:
        return "families"
    if word in lx.households:
        return "households"
    if word in lx.people or bare in lx.people or word in lx.groups:
        return "people"
    for suffix in lx.people_suffixes:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return "people"  # "venezolanos", "hondureños"
    if upper and len(word) > 4 and word.endswith(lx.group_suffixes):
        return "people"  # "Syrians", "Alawites", "Congolese"
    for prefix in lx.elision_prefixes:
        if word.startswith(prefix) and len(word) > len(prefix) + 3:
            rest = word[len(prefix):]  # "d'arrivées", "d'enfants" glued by the apostrophe
            if rest in lx.people or rest in lx.families or rest in lx.event_nouns:
                return _unit_of(rest, upper, lx) or "people"
    return None


def head_noun(toks: list[Token], amt: Amount, lx: Lexicon) -> tuple[str | None, int, bool]:
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
        if w in lx.dwellings and _evacuated(toks, amt, j, lx):
            return "households", j, True  # "9,800 homes were evacuated"
        if w in lx.not_people:
            return None, -1, False
        if w in lx.event_nouns:
            return "people", j, True  # "7,400 crossings", "14,000 displacements"
        unit = _unit_of(w, t.upper, lx)
        if unit is None and not t.upper:
            unit = _glued_unit(w, lx)  # "peoplewere": words glued by PDF extraction
        if unit is not None:
            displaced = displaced or w in lx.displaced_nouns or _strip_al(
                w, lx) in lx.displaced_nouns
            # "displaced people", "internally displaced persons": keep reading the phrase
            if w in lx.displaced_adjectives and j + 1 < n and _unit_of(
                    toks[j + 1].norm, toks[j + 1].upper, lx):
                j += 1
                continue
            if w in lx.compound_heads and j + 1 < n:
                j += 1
            return unit, j, displaced
        if w in lx.noun_modifiers or w in lx.of_words or (t.upper and skipped < 2) or (
                _adjectival(w, lx) and skipped < 2):
            displaced = displaced or w in lx.displaced_nouns or w in lx.displacement
            j += 1
            skipped += 1
            continue
        return None, -1, False
    return None, -1, False


def _evacuated(toks: list[Token], amt: Amount, noun: int, lx: Lexicon) -> bool:
    """Whether an evacuation governs the dwellings counted at toks[noun]: before the number
    ("evacuated some 9,800 homes", "إخلاء نحو 2500 منزل") or as their verb in the clause
    ("3,200 houses were evacuated"), not across a comma or another number."""
    if any(t.norm in lx.evacuated for t in toks[max(0, amt.first - 3):amt.first]):
        return True
    for t in toks[noun + 1:noun + 9]:
        if t.kind != "word" and t.text != "-":  # "low-lying" is one word
            return False
        if t.norm in lx.evacuated:
            return True
    return False


def _adjectival(word: str, lx: Lexicon) -> bool:
    """An unknown lower-case word that looks like an adjective or participle ("2,500
    unregistered IDPs", "900 newly arrived Sudanese"), so it may modify the noun after it."""
    return (len(word) > 4 and word.isalpha() and word.endswith(lx.modifier_suffixes)
            and word not in lx.negative and word not in lx.aid_verbs)


def _glued_unit(word: str, lx: Lexicon) -> str | None:
    """A unit noun glued to the next word ("peoplewere", "familiesfled")."""
    if len(word) < 8:
        return None
    for k in range(3, len(word) - 1):
        rest = word[k:]
        if rest in lx.aux or rest in lx.displacement or rest in lx.dest_preps:
            unit = _unit_of(word[:k], False, lx)
            if unit is not None:
                return unit
        if word[:k] in lx.noun_modifiers and len(rest) > 3:
            unit = _unit_of(rest, False, lx)  # "nouveauxarrivants"
            if unit is not None:
                return unit
    return None


def rejected_context(toks: list[Token], amt: Amount, lo: int, hi: int, lx: Lexicon) -> bool:
    """True when the words around the number make it no displacement figure: deaths, aid,
    money, percentages, ages, dates, populations, returns, orders, what might happen."""
    first, last = amt.first, amt.last
    prev = toks[first - 1].norm if first > 0 else ""
    prev2 = toks[first - 2].norm if first > 1 else ""
    nxt = toks[last + 1].norm if last + 1 < len(toks) else ""
    if prev in lx.money or nxt in lx.money or nxt in lx.percent or _ratio(toks, first, last, lx):
        return True
    for phrase in lx.percent_phrases:  # "40 في المئة", "30 por ciento"
        if tuple(t.norm for t in toks[last + 1:last + 1 + len(phrase)]) == phrase:
            return True
    nxt2 = toks[last + 2].norm if last + 2 < len(toks) else ""
    may_verb = nxt in lx.month_modal and nxt2 in lx.modal_followers
    if prev in lx.age_before or prev in lx.months or (nxt in lx.months and not may_verb):
        return True
    if prev in lx.population_preps and prev2 in lx.population_before:
        return True  # "a town of 80,000", "home to 80,000"
    q = first - 1
    while q > lo and toks[q].norm in _qualifier_words(lx) and (
            toks[q].norm not in lx.population_preps):
        q -= 1  # "a border city of some 350,000", "groups of more than 50 people"
    if q > lo and toks[q].norm in lx.population_preps and toks[q - 1].norm in (
            lx.population_before | lx.threshold_nouns):
        return True
    g = first - 1 - _qualifier_length(toks, first, lx)  # "groupes de plus de 100 personnes"
    if g > lo and toks[g - 1].norm in lx.threshold_nouns and (
            toks[g].norm in lx.population_preps or toks[g].norm in lx.partitive_of):
        return True
    if q >= lo and toks[q].norm in lx.population_verbs_before:
        return True  # "la ville, qui compte environ 30 000 habitants"
    if any(t.norm in lx.forecast_before for t in toks[max(lo, first - 6):first]):
        return True  # "planned for 5,000 people", "prévoit de reloger jusqu'à 10 000"
    if (q - 1 >= lo and toks[q - 1].norm in lx.modals and toks[q].kind == "word"
            and not is_arabic(toks[q].norm) and toks[q].norm not in lx.perfect_aux):
        return True  # "which can take 1,500", "will receive 5,000"
    if prev2 in lx.population_nouns or prev in lx.population_nouns:
        return True
    if _arabic_modal(toks[max(lo, first - 4 - _qualifier_length(toks, first, lx)):first], lx):
        return True  # "قد يؤدي إلى نزوح ما يصل إلى 340 ألف": the modal before the qualifier
    if _besieged(toks, amt, lx) or _round_trip(toks, last, lx):
        return True
    # deaths, aid or orders just before: "killing 35 people", "delivered parcels to 1,200";
    # not across "and" to a number that says displaced itself: "3,500 killed and 15,000
    # displaced"
    back = toks[max(lo, first - 6):first]
    for k in range(len(back) - 1, -1, -1):
        w = back[k].norm
        # "ونزوح نحو 4 آلاف أسرة": "and" glued to the displacement noun
        glued = len(w) > 2 and w[0] in lx.coordinators and w[1:] in lx.displacement
        if w in lx.coordinators or glued:
            # the number's own verb after "and": "50 morts et poussé 8 000 habitants à fuir",
            # "80 were killed and about 3,000 survivors fled", "and 8,000 families displaced"
            if glued or nxt in lx.displaced_nouns or nxt in lx.displaced_participles or any(
                    t.norm in lx.displacement for t in back[k + 1:]) or any(
                    t.norm in lx.displaced_participles or t.norm in lx.displacement
                    for t in toks[last + 2:min(hi, last + 4)]):
                back = back[k + 1:]
            break
    comma = max((k for k, t in enumerate(back) if t.text == ","), default=-1)
    if comma >= 0 and own_verb(toks, first - len(back) + comma + 1, last, hi, lx):
        back = back[comma + 1:]  # "In Jindires, where 500 people died, 2,000 families are
        # now staying in reception centres": the death clause is closed
    for t in back:
        if t.norm in lx.negative and not _in_name(toks, t, lx):
            return True
    # aid reaches past an earlier number: "delivered 2,400 parcels to 1,200 households"
    aid_back = toks[max(0, first - 10):first]
    for t in aid_back:
        if t.norm in lx.aid_verbs and not _in_name(toks, t, lx):
            return True
    if prev in lx.recipient_preps and prev2 in lx.not_people:
        return True
    if (any(t.norm in lx.orders for t in toks[max(lo, first - 3):first])
            or any(t.norm in lx.strong_orders for t in toks[max(lo, first - 8):first])) and (
            not _carried_out(toks, last + 1, hi, lx)) and not _done_before(toks, first, lo, lx):
        # "12,000 have been evacuated", "after the evacuation of 5,000", "تم إخلاء"
        return True
    if prev in lx.aid_recipient_preps and prev2 in lx.aid_nouns:
        return True
    if _whole_of_partitive(toks, first, lx) and not head_noun(toks, amt, lx)[2]:
        return True  # "of the 4,000 villagers" is a population; "of the 600,000 displaced" not
    after = toks[last + 1:hi]
    # A word governs the figure only inside its own verb group: once the movement verb has
    # come, a later cause or attribution ("fled due to the fighting", ", officials said,
    # adding that the number could rise") is no longer about this figure.
    moved = (_verb_before_object(toks, amt, lo, lx) or _arabic_verb_before(toks, first, lo, lx)
             or (_after_count_verb(toks, amt, lx)  # "the number rose to N, i.e. half the ..."
                 and any(t.norm in lx.count_nouns for t in toks[max(lo, first - 12):first])))
    detached = False
    for k, t in enumerate(after):
        w = t.norm
        nxt_w = after[k + 1].norm if k + 1 < len(after) else ""
        if death_phrase(after, k, lx):
            return True
        if not moved and k < 4 and (w in lx.negations or w in lx.unable) and not any(
                x.text == "," for x in after[:k]):
            return True  # the figure's own verb group negated: "2.000 personas no han podido"
        if w in lx.displacement and t.kind == "word" and k > 0 and not (
                k < 3 and (w in lx.people or w in lx.displaced_nouns
                           or w in lx.displaced_adjectives)):
            if not moved and any(x.norm in lx.negations or x.norm in lx.unable
                                 for x in after[max(0, k - 3):k]):
                return True  # "have not fled", "were unable to flee", "no han podido huir"
            moved = True  # the movement verb, not the noun phrase's "displaced"
            continue
        if moved and (t.text == "," or w in lx.causes or w in lx.coordinators) and not (
                t.text == "," and _part_follows(after, k + 1, lx)):
            detached = True  # "... acogen a 4.100 personas y reparte 9.000 raciones"
        if t.text == "," and nxt_w in lx.speech:
            detached = True  # an attribution: ", adding that ...", "، مضيفة أن ..."
        if detached or _in_name(toks, t, lx):
            continue
        if w in lx.receipt_verbs and any(x.norm in lx.aid_nouns for x in after[k + 1:k + 4]):
            return True  # "2,000 displaced families received food parcels": aid recipients
        if moved and w in lx.modals:
            continue
        if not moved and w in lx.irregular:
            return True  # "1.7 million Afghans are living in the country illegally"
        if w in lx.risk_nouns and nxt_w in lx.of_words and k + 2 < len(after) and (
                after[k + 2].norm not in lx.displacement):
            continue  # "at risk of cholera": the displaced are still counted
        if nxt_w in lx.not_modal_after.get(w, ()):
            continue  # "set up", "due to the fighting"
        if w in lx.negative or w in lx.aid_verbs:
            # "نزح عشرات الآلاف من سكان رفح": residents of a place fled, no population
            if w in lx.residents and k > 0 and after[k - 1].norm in lx.residents_of and (
                    _arabic_verb_before(toks, first, lo, lx)):
                continue
            return True
        if w in lx.orders and nxt_w in lx.infinitive_markers:
            return True
        if w in lx.modals:
            rest = [x.norm for x in after[k + 1:k + 3] if x.norm not in lx.negations]
            if w in lx.hedging and rest and rest[0] in lx.perfect_aux:
                continue  # a hedged past estimate: "may have been displaced", "could have fled"
            # "could be sheltering", "will be in camps": a state, not a forecast
            if not rest or rest[0] not in lx.stative_after_modal or (
                    len(rest) > 1 and rest[0] in lx.copulas
                    and rest[1] not in lx.stative_after_modal and rest[1] not in lx.after_be):
                return True
    return False



def _ratio(toks: list[Token], first: int, last: int, lx: Lexicon) -> bool:
    """Either side of a proportion: "9 in 10 arrive through Joda", "7 sur 10", "9 de cada
    10", "9 من كل 10" (small numbers, the first below the second: "500 in 24 hours" is none)."""
    for phrase in lx.ratios:
        k = len(phrase)
        a, b = last, last + k + 1  # the amount opens the proportion
        if b >= len(toks) or any(toks[a + 1 + m].norm != w for m, w in enumerate(phrase)):
            a, b = first - k - 1, first  # ... or closes it
            if a < 0 or any(toks[a + 1 + m].norm != w for m, w in enumerate(phrase)):
                continue
        x, y = toks[a].norm, toks[b].norm
        unit = toks[b + 1].norm if b + 1 < len(toks) else ""
        if x.isdigit() and y.isdigit() and int(x) < int(y) <= 100 and (
                unit not in lx.period_units and unit not in lx.months):
            return True
    return False


def _part_follows(after: list[Token], k: int, lx: Lexicon) -> bool:
    """A part of the figure opens the words after a comma: ", most of them returning": what
    follows still speaks of the figure's people."""
    words = tuple(t.norm for t in after[k:k + 4])
    return any(words[s:s + len(p)] == p for p in lx.part_after for s in (0, 1))


def _besieged(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """A siege earlier in the sentence governs the people counted after it ("In Djibo, under
    blockade for a year, some 300,000 people survive"), unless a movement verb governs the
    number in its own clause or the noun says displaced."""
    back = toks[max(0, amt.first - 12):amt.first]
    if not any(t.norm in lx.siege for t in back):
        return False
    own_clause = True  # a movement verb in the number's own clause governs it
    for k in range(len(back) - 1, -1, -1):
        w = back[k].norm
        own_clause = own_clause and back[k].text != ","
        if own_clause and w in lx.displacement:
            return False
        if w in lx.siege:
            return not head_noun(toks, amt, lx)[2]
    return False


def _round_trip(toks: list[Token], last: int, lx: Lexicon) -> bool:
    """People who cross and come back the same day later in the sentence ("35,000 cross every
    day, most to buy food and return the same evening") make no displacement figure."""
    firsts = _round_trip_firsts(lx)
    for j in range(last + 1, len(toks)):
        t = toks[j]
        if t.kind == "num" or t.text in (";", "."):
            return False
        if t.norm in firsts:
            for phrase in lx.round_trips:
                if tuple(x.norm for x in toks[j:j + len(phrase)]) == phrase:
                    return True
    return False


@cache
def _round_trip_firsts(lx: Lexicon) -> frozenset[str]:
    return frozenset(p[0] for p in lx.round_trips)


def _arabic_modal(before: list[Token], lx: Lexicon) -> bool:
    """Arabic puts the verb first: "قد ينزح مليون" (a million may flee), "سينزح" (will flee),
    "من المتوقع أن يصل" (expected to arrive). "قد نزح" (have fled) is a figure."""
    for k, t in enumerate(before):
        w = t.norm
        nxt = before[k + 1].norm if k + 1 < len(before) else ""
        if w in lx.modal_particles and nxt.startswith(lx.present_prefixes):
            return True
        if w in lx.modal_verbs:
            return True
        if len(w) >= 4 and w.startswith(lx.future_prefixes) and any(
                stem in w for stem in lx.future_stems):
            return True
    return False


def _arabic_verb_before(toks: list[Token], first: int, lo: int, lx: Lexicon) -> bool:
    """An Arabic displacement verb just before the amount, over qualifier words and a
    "قد": "لجأ عشرات الآلاف", "فر أكثر من 5 آلاف" (not "وصل إلى 500": reaching a number)."""
    j = first - 1
    steps = 0
    while j >= lo and steps < 5:
        w = toks[j].norm
        if w in lx.verb_first or (len(w) > 2 and w[0] in lx.verb_clitics
                                   and w[1:] in lx.verb_first):
            return True
        if w not in lx.verb_gap:
            return False
        j -= 1
        steps += 1
    return False


def own_verb(toks: list[Token], start: int, last: int, hi: int, lx: Lexicon) -> bool:
    """Whether the figure has its own movement or stock verb, before it from `start` or after
    it in its clause."""
    verbs = (lx.displacement, lx.stock_verbs, lx.remain, lx.hosting, lx.register)
    span = toks[start:last + 1] + toks[last + 1:min(hi, last + 8)]
    return any(t.norm in words for t in span for words in verbs)


def _whole_of_partitive(toks: list[Token], first: int, lx: Lexicon) -> bool:
    """The whole of a partitive is a population: "500 of the 4,000 villagers"."""
    j = first - 1
    while j >= 0 and toks[j].norm in _qualifier_words(lx) and (
            toks[j].norm not in lx.partitive_of):
        j -= 1  # "des quelque 5 000 habitants"
    if j >= 0 and (toks[j].norm in lx.partitive_articles or toks[j].text.endswith("'s")):
        j -= 1  # "of the 4,000 villagers", "of Komanda's 14,000 inhabitants"
    if j < 0 or toks[j].norm not in lx.partitive_of:
        return False
    while j >= 0 and toks[j].norm in lx.partitive_of:
        j -= 1  # "من أصل"
    while j >= 0 and toks[j].kind != "num" and (toks[j].norm in _qualifier_words(lx)
                                                or toks[j].norm in lx.scales
                                                or toks[j].norm in lx.percent):
        j -= 1  # "9,000 of some 14,000", "3 آلاف من أصل 8 آلاف", "40 per cent of the"
    return j >= 0 and toks[j].kind == "num"


@cache
def _death_phrases_by_first(lx: Lexicon) -> tuple[bool, dict[str, tuple[tuple[str, ...], ...]]]:
    """The lexicon's death phrases by their first word, so a token is tried only against
    its own; and whether an empty phrase (one that matches anywhere) is among them."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in lx.death_phrases:
        if phrase:
            by_first.setdefault(phrase[0], []).append(tuple(phrase))
    return (any(not p for p in lx.death_phrases),
            {w: tuple(ps) for w, ps in by_first.items()})


def death_phrase(toks: list[Token], k: int, lx: Lexicon) -> bool:
    anywhere, by_first = _death_phrases_by_first(lx)
    if anywhere:
        return True
    if k >= len(toks):
        return False
    for phrase in by_first.get(toks[k].norm, ()):
        if all(k + m < len(toks) and toks[k + m].norm == w for m, w in enumerate(phrase)):
            return True
    return False


def _done_before(toks: list[Token], first: int, lo: int, lx: Lexicon) -> bool:
    """An evacuation word before the number that a word before it says happened: "after
    the evacuation of 650,000", "après l'évacuation préventive de", "تم إخلاء نحو"."""
    for o in range(first - 1, max(lo, first - 8) - 1, -1):
        if toks[o].norm in lx.strong_orders:
            return any(t.norm in lx.done_before for t in toks[max(0, o - 3):o])
    return False


def _carried_out(toks: list[Token], lo: int, hi: int, lx: Lexicon) -> bool:
    """Whether the words after an ordered number say the people did leave ("12,000 have been
    evacuated to Kharkiv"), up to the next comma (", where many had fled" is someone else)."""
    for t in toks[lo:hi]:
        if t.text == ",":
            return False
        if t.norm in lx.carried_out:
            return True
    return False


def candidate(toks: list[Token], amt: Amount, lo: int, hi: int,
              previous: Candidate | None, lx: Lexicon) -> Candidate | None:
    """The amount as a displacement figure candidate, or None. toks[lo:hi] is its clause."""
    if rejected_context(toks, amt, lo, hi, lx):
        return None
    unit, noun_end, displaced = head_noun(toks, amt, lx)
    if unit is None and amt.last + 1 < len(toks) and toks[amt.last + 1].norm in lx.not_people:
        return None  # "received 132 wounded": the noun says what is counted, and it is not this
    if unit is None:
        unit, noun_end, displaced = _partitive_unit(toks, amt, lx)
    if unit is None:
        unit, noun_end, displaced = _implied_unit(toks, amt, lo, previous, lx)
    if unit is None:
        return None
    if _fronted_population(toks, amt, noun_end, lo, lx):
        return None
    # the value of a statistic noun of the displaced: "عدد الوافدين ارتفع إلى 65 ألف شخص",
    # "ليتجاوز عدد النازحين 300 ألف شخص يعيشون في ..."
    if not displaced and any(t.norm in lx.count_nouns
                             for t in toks[max(lo, amt.first - 12):amt.first]):
        displaced = _implied_unit(toks, amt, lo, None, lx)[2]
    # "250,000 people live in the town" is a population; "400,000 already live", "displaced
    # people live in camps", "are living in schools" are not
    if not displaced and noun_end + 1 < len(toks) and toks[noun_end + 1].norm in (
            lx.population_verbs) and not (noun_end + 2 < len(toks) and toks[noun_end + 2].norm
                                          in lx.already and _relative_before(toks, amt, lo, lx)
                                          ) and not any(t.norm in lx.shelter_nouns for t in
                                                        toks[noun_end + 2:noun_end + 7]):
        return None  # (living "in the camp of X", "en el coliseo": sheltering, not residing)
    part = _partition(toks, amt, lx)
    aside = part and noun_end + 1 < len(toks) and toks[noun_end + 1].text == ","
    # the same count earlier ("up from 6,650"), or one added to it ("in addition to 5,000"):
    # it shares the figure before's destination and kind
    earlier = previous is not None and (_earlier_value(toks, amt, lx) or _added(toks, amt, lx))
    listed = _list_item(toks, amt, lx, previous) if previous is not None else -1
    if listed >= 0 and previous is not None and previous.part:
        part = True  # "of which Sindh 596,501, Balochistan 39,611": every row a part
    dwelling = unit == "households" and toks[noun_end].norm in lx.dwellings
    return Candidate(amt, unit, qualifier_of(toks, amt, lx), noun_end, displaced, part, aside,
                     earlier, listed, dwelling)


def _relative_before(toks: list[Token], amt: Amount, lo: int, lx: Lexicon) -> bool:
    """A relative word just before the amount: "..., where 1.5 million now live"."""
    return any(t.text in lx.relative for t in toks[max(lo, amt.first - 4):amt.first])


def _partitive_unit(toks: list[Token], amt: Amount,
                    lx: Lexicon) -> tuple[str | None, int, bool]:
    """The part of a partitive takes the whole's noun: "500 of the 4,000 villagers"."""
    j = amt.last + 1
    if j >= len(toks) or toks[j].norm not in lx.partitive_of:
        return None, -1, False
    j += 1
    if j < len(toks) and toks[j].norm in lx.partitive_of:
        j += 1  # "600 من أصل 1500 أسرة"
    if j < len(toks) and (toks[j].norm in lx.partitive_articles
                          or toks[j].text.endswith(lx.possessive_suffixes)):
        j += 1  # "9,000 of Komanda's 14,000 inhabitants"
    while j < len(toks) and toks[j].norm in _qualifier_words(lx):
        j += 1  # "2 000 des quelque 5 000 habitants"
    if j >= len(toks) or toks[j].kind != "num":
        return None, -1, False
    k = j
    while k + 1 < len(toks) and (toks[k + 1].kind == "num" or toks[k + 1].norm in lx.scales):
        k += 1
    return head_noun(toks, Amount(0, None, None, None, j, k, 0, 0), lx)


def _partition(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """Whether the amount counts part of an earlier figure: "of whom 281,000", "281,000 of
    them went to Poland", "dont 281 000 en Pologne", "منهم 281 ألفا"."""
    j = amt.first - 1
    qualifier_words = _qualifier_words(lx)
    while j >= 0 and j >= amt.first - 3 and toks[j].norm in qualifier_words:
        j -= 1
    if j >= 0 and (toks[j].norm in lx.part_before or (
            toks[j].norm in lx.part_relative and j > 0
            and toks[j - 1].norm in lx.part_relative_preps)):
        return True
    after = tuple(t.norm for t in toks[amt.last + 1:amt.last + 3])
    return any(after[:len(p)] == p for p in lx.part_after)


def _implied_unit(toks: list[Token], amt: Amount, lo: int, previous: Candidate | None,
                  lx: Lexicon) -> tuple[str | None, int, bool]:
    """Figures without their own noun: "and 60,000 into Chad" (after another figure),
    "10,000 have fled", "displaced 10,000", "the number of arrivals rose to 8,700"."""
    n = len(toks)
    j = amt.last + 1
    nxt = toks[j].norm if j < n else ""
    table = _table_value(toks, amt, lx)
    if table is not None:
        return table, amt.last, True
    if previous is not None and nxt in lx.dest_preps and nxt not in (
            lx.dest_preps_not_after_figure):
        return previous.unit, amt.last, previous.displaced_noun
    # "46,500 have arrived in Kassala and some 52,900 in Gedaref", "18,000 have reached
    # Cúcuta, 8,500 Ocaña": a coordinated figure whose verb is the one before
    if previous is not None and _coordinated(toks, previous, amt, lx) and j < n and (
            nxt in lx.dest_preps or toks[j].upper):
        return previous.unit, amt.last, previous.displaced_noun
    # "Colombia hosts 1.3 million, followed by Peru, with 768,000, Chile, with 288,000": an
    # item of a list of places led by the figure before
    if previous is not None and _list_item(toks, amt, lx, previous) >= 0:
        return previous.unit, amt.last, previous.displaced_noun
    # "60,000 Sudanese crossed into Egypt, in addition to some 5,000 nationals of other
    # countries": an added figure goes with the one before
    if previous is not None and _added(toks, amt, lx):
        return previous.unit, amt.last, previous.displaced_noun
    # "13,350 refugees had crossed, up from 6,650 on Monday": the same count, earlier
    if previous is not None and _earlier_value(toks, amt, lx):
        return previous.unit, amt.last, previous.displaced_noun
    # "281,000 of them went to Poland", "of whom 281,000 went": a part of the figure just
    # before (not of a death toll: "132 killed, 72 of them in Tartus")
    if previous is not None and _partition(toks, amt, lx) and not any(
            t.kind == "num" for t in toks[previous.amount.last + 1:amt.first]):
        end = amt.last
        after = tuple(t.norm for t in toks[j:j + 2])
        for phrase in lx.part_after:
            if after[:len(phrase)] == phrase:
                end += len(phrase)
                break
        return previous.unit, end, True
    # "Of the 2,040 families who arrived, 701 were placed in Chamishku camp": a fronted
    # partitive's whole gives the part its noun
    if previous is not None and _fronted_whole(toks, previous, amt, lx):
        return previous.unit, amt.last, previous.displaced_noun
    k = j
    if k + 1 < n and toks[k].norm in lx.per_words and toks[k + 1].norm in lx.per_units:
        k += 2  # "about 3,000 a day stay or travel on"
    for phrase in lx.relative_subjects:  # a cleft: "fueron unos 2.000 los que ingresaron"
        if tuple(t.norm for t in toks[j:j + len(phrase)]) == phrase:
            k = j + len(phrase)
            break
    while k < n and (toks[k].norm in lx.aux or (
            toks[k].norm in lx.hedging and k + 1 < n and toks[k + 1].norm in lx.perfect_aux)):
        k += 1
    # "10,000 have fled", "another 1,300 arrived"
    if k < n and toks[k].norm in lx.displacement and (
            k > j or toks[k].norm.endswith(lx.past_suffixes) or toks[k].norm in lx.finite_verbs):
        return "people", amt.last, True
    # "1,200 remain in shelters", "16,000 were still displaced"
    if k < n and toks[k].norm in lx.remain:
        return "people", amt.last, False
    # "Adré, where 400,000 already live": living somewhere already, in a relative clause
    if (k < n and toks[k].norm in lx.stock_verbs and amt.first > 0
            and any(t.text in lx.relative for t in toks[max(lo, amt.first - 4):amt.first])
            and any(t.norm in lx.already for t in toks[j:k + 2])):
        return "people", amt.last, True
    if _verb_before_object(toks, amt, lo, lx):
        return "people", amt.last, True
    if _arabic_verb_before(toks, amt.first, lo, lx):
        return "people", amt.last, True
    # "brings to 8,700 the number of displaced", "elevó a 48.000 la cifra de desplazados"
    if _after_count_verb(toks, amt, lx):
        unit = _count_noun_after(toks, amt, lx)
        if unit is not None:
            return unit, amt.last, True
    # "bringing the number of new arrivals there to 8,700", "the number of displaced rose to
    # 48,000, though aid groups say the real figure is closer to 60,000"
    if _after_count_verb(toks, amt, lx):
        start = max(0, amt.first - 25)
        for m in range(start, amt.first):
            # "the city's displaced population has swelled to 400,000"
            if toks[m].norm in lx.collective_nouns and m > 0 and (
                    toks[m - 1].norm in lx.displaced_adjectives
                    or toks[m - 1].norm in lx.displaced_nouns):
                return "people", amt.last, True
            if toks[m].norm not in lx.count_nouns:
                continue
            if m > 0 and toks[m - 1].norm in lx.count_modifiers:
                return "people", amt.last, True  # "displacement figures have climbed to N"
            for k in range(m + 1, amt.first):
                unit = _displaced_unit(toks, k, lx)
                if unit is not None:
                    return unit, amt.last, True
            # "put the real figure closer to 30,000": the figure just read, re-estimated
            if previous is not None and m > previous.amount.last:
                return previous.unit, amt.last, True
    # a running total in verb-first order: "ليتجاوز عدد النازحين في المدينة 30 ألفا"
    for m in range(max(lo, amt.first - 10), amt.first):
        if toks[m].norm in lx.bringing and m + 1 < amt.first and (
                toks[m + 1].norm in lx.count_nouns):
            for k in range(m + 2, amt.first):
                unit = _displaced_unit(toks, k, lx)
                if unit is not None:
                    return unit, amt.last, True
    return None, -1, False


def _fronted_whole(toks: list[Token], whole: Candidate, amt: Amount, lx: Lexicon) -> bool:
    """Whether `whole` opens the clause as a fronted partitive ("Of the 2,040 families who
    arrived, ...") and a comma then leads to the amount."""
    p = whole.amount.first - 1 - _qualifier_length(toks, whole.amount.first, lx)
    if p < 1 or toks[p].norm not in lx.partitive_articles or toks[p - 1].norm not in (
            lx.partitive_of):
        return False
    if p > 1 and toks[p - 2].kind != "punct":
        return False
    return any(t.text == "," for t in toks[whole.noun_end + 1:amt.first])


def _fronted_population(toks: list[Token], amt: Amount, noun_end: int, lo: int,
                        lx: Lexicon) -> bool:
    """A fronted partitive's whole counting residents, up to its comma without a movement
    word: "Of the 4,000 villagers, 3,000 fled", "Sur les 4 000 habitants de Mansila, ..."."""
    p = amt.first - 1 - _qualifier_length(toks, amt.first, lx)
    if p - 1 < lo or toks[p].norm not in lx.partitive_articles or (
            toks[p - 1].norm not in lx.partitive_of) or (
            p - 1 > lo and toks[p - 2].kind != "punct"):
        return False
    if noun_end >= len(toks) or _strip_al(toks[noun_end].norm, lx) not in lx.residents:
        return False
    for t in toks[noun_end + 1:]:
        if t.text == ",":
            return True
        if t.kind == "num" or t.norm in lx.displacement or t.norm in lx.stock_verbs:
            return False
    return False


def _verb_before_object(toks: list[Token], amt: Amount, lo: int, lx: Lexicon) -> bool:
    """A verb whose object is the amount, over its qualifier and an object marker:
    "displaced 10,000", "hosting some 5,000", "acoge a 1,3 millones"."""
    j = _before_insert(toks, amt.first - 1 - _qualifier_length(toks, amt.first, lx), lx)
    if j > lo and toks[j].norm in lx.object_markers:
        j -= 1
    return j >= lo and toks[j].norm in lx.verbs_before_object


def _before_insert(toks: list[Token], j: int, lx: Lexicon) -> int:
    """toks[j] moved back over an insert that ends there, between a verb and its object:
    "en accueille à lui seul environ 23 000", "acoge por sí sola a 5.000"."""
    for words in lx.object_inserts:
        k = len(words)
        if j - k + 1 >= 0 and all(toks[j - k + 1 + m].norm == words[m] for m in range(k)):
            return j - k
    return j


def _list_item(toks: list[Token], amt: Amount, lx: Lexicon,
               previous: Candidate | None = None) -> int:
    """Where the place of a list item ends ("Perú" in ", Perú, con 768.000"; "Sindh" in a
    table's "664,270, of which Sindh 596,501, Balochistan 39,611"), or -1."""
    w = amt.first - _qualifier_length(toks, amt.first, lx) - 1
    if w >= 2 and toks[w].norm in lx.list_with and toks[w - 1].text == "," and (
            toks[w - 2].upper and toks[w - 2].kind == "word"):
        return w - 2
    if previous is None or w <= previous.amount.last or not (
            toks[w].upper and toks[w].kind == "word"):
        return -1
    # a name right before the number, and nothing but names, commas, "and", "of which"
    # since the figure before: a table row's item
    joins = lx.coordinators | lx.part_relative | lx.part_relative_preps | lx.of_words | (
        lx.part_before)
    between = toks[previous.noun_end + 1:w]
    if between and all(t.text == "," or t.norm in joins or (t.upper and t.kind == "word")
                       for t in between) and (between[0].text == "," or between[0].norm in joins):
        return w
    return -1


def _table_value(toks: list[Token], amt: Amount, lx: Lexicon) -> str | None:
    """The unit of a table cell: "Persons in relief camps: 664,270", "IDPs in sites: 12,400";
    the label before the colon names displaced or sheltered people, and no harm."""
    colon = amt.first - 1
    if colon < 1 or toks[colon].text != ":":
        return None
    unit = None
    settled = False
    for t in toks[max(0, colon - 8):colon]:
        if t.kind != "word":
            unit, settled = None, False  # the label starts after any other punctuation
            continue
        if t.norm in lx.negative or (t.norm in lx.not_people and unit is None):
            return None  # "Persons injured: N", "Houses damaged: N" (not "IDPs in shelters")
        unit = unit or _unit_of(t.norm, False, lx)
        settled = settled or t.norm in lx.displaced_nouns or t.norm in lx.displacement or (
            t.norm in lx.stock_verbs or t.norm in lx.displaced_adjectives)
    return unit if settled else None


def _added(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """The amount follows "in addition to", "ainsi que", "además de", "إضافة إلى"."""
    end = amt.first - _qualifier_length(toks, amt.first, lx)
    return any(end - len(p) >= 0 and all(toks[end - len(p) + m].norm == p[m]
                                         for m in range(len(p))) for p in lx.additions)


def _earlier_value(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """The amount follows "up from", "contre", "frente a" (over its qualifier)."""
    end = amt.first - _qualifier_length(toks, amt.first, lx)
    for phrase in lx.earlier_values:
        k = len(phrase)
        if end - k >= 0 and all(toks[end - k + m].norm == phrase[m] for m in range(k)):
            return True
    return False


def _coordinated(toks: list[Token], previous: Candidate, amt: Amount, lx: Lexicon) -> bool:
    """Whether the amount is joined to the figure before by "and" or a comma alone, with
    nothing but qualifiers between: "..., 8,500 Ocaña and some 4,000 Tibú"."""
    words = _qualifier_words(lx)
    j = amt.first - 1
    while j > previous.noun_end and toks[j].norm in words:
        j -= 1
    if j <= previous.amount.last or not (toks[j].norm in lx.coordinators or toks[j].text == ","):
        return False
    between = toks[previous.amount.last + 1:j]
    return not any(t.norm in lx.negative for t in between)


def _displaced_unit(toks: list[Token], k: int, lx: Lexicon) -> str | None:
    """The unit of toks[k] when the words around it say displaced: "refugees", "displaced
    households", "arrivals", "Sudanese who have fled"."""
    u = toks[k]
    word = _elided(u.norm, lx)
    if word in lx.event_nouns:
        return "people"
    unit = _unit_of(word, u.upper, lx)
    if unit is None:
        return None
    if word in lx.displaced_adjectives and k + 1 < len(toks):
        unit = _unit_of(toks[k + 1].norm, toks[k + 1].upper, lx) or unit  # "displaced households"
        return unit
    if word in lx.displaced_nouns or _strip_al(u.norm, lx) in lx.displaced_nouns:
        return unit
    if k > 0 and (toks[k - 1].norm in lx.displaced_adjectives
                  or toks[k - 1].norm in lx.displaced_participles):
        return unit
    if any(t.norm in lx.displacement or t.norm in lx.displaced_participles
           for t in toks[k + 1:k + 4]):
        return unit
    return None


def _elided(word: str, lx: Lexicon) -> str:
    for prefix in lx.elision_prefixes:
        rest = word[len(prefix):]
        if word.startswith(prefix) and (rest in lx.event_nouns or rest in lx.displaced_nouns):
            return rest
    return word


def _count_noun_after(toks: list[Token], amt: Amount, lx: Lexicon) -> str | None:
    """The statistic noun after the amount: "brings to 8,700 the number of displaced"."""
    after = toks[amt.last + 1:amt.last + 9]
    for m, t in enumerate(after):
        if t.kind == "punct":
            return None
        if t.norm in lx.count_nouns:
            base = amt.last + 1 + m
            for k in range(base + 1, min(len(toks), base + 6)):
                unit = _displaced_unit(toks, k, lx)
                if unit is not None:
                    return unit
            return None
    return None


def _in_name(toks: list[Token], t: Token, lx: Lexicon) -> bool:
    """A capitalised word inside a sentence, in a language that does not capitalise common
    nouns, belongs to a name: "the Unit for Victims", "Médecins Sans Frontières"."""
    return t.upper and t is not toks[0] and not lx.capitalised_nouns


def _qualifier_length(toks: list[Token], first: int, lx: Lexicon) -> int:
    """How many tokens the qualifier phrase just before toks[first] has ("more than": 2)."""
    if first == 0:
        return 0
    for words in _qualifiers_by_last(lx).get(toks[first - 1].norm, ()):
        k = len(words)
        if first - k >= 0 and all(toks[first - k + m].norm == words[m] for m in range(k)):
            return k
    return 0


def _after_count_verb(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """The amount follows a statistic verb, over a qualifier or an article: "rose to 8,700",
    "portant à près de 40 000", "ha superado los 4 millones"."""
    for before in {amt.first - 1, amt.first - 1 - _qualifier_length(toks, amt.first, lx)}:
        if before > 0 and toks[before].norm in lx.articles:
            before -= 1
        if before > 0 and toks[before].norm in lx.already:
            before -= 1  # "has now reached 300,000", "dépasse désormais 300 000"
        if before >= 0 and toks[before].norm in lx.count_verbs:
            return True
    return False


def said_hosting(toks: list[Token], amt: Amount, lx: Lexicon) -> bool:
    """The amount is the object of a hosting verb whose subject is a pronoun for the one
    speaking: "Rwandan authorities said they had received 1,200 Congolese", "les autorités
    ont indiqué qu'elles avaient accueilli 3 000 Congolais". The speaker is the host."""
    j = _before_insert(toks, amt.first - 1 - _qualifier_length(toks, amt.first, lx), lx)
    if j > 0 and toks[j].norm in lx.object_markers:
        j -= 1  # "habían recibido a 1.200"
    if j < 1 or toks[j].norm not in lx.hosting:
        return False
    j -= 1
    skipped = 0
    while j >= 0 and skipped < 2 and (toks[j].norm in lx.aux or toks[j].norm in lx.already):
        j -= 1
        skipped += 1
    if j < 1 or toks[j].norm not in lx.subject_pronouns:
        return False
    # the speech verb comes a few words before: "said on Monday (that) they", "قالت السلطات إنها"
    for k in range(j - 1, max(-1, j - 5), -1):
        if toks[k].kind == "punct":
            return False
        if toks[k].norm in lx.speech:
            return True
    return False
