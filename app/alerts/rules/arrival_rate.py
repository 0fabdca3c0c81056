"""`arrival_rate`: at least `min_arrivals` new arrivals reported for one day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field

from app.alerts.enums import RuleKind
from app.alerts.rules.base import Params, Rule, Trigger, fmt
from app.limits import PositiveCount

if TYPE_CHECKING:
    from app.alerts.models import AlertRule
    from app.series.models import SeriesPoint


class ArrivalRateParams(Params):
    min_arrivals: PositiveCount = Field(default=1000, description="new arrivals in a day, at least")


class ArrivalRate(Rule):
    kind = RuleKind.ARRIVAL_RATE
    params = ArrivalRateParams

    def check(
        self,
        rule: AlertRule,
        name: str,
        day: date,
        points: Mapping[date, SeriesPoint],
        highs: Mapping[date, int],
    ) -> Trigger | None:
        point = points[day]
        if point.new_arrivals >= rule.params["min_arrivals"]:
            return Trigger(
                rule,
                point.destination_id,
                day,
                point.new_arrivals,
                f"{fmt(point.new_arrivals)} new arrivals at {name} on {day}",
                point,
                points.get(day - timedelta(days=1)),
            )
        return None

    def echo_step(self, params: Mapping[str, Any]) -> int:
        return int(params.get("min_arrivals") or 1)
