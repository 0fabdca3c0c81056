"""The review forms of the pages: what staff typed, read into the API's own `ReviewIn`, and the
history of a figure told in words. The review itself is `app.pipeline.apply_review`'s, as for
the API: the pages have no second way to change a figure."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, get_args

from pydantic import ValidationError

from app.reports.review import Correction
from app.reports.schemas import Kind, Qualifier, ReviewIn, Unit

UNITS: tuple[str, ...] = get_args(Unit)
QUALIFIERS: tuple[str, ...] = get_args(Qualifier)
KINDS: tuple[str, ...] = get_args(Kind)
FIELDS = ("count", "unit", "qualifier", "kind", "destination", "as_of")
_LABELS = {
    "action": "Action",
    "reason": "Why",
    "count": "Count",
    "unit": "Unit",
    "qualifier": "Qualifier",
    "kind": "Kind",
    "destination": "Destination",
    "as_of": "As of",
}
# "12,000" or "12 000" as people write a count; anything else goes to the validator as typed
_GROUPED = re.compile(r"\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+")


@dataclass(frozen=True, slots=True)
class Attempt:
    """A review form as it was posted: kept to fill the form again when it is refused."""

    figure_id: int
    action: str = ""
    reason: str = ""
    count: str = ""
    unit: str = ""
    qualifier: str = ""
    kind: str = ""
    destination: str = ""
    as_of: str = ""
    message: str = ""
    status: int = 422  # of the page that shows the form again

    def refused(self, message: str, status: int = 422) -> Attempt:
        return replace(self, message=message, status=status)

    def review(self) -> ReviewIn:
        """The form as the API's review body (raises ValidationError). An empty field is one
        the form leaves as the figure says now."""
        body: dict[str, Any] = {"action": self.action, "reason": self.reason.strip() or None}
        for name in FIELDS:
            value = getattr(self, name).strip()
            if name == "count" and _GROUPED.fullmatch(value):
                value = re.sub(r"\D", "", value)
            body[name] = value or None
        return ReviewIn.model_validate(body)


def correction_of(body: ReviewIn) -> Correction:
    return Correction(
        count=body.count,
        unit=body.unit,
        qualifier=body.qualifier,
        kind=body.kind,
        destination=body.destination,
        as_of=body.as_of,
    )


# what the validator says of a count, in the words of someone filling in the form
_COUNT_SAYS = {
    "int_parsing": "a whole number, such as 12000 or 12,000",
    "int_from_float": "a whole number, such as 12000 or 12,000",
    "greater_than_equal": "cannot be below 0",
    "less_than_equal": "is larger than any count this service stores",
}


def explain(exc: ValidationError) -> str:
    """The validator's complaints in a sentence a person can act on."""
    out = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        field = next((str(p) for p in error["loc"] if str(p) in _LABELS), None)
        if field == "count":
            message = _COUNT_SAYS.get(str(error["type"]), message)
        out.append(f"{_LABELS[field]}: {message}" if field else message)
    return "; ".join(dict.fromkeys(out)) or "the form could not be read"


def told(side: dict[str, Any] | None) -> str:
    """One side of a history row ({"state", "values"}) in words."""
    if not side:
        return "–"
    values = side.get("values") or {}
    state = str(side.get("state", "?"))
    if not values:
        return state
    count = values.get("count")
    unit = values.get("unit", "people")
    what = f"{count:,} {unit}" if isinstance(count, int) else f"? {unit}"
    people = values.get("people")
    if unit != "people" and isinstance(people, int):
        what += f" ({people:,} people)"
    parts = [f"{state}: {what}"]
    if values.get("qualifier") not in (None, "exact"):
        parts.append(str(values["qualifier"]).replace("_", " "))
    parts.append(str(values.get("kind", "?")))
    parts.append(f"in {values.get('destination') or 'no place'}")
    parts.append(f"on {values.get('as_of') or values.get('observed_on') or '?'}")
    return ", ".join(parts)
