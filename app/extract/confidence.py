"""How sure the extractor is of a figure: a score from the evidence its rules used.

The weights are calibrated on the annotated corpora (CONTRACT.md: among figures at 0.8 or
above, at least 95% are right) and are deliberately few and coarse, one per kind of
evidence, so that they carry over to reports the corpora do not hold.
"""

from __future__ import annotations

import enum


class Evidence(enum.Flag):
    """What the rules saw when they read a figure."""

    NONE = 0
    DISPLACED_NOUN = enum.auto()   # the counted noun says displaced: "refugees", "IDPs"
    DISPLACEMENT_VERB = enum.auto()  # the figure's clause has a displacement word
    STOCK_ONLY = enum.auto()       # only a stock or registration verb beside a place
    DEST_ROLE = enum.auto()        # a place in the figure's own clause, as destination
    DEST_RELATIVE = enum.auto()    # the place a relative clause hangs on: "X, where N live"
    DEST_SHARED = enum.auto()      # the destination of a neighbouring figure
    DEST_ANAPHOR = enum.auto()     # "the camp", "there": resolved from earlier text
    DEST_COUNTRY = enum.auto()     # the destination is a whole country
    HEDGE = enum.auto()            # a modal or hedge somewhere in the sentence
    VAGUE = enum.auto()            # "thousands of": no number
    IMPLIED_UNIT = enum.auto()     # no counted noun: "10,000 have fled"
    CROWDED = enum.auto()          # three or more figures in one sentence
    PART = enum.auto()             # a part of another figure: "281,000 of them"
    ORIGIN = enum.auto()           # an origin was read too


def confidence(e: Evidence) -> float:
    """A probability-like score in [0, 1] from the evidence flags. Only a destination read
    in the figure's own clause, resolved without doubt (a whole country, or a place set
    against an origin: "from X to Y"), with no hedge, no anaphor and a displacement word,
    reaches 0.8."""
    if e & Evidence.DEST_ROLE:
        score = 0.7
    elif e & (Evidence.DEST_RELATIVE | Evidence.DEST_SHARED):
        score = 0.55
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
