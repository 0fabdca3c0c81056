"""The kinds of alert rules, one module each behind the `Rule` protocol (`base.py`).

`RULES` maps each `RuleKind` to its implementation; adding a kind is a module here, a line in
`RULES` and a value of `RuleKind` (and the CHECK constraint's migration).
"""

from __future__ import annotations

from app.alerts.enums import RuleKind
from app.alerts.rules.arrival_rate import ArrivalRate
from app.alerts.rules.base import Params, Rule, Trigger
from app.alerts.rules.jump import Jump
from app.alerts.rules.new_destination import NewDestination
from app.alerts.rules.new_high import NewHigh
from app.alerts.rules.threshold import Threshold

RULES: dict[RuleKind, Rule] = {
    rule.kind: rule for rule in (NewDestination(), Jump(), ArrivalRate(), Threshold(), NewHigh())
}
assert set(RULES) == set(RuleKind), "every rule kind has its module"


def rule_of(kind: str) -> Rule:
    """The implementation of a stored rule's kind."""
    return RULES[RuleKind(kind)]


__all__ = ["RULES", "Params", "Rule", "Trigger", "rule_of"]
