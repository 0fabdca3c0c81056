"""The words the extractor reasons with, one data file per language, read into a typed Lexicon.

Every rule in app/extract names a role ("a destination preposition", "a death word"); the
lexicon of a language fills it. Adding a language is adding `<code>.toml` (and its tests).
Words are folded once here the way tokens are (no case, no accents, Arabic letter variants
merged), so a file can be written with its language's own spelling.
"""

from __future__ import annotations

import tomllib
import typing
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Any

from app.gazetteer.index import normalize

LANGUAGES = ("en", "fr", "ar", "es", "de")

Phrase = tuple[str, ...]


def _fold(word: str) -> str:
    """The folding tokens get, for one word (normalize would split "asylum-seekers")."""
    return normalize(word)


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """The roles words play in one language (or, merged, in several). Compared and hashed by
    identity: a loaded lexicon is one object, so rules may cache what they derive from it."""

    code: str = ""
    # --- detection: frequent words that mark the language
    function_words: frozenset[str] = frozenset()
    own_script: bool = False  # written in a script no other language here uses (Arabic)
    capitalised_nouns: bool = False  # German: a capital says nothing about a name
    # --- numbers
    ones: dict[str, int] = field(default_factory=dict)          # "twelve" 12, "خمسمائة" 500
    scales: dict[str, int] = field(default_factory=dict)        # "thousand" 1000
    suffix_scales: dict[str, int] = field(default_factory=dict)  # "10k", "2.5m"
    scale_alone: frozenset[str] = frozenset()     # scale words that need no number: "hundred"
    scales_after_digits: frozenset[str] = frozenset()   # "7 million", "12 ألف"
    dual_scales: frozenset[str] = frozenset()     # Arabic duals: "ألفان" 2000
    bare_plural_scales: frozenset[str] = frozenset()    # "آلاف" alone is vague
    half: frozenset[str] = frozenset()            # "نصف مليون"
    half_nouns: frozenset[str] = frozenset()      # "مليون ونصف المليون"
    indefinite: frozenset[str] = frozenset()      # "a hundred"
    number_joiners: frozenset[str] = frozenset()  # "two hundred and fifty"
    vague: dict[Phrase, str] = field(default_factory=dict)  # "tens of thousands" -> table key
    qualifiers: dict[Phrase, str] = field(default_factory=dict)        # before the number
    qualifiers_after: dict[Phrase, str] = field(default_factory=dict)  # "or more"
    elided_one: frozenset[str] = frozenset()      # "d'un million"
    elided_heads: dict[str, str] = field(default_factory=dict)  # "plus d'un" -> more_than
    range_starts: frozenset[str] = frozenset()    # "between 5,000 and 7,000"
    range_links: frozenset[str] = frozenset()     # "5,000 to 7,000"
    range_links_after_start: frozenset[str] = frozenset()  # "between X and Y" only
    # --- what is counted
    people: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    households: frozenset[str] = frozenset()
    displaced_nouns: frozenset[str] = frozenset()
    displaced_adjectives: frozenset[str] = frozenset()   # "displaced people"
    displaced_participles: frozenset[str] = frozenset()  # "15,000 displaced"
    compound_heads: frozenset[str] = frozenset()  # "asylum seekers"
    noun_modifiers: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    group_suffixes: tuple[str, ...] = ()          # capitalised plurals: "Syrians"
    people_suffixes: tuple[str, ...] = ()         # lower-case ones (folded): "venezolanos"
    not_people: frozenset[str] = frozenset()
    article_prefixes: tuple[str, ...] = ()        # Arabic "ال"
    elisions: frozenset[str] = frozenset()        # "d'Adré", "l'Ouganda": split off a name
    # --- verbs
    displacement: frozenset[str] = frozenset()
    displacement_stems: tuple[str, ...] = ()      # roots found inside clitic-glued words
    verb_first: frozenset[str] = frozenset()      # verbs before their subject (Arabic)
    verb_clitics: tuple[str, ...] = ()
    verb_gap: frozenset[str] = frozenset()        # words between such a verb and its number
    verbs_before_object: frozenset[str] = frozenset()  # "displaced 10,000"
    object_markers: frozenset[str] = frozenset()  # Spanish "acoge a 1,3 millones"
    stock_verbs: frozenset[str] = frozenset()
    register: frozenset[str] = frozenset()
    not_triggers: frozenset[str] = frozenset()
    hosting: frozenset[str] = frozenset()
    hosting_phrases: tuple[Phrase, ...] = ()      # "has taken in N": a phrasal hosting verb
    carried_out: frozenset[str] = frozenset()
    done_before: frozenset[str] = frozenset()     # "after the evacuation of N": it happened
    aux: frozenset[str] = frozenset()
    past_suffixes: tuple[str, ...] = ()
    finite_verbs: frozenset[str] = frozenset()    # after a bare number: "300,000 flee"
    already: frozenset[str] = frozenset()
    population_verbs: frozenset[str] = frozenset()
    # --- what rejects a figure
    negative: frozenset[str] = frozenset()        # deaths, harm, returns, votes...
    aid_verbs: frozenset[str] = frozenset()
    aid_nouns: frozenset[str] = frozenset()
    orders: frozenset[str] = frozenset()
    strong_orders: frozenset[str] = frozenset()
    modals: frozenset[str] = frozenset()
    hedging: frozenset[str] = frozenset()
    perfect_aux: frozenset[str] = frozenset()     # "may have fled"
    stative_after_modal: frozenset[str] = frozenset()
    after_be: frozenset[str] = frozenset()        # "will be in", "will be at"
    copulas: frozenset[str] = frozenset()         # "could be sheltering"
    negations: frozenset[str] = frozenset()
    modal_particles: frozenset[str] = frozenset()  # Arabic "قد" + present verb
    modal_verbs: frozenset[str] = frozenset()     # Arabic "يتوقع"
    present_prefixes: tuple[str, ...] = ()      # Arabic present tense: "ينزح", "تنزح"
    future_prefixes: tuple[str, ...] = ()
    future_stems: tuple[str, ...] = ()
    rejection: frozenset[str] = frozenset()       # rumours the text denies
    shelter_nouns: frozenset[str] = frozenset()   # "live in camps": a stock of the displaced
    receipt_verbs: frozenset[str] = frozenset()   # "received" (aid): its subject is recipients
    unable: frozenset[str] = frozenset()          # "unable to flee": no movement took place
    count_modifiers: frozenset[str] = frozenset()  # "displacement figures": what is counted
    contrast: frozenset[str] = frozenset()        # "but": a clause that may deny the one before
    money: frozenset[str] = frozenset()
    percent: frozenset[str] = frozenset()
    ratios: tuple[Phrase, ...] = ()               # "9 in 10 arrive": a proportion, no count
    percent_phrases: tuple[Phrase, ...] = ()      # "40 في المئة", "30 por ciento"
    object_inserts: tuple[Phrase, ...] = ()       # "en accueille à lui seul 23 000"
    age_before: frozenset[str] = frozenset()
    population_before: frozenset[str] = frozenset()
    population_preps: frozenset[str] = frozenset()
    population_nouns: frozenset[str] = frozenset()
    month_modal: frozenset[str] = frozenset()     # "May" the month or the modal
    modal_followers: frozenset[str] = frozenset()
    coordinators: frozenset[str] = frozenset()
    recipient_preps: frozenset[str] = frozenset()
    aid_recipient_preps: frozenset[str] = frozenset()
    infinitive_markers: frozenset[str] = frozenset()
    residents: frozenset[str] = frozenset()
    residents_of: frozenset[str] = frozenset()
    # --- statistic nouns: "the number of displaced rose to N"
    count_nouns: frozenset[str] = frozenset()
    count_verbs: frozenset[str] = frozenset()
    exceed_verbs: frozenset[str] = frozenset()    # "ليتجاوز عدد النازحين 300 ألف": more than
    # --- parts of a figure
    of_words: frozenset[str] = frozenset()
    part_before: frozenset[str] = frozenset()
    part_after: tuple[Phrase, ...] = ()
    part_relative: frozenset[str] = frozenset()
    part_relative_preps: frozenset[str] = frozenset()
    # --- clauses
    clause_conj: frozenset[str] = frozenset()
    subordinators: frozenset[str] = frozenset()
    relative: tuple[str, ...] = ()                # compared as written (accents kept)
    # --- places
    dest_preps: frozenset[str] = frozenset()
    dest_preps_not_after_figure: frozenset[str] = frozenset()
    origin_preps: frozenset[str] = frozenset()
    near_preps: frozenset[str] = frozenset()
    container_preps: frozenset[str] = frozenset()
    landing: frozenset[str] = frozenset()
    landing_preps: frozenset[str] = frozenset()
    through: frozenset[str] = frozenset()
    place_fillers: frozenset[str] = frozenset()
    adj_place_nouns: frozenset[str] = frozenset()
    directions: dict[str, str] = field(default_factory=dict)
    region_links: frozenset[str] = frozenset()
    anaphors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    anaphor_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    there_words: frozenset[str] = frozenset()
    existential_verbs: frozenset[str] = frozenset()
    name_links: frozenset[str] = frozenset()
    articles: frozenset[str] = frozenset()
    not_places: frozenset[str] = frozenset()
    sentence_starters: frozenset[str] = frozenset()
    place_nouns: frozenset[str] = frozenset()
    named_sites: frozenset[str] = frozenset()  # "la plaza Simón Bolívar de X": a named site in X
    name_heads: frozenset[str] = frozenset()
    translit_articles: frozenset[str] = frozenset()
    name_clitics: tuple[str, ...] = ()
    dest_clitics: tuple[str, ...] = ()            # "بإقليم": "in" glued to a place noun
    possessive_suffixes: tuple[str, ...] = ()     # "Sudan's"
    plural_suffixes: tuple[str, ...] = ()         # "the Kurds" -> "Kurd"
    country_adjectives: dict[str, str] = field(default_factory=dict)
    # --- time
    months: dict[str, int] = field(default_factory=dict)
    weekdays: dict[str, int] = field(default_factory=dict)
    new_markers: frozenset[str] = frozenset()
    total_before: frozenset[str] = frozenset()
    total_phrases: tuple[Phrase, ...] = ()
    since: frozenset[str] = frozenset()
    period_units: frozenset[str] = frozenset()
    recent: frozenset[str] = frozenset()
    during: frozenset[str] = frozenset()
    during_alone: frozenset[str] = frozenset()
    period_openers: frozenset[str] = frozenset()
    period_nouns: frozenset[str] = frozenset()
    per_words: frozenset[str] = frozenset()
    per_units: frozenset[str] = frozenset()
    date_preps: frozenset[str] = frozenset()
    weekday_preps: frozenset[str] = frozenset()
    deadline_preps: frozenset[str] = frozenset()  # "by Sunday evening": as of, no period
    yesterday: frozenset[str] = frozenset()
    today: frozenset[str] = frozenset()
    # --- grammar of a figure's own clause (<code>.grammar.toml)
    typos: dict[str, str] = field(default_factory=dict)   # "familis" -> "families"
    modifier_suffixes: tuple[str, ...] = ()       # unknown adjectives: "unregistered"
    event_nouns: frozenset[str] = frozenset()     # "7,400 crossings", "14,000 displacements"
    remain: frozenset[str] = frozenset()          # noun-less stock: "1,200 remain in shelters"
    relative_subjects: tuple[Phrase, ...] = ()    # "fueron unos 2.000 los que ingresaron"
    demographic: frozenset[str] = frozenset()     # "including 300 children": a breakdown
    death_phrases: tuple[Phrase, ...] = ()        # "losing their lives"
    risk_nouns: frozenset[str] = frozenset()      # "at risk of cholera" is no forecast
    not_modal_after: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "set up"
    causes: frozenset[str] = frozenset()          # "fled due to the fighting"
    partitive_of: frozenset[str] = frozenset()    # "500 of the 4,000 villagers"
    partitive_articles: frozenset[str] = frozenset()
    speech: frozenset[str] = frozenset()          # "..., officials said on Friday"
    beginning: frozenset[str] = frozenset()       # "since the beginning of the week"
    short_periods: frozenset[str] = frozenset()
    small_counts: frozenset[str] = frozenset()    # "in three days", "في يوم واحد"
    period_articles: frozenset[str] = frozenset()  # "en las últimas 48 horas"
    range_openers: frozenset[str] = frozenset()   # "between 1 and 12 March"
    month_preps: frozenset[str] = frozenset()     # "in September", "en février"
    bringing: frozenset[str] = frozenset()        # ", bringing the number to 8,700"
    front_subordinators: frozenset[str] = frozenset()  # "After ... on Thursday, N fled"
    stock_kind: frozenset[str] = frozenset()      # "another 55,000 live outside": a stock
    another: frozenset[str] = frozenset()
    speakers: frozenset[str] = frozenset()        # "officials in X said": X is no destination
    subject_pronouns: frozenset[str] = frozenset()  # "officials said they had received N"
    origin_heads: frozenset[str] = frozenset()    # "homes in X", "fighting around X"
    static_preps: frozenset[str] = frozenset()    # where, not whither: "in", "around", "dans"
    wild_places: frozenset[str] = frozenset()     # "fled into the bush": the origin's country
    forecast_before: frozenset[str] = frozenset()  # "planned for 5,000", "redoute 800 000"
    siege: frozenset[str] = frozenset()           # "sous blocus, 300 000 personnes": trapped
    round_trips: tuple[Phrase, ...] = ()          # "and return the same evening": no move
    expulsion_campaigns: tuple[Phrase, ...] = ()  # "a crackdown on undocumented migrants"
    exits: frozenset[str] = frozenset()           # "have left Pakistan": in such a report, returns
    irregular: frozenset[str] = frozenset()       # "living in the country illegally": migrants
    earlier_values: tuple[Phrase, ...] = ()       # "up from 6,650": the figure's earlier value
    additions: tuple[Phrase, ...] = ()            # "..., in addition to some 5,000 others"
    list_with: frozenset[str] = frozenset()       # "seguida de Perú, con 768.000": a list item
    collective_nouns: frozenset[str] = frozenset()  # "the displaced population rose to N"
    threshold_nouns: frozenset[str] = frozenset()  # "groups of more than 50 people"
    population_verbs_before: frozenset[str] = frozenset()  # "qui compte 30 000 habitants"
    elision_prefixes: tuple[str, ...] = ()        # French "d'arrivées", "l'évacuation"
    dwellings: frozenset[str] = frozenset()       # "9,800 homes were evacuated": households
    evacuated: frozenset[str] = frozenset()       # what empties a dwelling: "evacuated"
    # --- discourse (<code>.grammar.toml): a figure with no place of its own
    majority: frozenset[str] = frozenset()        # "the majority moved to X": its people's way
    crossing: frozenset[str] = frozenset()        # refugees, borders: not inside one country
    restated: frozenset[str] = frozenset()        # "The displaced families have taken refuge in X"
    back_parts: tuple[Phrase, ...] = ()           # "Of these, N arrived in X": parts of before
    # --- derived when loaded
    triggers: frozenset[str] = frozenset()        # words of the whole-report prefilter
    number_words: tuple[str, ...] = ()            # for the sentence prefilter


