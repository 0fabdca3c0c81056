"""`threshold`: the estimate crosses one of `levels`; it escalates at each higher level."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from app.alerts.enums import RuleKind
from app.alerts.rules.base import Params, Rule, Trigger, fmt
from app.limits import MAX_LEVELS, PositiveCount

if TYPE_CHECKING:
    from app.alerts.models import AlertRule
    from app.series.models import SeriesPoint


class ThresholdParams(Params):
    levels: list[PositiveCount] = Field(
        default_factory=lambda: [10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000],
        min_length=1,
        max_length=MAX_LEVELS,
    )

    @field_validator("levels")
    @classmethod
    def _sorted_positive(cls, value: list[int]) -> list[int]:
        if any(v < 1 for v in value):
            raise ValueError("levels must be positive")
        return sorted(set(value))


class Threshold(Rule):
    """Its measure is the level crossed, not people."""

    kind = RuleKind.THRESHOLD
    params = ThresholdParams

    def check(
        self,
        rule: AlertRule,
        name: str,
        day: date,
        points: Mapping[date, SeriesPoint],
        highs: Mapping[date, int],
    ) -> Trigger | None:
        point = points[day]
        previous = points.get(day - timedelta(days=1))
        prev = previous.estimate if previous else 0
        crossed = [level for level in rule.params["levels"] if prev < level <= point.estimate]
        if crossed:
            return Trigger(
                rule,
                point.destination_id,
                day,
                crossed[-1],
                f"{name} passed {fmt(crossed[-1])} people displaced "
                f"({fmt(point.estimate)} on {day})",
                point,
                previous,
            )
        return None

    def echoes(self, parent: Trigger, child: Trigger) -> bool:
        return parent.measure == child.measure

    def escalates(self, rule: AlertRule, notified_value: int, measure: int) -> bool:
        return measure > notified_value

    def params_behind(self, trigger: Trigger) -> dict[str, Any]:
        # of the levels only the one crossed: a rule may list many, and every payload would
        # carry them all
        return {"level": trigger.measure}
