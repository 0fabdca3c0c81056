"""How sure the extractor is of a figure: a score from the evidence its rules used.

The weights are calibrated on the annotated corpora (CONTRACT.md: among figures at 0.8 or
above, at least 95% are right) and are deliberately few and coarse, one per kind of
evidence, so that they carry over to reports the corpora do not hold.
"""

from __future__ import annotations


class Evidence:
    """What the rules saw when they read a figure: bit flags, combined with "|" (plain ints,
    not enum.Flag, whose operators cost a microsecond each on the extractor's hot path)."""

    NONE = 0
    DISPLACED_NOUN = 1 << 0   # the counted noun says displaced: "refugees", "IDPs"
    DISPLACEMENT_VERB = 1 << 1  # the figure's clause has a displacement word
    STOCK_ONLY = 1 << 2       # only a stock or registration verb beside a place
    DEST_ROLE = 1 << 3        # a place in the figure's own clause, as destination
    DEST_RELATIVE = 1 << 4    # the place a relative clause hangs on: "X, where N live"
    DEST_SHARED = 1 << 5      # the destination of a neighbouring figure
    DEST_ANAPHOR = 1 << 6     # "the camp", "there": resolved from earlier text
    DEST_COUNTRY = 1 << 7     # the destination is a whole country
    HEDGE = 1 << 8            # a modal or hedge somewhere in the sentence
    VAGUE = 1 << 9            # "thousands of": no number
    IMPLIED_UNIT = 1 << 10    # no counted noun: "10,000 have fled"
    CROWDED = 1 << 11         # three or more figures in one sentence
    PART = 1 << 12            # a part of another figure: "281,000 of them"
    ORIGIN = 1 << 13          # an origin was read too
    DEST_DISCOURSE = 1 << 14  # given by the report around the figure (discourse.py)


def confidence(e: int) -> float:
    """A probability-like score in [0, 1] from the evidence flags. Only a destination read
    in the figure's own clause, resolved without doubt (a whole country, or a place set
    against an origin: "from X to Y"), with no hedge, no anaphor and a displacement word,
    reaches 0.8."""
    if e & Evidence.DEST_ROLE:
        score = 0.7
    elif e & (Evidence.DEST_RELATIVE | Evidence.DEST_SHARED):
        score = 0.55
    elif e & Evidence.DEST_DISCOURSE:
        score = 0.4  # inherited from other sentences: a place, but never a sure one
    else:
        score = 0.3  # no destination read: the place (and so the figure) is least certain
    if e & (Evidence.DEST_COUNTRY | Evidence.ORIGIN):
        score += 0.15
    if e & Evidence.DISPLACEMENT_VERB:
        score += 0.05
    for flag, cost in _COSTS:
        if e & flag:
            score -= cost
    return round(min(1.0, max(0.05, score)), 2)


_COSTS = (
    (Evidence.STOCK_ONLY, 0.15),
    (Evidence.DEST_ANAPHOR, 0.15),
    (Evidence.HEDGE, 0.2),
    (Evidence.VAGUE, 0.05),
    (Evidence.IMPLIED_UNIT, 0.05),
    (Evidence.CROWDED, 0.05),
    (Evidence.PART, 0.05),
)
