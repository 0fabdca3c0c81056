"""`new_destination`: a place reaches `floor` people for the first time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from pydantic import Field

from app.alerts.enums import RuleKind
from app.alerts.rules.base import Params, Rule, Trigger, fmt
from app.limits import PositiveCount

if TYPE_CHECKING:
    from app.alerts.models import AlertRule
    from app.series.models import SeriesPoint


class NewDestinationParams(Params):
    floor: PositiveCount = Field(
        default=500, description="people at or above which a place is news"
    )


class NewDestination(Rule):
    kind = RuleKind.NEW_DESTINATION
    params = NewDestinationParams

    def check(
        self,
        rule: AlertRule,
        name: str,
        day: date,
        points: Mapping[date, SeriesPoint],
        highs: Mapping[date, int],
    ) -> Trigger | None:
        point = points[day]
        floor = rule.params["floor"]
        if point.estimate >= floor and highs[day] < floor:
            return Trigger(
                rule,
                point.destination_id,
                day,
                point.estimate,
                f"New destination: {fmt(point.estimate)} people reported displaced to {name}",
                point,
                None,
            )
        return None

    def echoes(self, parent: Trigger, child: Trigger) -> bool:
        return True
