"""The subscriptions page's forms: what an admin typed, read into the API's own input models
(`app.notify.schemas`), so the page and `/api/v1/subscriptions` accept and refuse alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError

from app.alerts.enums import RuleKind
from app.notify.models import Subscription
from app.notify.schemas import SubscriptionIn, SubscriptionPatch

DEMO_CHOICES = {"real": False, "demo": True, "both": None}
TEXT_FIELDS = ("name", "channel", "address", "token", "min_severity", "rhythm", "timezone",
               "digest_hour")
LIST_FIELDS = ("destinations", "countries")


@dataclass(frozen=True, slots=True)
class Typed:
    """A form as typed: shown again, whole, when it is refused."""

    values: dict[str, str] = field(default_factory=dict)
    rule_kinds: tuple[str, ...] = ()
    subscription_id: int | None = None  # the subscription edited; None: a new one

    def fields(self, *, new: bool) -> dict[str, Any]:
        """The API's fields: blank ones left out (an edit keeps the address and token)."""
        out: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            value = self.values.get(name, "").strip()
            if value:
                out[name] = value
        for name in LIST_FIELDS:
            items = [v.strip() for v in self.values.get(name, "").replace(";", ",").split(",")
                     if v.strip()]
            out[name] = items or None
        out["rule_kinds"] = list(self.rule_kinds) or None
        out["demo"] = DEMO_CHOICES.get(self.values.get("demo", "real"), "?")
        out["digest_when_quiet"] = self.values.get("digest_when_quiet") == "on"
        if not new:
            out.pop("channel", None)
        return out

    def create(self) -> SubscriptionIn:
        return SubscriptionIn.model_validate(self.fields(new=True))

    def patch(self) -> dict[str, Any]:
        return SubscriptionPatch.model_validate(self.fields(new=False)).model_dump(
            exclude_unset=True)


def typed_of(sub: Subscription) -> Typed:
    """A subscription as its edit form shows it (the address stays hidden: blank keeps it)."""
    demo = next(k for k, v in DEMO_CHOICES.items() if v is sub.demo)
    return Typed({
        "name": sub.name, "channel": sub.channel, "min_severity": sub.min_severity,
        "rhythm": sub.rhythm, "timezone": sub.timezone, "digest_hour": str(sub.digest_hour),
        "destinations": ", ".join(sub.destinations or []),
        "countries": ", ".join(sub.countries or []), "demo": demo,
        "digest_when_quiet": "on" if sub.digest_when_quiet else ""},
        tuple(sub.rule_kinds or ()), sub.id)


async def _typed(request: Request) -> Typed:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "rule_kinds"}
    kinds = tuple(v for v in form.getlist("rule_kinds") if isinstance(v, str))
    return Typed(values, kinds)


TypedForm = Annotated[Typed, Depends(_typed)]
RULE_KINDS = [k.value for k in RuleKind]


def refusal(exc: ValidationError) -> str:
    """The validator's complaints, each with the field it is about."""
    out = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        where = next((str(p) for p in error["loc"] if isinstance(p, str)), None)
        out.append(f"{where.replace('_', ' ')}: {message}" if where else message)
    return "; ".join(dict.fromkeys(out)) or "the form could not be read"
