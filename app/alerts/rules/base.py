"""The `Rule` protocol every rule kind implements, and the `Trigger` a rule returns when it fires.

A rule kind is one module of this package: its parameters (a pydantic model), `check` (does the
series fire the rule on a day?), and the few answers where kinds differ (`echoes`, `escalates`,
`params_behind`, `lookback`), with the common answers here. `app.alerts.rules.RULES` registers
the kinds by `RuleKind`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from app.alerts.enums import RuleKind

if TYPE_CHECKING:
    from app.alerts.models import AlertRule
    from app.series.models import SeriesPoint


class Params(BaseModel):
    """A rule kind's parameters: unknown ones are refused."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule firing for a place on a day."""

    rule: AlertRule
    place_id: str
    day: date
    # what escalation compares: people (estimate or arrivals) or the threshold level crossed
    measure: int
    summary: str
    current: SeriesPoint
    previous: SeriesPoint | None


def fmt(n: int) -> str:
    return f"{n:,}"


class Rule(Protocol):
    """One kind of rule. Kinds subclass it to take the common answers of the methods with a
    body; `check` each kind answers itself."""

    kind: ClassVar[RuleKind]
    params: ClassVar[type[Params]]

    def check(
        self,
        rule: AlertRule,
        name: str,
        day: date,
        points: Mapping[date, SeriesPoint],
        highs: Mapping[date, int],
    ) -> Trigger | None:
        """The rule's trigger on `day`, if the series fires it there. `points` are the place's
        loaded points by day, `highs` the highest estimate before each of them, `name` the
        place's name for the summary."""
        ...

    def echoes(self, parent: Trigger, child: Trigger) -> bool:
        """True when a parent's trigger (of the same day) says nothing its descendant's same-rule
        trigger did not: Syria "jumping" because the Khmeimim base did is one event, not two
        alerts. By default: the parent's measure is within the rule's step of the child's."""
        return parent.measure - child.measure < self.echo_step(parent.rule.params)

    def echo_step(self, params: Mapping[str, Any]) -> int:
        """How far a parent's measure must exceed its child's to be news of its own."""
        return 1

    def escalates(self, rule: AlertRule, notified_value: int, measure: int) -> bool:
        """Whether an open alert notified at `notified_value` notifies again at `measure`: by
        default when it rose by the rule's step (no step: never)."""
        return rule.step is not None and measure >= notified_value + rule.step

    def params_behind(self, trigger: Trigger) -> dict[str, Any]:
        """The rule's parameters that made this trigger, as its evidence shows them."""
        return dict(trigger.rule.params)

    def lookback(self, params: Mapping[str, Any]) -> int:
        """The days before a changed day the rule reads."""
        return 1
