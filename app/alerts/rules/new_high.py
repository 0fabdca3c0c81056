"""`new_high`: the estimate passes the place's previous high by `min_increase` people."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import Field

from app.alerts.enums import RuleKind
from app.alerts.rules.base import Params, Rule, Trigger, fmt
from app.limits import Count

if TYPE_CHECKING:
    from app.alerts.models import AlertRule
    from app.series.models import SeriesPoint


class NewHighParams(Params):
    min_increase: Count = Field(default=1000, description="above the previous high by")


class NewHigh(Rule):
    kind = RuleKind.NEW_HIGH
    params = NewHighParams

    def check(
        self,
        rule: AlertRule,
        name: str,
        day: date,
        points: Mapping[date, SeriesPoint],
        highs: Mapping[date, int],
    ) -> Trigger | None:
        point = points[day]
        high = highs[day]
        if high > 0 and point.estimate >= high + max(rule.params["min_increase"], 1):
            previous = max(
                (q for d, q in points.items() if d < day), key=lambda q: q.estimate, default=None
            )
            return Trigger(
                rule,
                point.destination_id,
                day,
                point.estimate,
                f"New high at {name}: {fmt(point.estimate)} people (previous high {fmt(high)})",
                point,
                previous,
            )
        return None

    def echo_step(self, params: Mapping[str, Any]) -> int:
        return int(params.get("min_increase") or 1)
