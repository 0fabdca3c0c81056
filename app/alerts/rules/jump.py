"""`jump`: the estimate rises by `min_increase` people and `min_ratio` within `window_days`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field

from app.alerts.enums import RuleKind
from app.alerts.rules.base import Params, Rule, Trigger, fmt
from app.limits import FiniteFloat, PositiveCount

if TYPE_CHECKING:
    from app.alerts.models import AlertRule
    from app.series.models import SeriesPoint


class JumpParams(Params):
    min_increase: PositiveCount = Field(default=1000, description="people added, at least")
    min_ratio: FiniteFloat = Field(
        default=0.5, gt=0, description="relative rise, at least (0.5 = 50 %)"
    )
    window_days: int = Field(default=3, ge=1, le=30, description="compared with this many days")


def _rise(t: Trigger) -> int:
    return t.current.estimate - (t.previous.estimate if t.previous else 0)


class Jump(Rule):
    kind = RuleKind.JUMP
    params = JumpParams

    def check(
        self,
        rule: AlertRule,
        name: str,
        day: date,
        points: Mapping[date, SeriesPoint],
        highs: Mapping[date, int],
    ) -> Trigger | None:
        point = points[day]
        p = rule.params
        earlier = [
            points[d]
            for d in (day - timedelta(days=k) for k in range(1, p["window_days"] + 1))
            if d in points
        ]
        if not earlier:
            return None
        base = min(earlier, key=lambda e: (e.estimate, e.day))
        rise = point.estimate - base.estimate
        if (
            base.estimate > 0
            and rise >= p["min_increase"]
            and rise / base.estimate >= p["min_ratio"]
        ):
            return Trigger(
                rule,
                point.destination_id,
                day,
                point.estimate,
                f"Jump at {name}: {fmt(base.estimate)} to {fmt(point.estimate)} "
                f"people (+{rise / base.estimate:.0%}) between {base.day} and "
                f"{day}",
                point,
                base,
            )
        return None

    def echoes(self, parent: Trigger, child: Trigger) -> bool:
        return _rise(parent) - _rise(child) < int(parent.rule.params["min_increase"])

    def lookback(self, params: Mapping[str, Any]) -> int:
        return int(params.get("window_days", 1))