_TRIGGER_FIELDS = ("displacement", "families", "households", "stock_verbs", "register", "hosting",
                   "event_nouns", "evacuated")


def _phrase(s: str) -> Phrase:
    return tuple(_fold(w) for w in s.split())


def _convert(name: str, hint: Any, raw: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is str or hint is bool:
        return raw
    if origin is frozenset:
        words = raw.split() if isinstance(raw, str) else list(raw)
        # a symbol ("%", "$") folds to nothing: it is kept as written
        return frozenset(_fold(w) or w for w in words)
    if origin is tuple and typing.get_args(hint)[0] is str:
        words = raw.split() if isinstance(raw, str) else list(raw)
        return tuple(words)  # affixes and stems, matched inside words as written
    if origin is tuple:  # tuple of phrases
        return tuple(_phrase(p) for p in raw)
    if origin is dict:
        key_t, val_t = typing.get_args(hint)
        out: dict[Any, Any] = {}
        for k, val in raw.items():
            key = _phrase(k) if key_t is not str else _fold(k)
            if typing.get_origin(val_t) is tuple:
                val = tuple(val)
            out[key] = val
        return out
    raise TypeError(f"lexicon field {name}: unsupported type {hint}")  # pragma: no cover


def _hints() -> dict[str, Any]:
    return typing.get_type_hints(Lexicon, globalns={**globals(), "Phrase": Phrase})


def _derive(values: dict[str, Any], raw_triggers: set[str]) -> dict[str, Any]:
    clitic = frozenset(c + w for w in values.get("verb_first", ()) for c in
                       values.get("verb_clitics", ()))
    values["displacement"] = (values.get("displacement", frozenset())
                              | values.get("verb_first", frozenset()) | clitic)
    trig: set[str] = set(raw_triggers)
    for name in _TRIGGER_FIELDS:
        trig |= values.get(name, frozenset())
    values["triggers"] = frozenset(trig - values.get("not_triggers", frozenset()))
    words = {*values.get("ones", {}), *values.get("scales", {}),
             *(p[0] for p in values.get("vague", {}))}
    values["number_words"] = tuple(sorted(w for w in words if w))
    return values


def parse(code: str, data: dict[str, Any]) -> Lexicon:
    """A Lexicon from one language file's parsed TOML (sections flattened)."""
    hints = _hints()
    flat: dict[str, Any] = {}
    for section in data.values():
        if not isinstance(section, dict):
            raise TypeError(f"{code}.toml: top-level keys must be tables")
        for name, raw in section.items():
            if name not in hints or name in ("code", "triggers", "number_words"):
                raise KeyError(f"{code}.toml: unknown role {name!r}")
            if name in flat:
                raise KeyError(f"{code}.toml: role {name!r} given twice")
            flat[name] = raw
    values: dict[str, Any] = {name: _convert(name, hints[name], raw) for name, raw in flat.items()}
    raw_triggers: set[str] = set()
    for name in _TRIGGER_FIELDS:
        if name in flat:
            items = flat[name].split() if isinstance(flat[name], str) else flat[name]
            raw_triggers |= {w.lower() for w in items} - {
                w.lower() for w in _convert("not_triggers", hints["not_triggers"],
                                            flat.get("not_triggers", ""))}
    values = _derive(values, raw_triggers)
    return Lexicon(code=code, **values)


@cache
def load(code: str) -> Lexicon:
    """The lexicon of one language (KeyError for a language without a file)."""
    if code not in LANGUAGES:
        raise KeyError(code)
    files = resources.files(__package__)
    data = tomllib.loads(files.joinpath(f"{code}.toml").read_text("utf-8"))
    grammar = files.joinpath(f"{code}.grammar.toml")
    if grammar.is_file():
        _extend(data, tomllib.loads(grammar.read_text("utf-8")))
    return parse(code, data)


def _extend(data: dict[str, Any], more: dict[str, Any]) -> None:
    """Adds a grammar file's words to the main file's: a role in both gets both lists."""
    roles = {name: section for section in data.values() if isinstance(section, dict)
             for name in section}
    for section_name, section in more.items():
        target = data.setdefault(section_name, {})
        for name, raw in section.items():
            owner = roles.setdefault(name, target)
            old = owner.get(name)
            if old is None:
                owner[name] = raw
            elif isinstance(old, str) and isinstance(raw, str):
                owner[name] = old + " " + raw
            elif isinstance(old, list) and isinstance(raw, list):
                owner[name] = old + raw
            elif isinstance(old, dict) and isinstance(raw, dict):
                owner[name] = {**old, **raw}
            else:
                raise TypeError(f"grammar role {name!r} does not extend its kind")


def merge(lexicons: typing.Iterable[Lexicon], code: str = "*") -> Lexicon:
    """One lexicon playing every role of several: sets joined, tables joined."""
    hints = _hints()
    values: dict[str, Any] = {}
    items = list(lexicons)
    for f in fields(Lexicon):
        if f.name == "code":
            continue
        hint = hints[f.name]
        origin = typing.get_origin(hint)
        parts = [getattr(lx, f.name) for lx in items]
        if origin is frozenset:
            values[f.name] = frozenset().union(*parts)
        elif origin is dict:
            merged: dict[Any, Any] = {}
            for p in parts:
                merged.update(p)
            values[f.name] = merged
        elif origin is tuple:
            seen: dict[Any, None] = {}
            for p in parts:
                seen.update(dict.fromkeys(p))
            values[f.name] = tuple(seen)
        elif hint is str:
            values[f.name] = ""
        elif hint is bool:
            values[f.name] = any(parts)
        else:  # pragma: no cover
            raise TypeError(f.name)
    return Lexicon(code=code, **values)


def vocabulary(lx: Lexicon) -> frozenset[str]:
    """Every word the lexicon gives a role (for telling its language from others)."""
    out: set[str] = set()
    for f in fields(Lexicon):
        value = getattr(lx, f.name)
        if f.name in ("triggers", "number_words") or not isinstance(value, frozenset | dict):
            continue
        for item in value:
            out.update(item if isinstance(item, tuple) else (item,))
    return frozenset(w for w in out if w.isalpha())


@cache
def every() -> Lexicon:
    """All languages at once: for text whose language is unknown."""
    return merge(load(c) for c in LANGUAGES)


__all__ = ["LANGUAGES", "Lexicon", "every", "load", "merge", "parse", "vocabulary"]
