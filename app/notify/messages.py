"""What a person needs to act on an alert, gathered once per event and rendered per channel.

A `Message` holds the facts, not a format: where (the place, its parents, its country), how many
and the change, since when, on whose word (each source, its credibility, its quote and date), the
severity, the link to the alert's page, and whether the data is the demo's. Each channel turns it
into what its platform renders well; `plain_text` is the fallback every channel can show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.dashboard.charts import ChartPoint

STATES = {
    "alert.firing": ("firing", "New alert"),
    "alert.escalated": ("escalated", "Escalated"),
    "alert.updated": ("updated", "Updated"),
    "alert.retracted": ("retracted", "Retracted"),
    "alert.resolved": ("resolved", "Resolved"),
    "incident.opened": ("firing", "New incident"),
    "incident.updated": ("updated", "Incident updated"),
    "incident.resolved": ("resolved", "Incident resolved"),
    "subscription.test": ("test", "Test"),
    "digest.daily": ("digest", "Daily digest"),
}
"""Event type -> (state, the word a message opens with)."""

CREDIBILITY = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}
"""The source reliability grades of the Admiralty (NATO) scale that sources are rated on."""

SEVERITY_COLORS = {"critical": "#c0392b", "warning": "#d68910", "info": "#2471a3"}
MAX_SOURCES = 5
TEST_EVENT = "subscription.test"
DIGEST_EVENT = "digest.daily"


@dataclass(frozen=True, slots=True)
class SourceLine:
    name: str
    credibility: str | None
    quote: str
    day: str
    people: int | None
    url: str | None
    title: str | None

    @property
    def credibility_text(self) -> str:
        if self.credibility is None:
            return "credibility not rated"
        return f"credibility {self.credibility} ({CREDIBILITY.get(self.credibility, '?')})"


@dataclass(frozen=True, slots=True)
class Message:
    event_type: str
    state: str
    label: str
    severity: str
    rule: str
    place: str
    parents: tuple[str, ...]  # nearest first, the country last
    country: str | None
    people: int | None
    previous: int | None
    change: int | None
    percent: float | None
    since: str | None  # the day the alert opened
    data_day: str | None
    summary: str
    sources: tuple[SourceLine, ...]
    link: str | None
    demo: bool
    alert_id: int | None
    series: tuple[ChartPoint, ...] = field(default=(), repr=False)
    # a digest's parts: a title and its lines each
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_test(self) -> bool:
        return self.state == "test"

    @property
    def where(self) -> str:
        """"Baalbek-Hermel, Lebanon": the place and its parents."""
        return ", ".join((self.place, *self.parents))

    @property
    def headline(self) -> str:
        demo = "[DEMO] " if self.demo else ""
        if self.is_test:
            return f"{demo}Test message from Displacement Monitor"
        if self.state == "digest":
            return f"{demo}Daily digest – {self.summary}"
        count = f": {people(self.people)} people" if self.people is not None else ""
        return f"{demo}{self.label} ({self.severity}) – {self.where}{count}"

    @property
    def change_text(self) -> str | None:
        if self.change is None:
            return None
        sign = "+" if self.change >= 0 else "−"
        text = f"{sign}{people(abs(self.change))}"
        if self.previous is not None:
            text += f" since {people(self.previous)}"
        if self.percent is not None:
            text += f" ({'+' if self.percent >= 0 else ''}{self.percent:g} %)"
        return text

    def facts(self) -> list[tuple[str, str]]:
        """The short facts, label and value, in the order a person reads them."""
        if self.is_test:
            return [("Why", "this address was added to (or re-checked by) a subscription")]
        if self.state == "digest":
            return [("Period", self.since or ""), ("Filters", self.where)]
        out = [("Where", self.where)]
        if self.country:
            out.append(("Country", self.country))
        if self.people is not None:
            out.append(("People", people(self.people)))
        if self.change_text:
            out.append(("Change", self.change_text))
        if self.since:
            out.append(("Since", self.since))
        if self.data_day:
            out.append(("Figures of", self.data_day))
        out += [("Severity", self.severity), ("Rule", self.rule), ("Status", self.state)]
        return out

    @property
    def demo_note(self) -> str:
        return ("DEMO DATA: this alert comes from the demonstration replay, not from real "
                "reports.")


def people(n: int) -> str:
    return f"{n:,}"


def plain_text(message: Message) -> str:
    """The message as plain text: the e-mail's text part and every channel's fallback."""
    lines = [message.headline, ""]
    if message.demo:
        lines += [message.demo_note, ""]
    if not message.is_test:
        lines += [message.summary, ""]
    lines += [f"{label}: {value}" for label, value in message.facts()]
    for title, items in message.sections:
        lines += ["", f"{title}:"] + [f"- {item}" for item in items]
    if message.sources:
        lines += ["", "On whose word:"]
        for s in message.sources:
            lines.append(f"- {s.name}, {s.credibility_text}, {s.day}: “{s.quote}”")
            if s.url:
                lines.append(f"  {s.url}")
    if message.link:
        lines += ["", f"Open the alert: {message.link}"]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Context:
    """What the database adds to an event's data: the parents' and country's names, each
    evidence figure's source credibility, whether any is demo data, the series."""

    parents: tuple[str, ...] = ()
    country: str | None = None
    credibility: Mapping[int, str] = field(default_factory=dict)  # figure id -> grade
    demo: bool = False
    series: tuple[ChartPoint, ...] = ()


def build(event_type: str, data: Mapping[str, Any], context: Context,
          public_url: str | None) -> Message:
    """The message of one event (`data` as the webhooks carry it: an alert, or a test)."""
    state, label = STATES.get(event_type, (event_type.removeprefix("alert."), "Changed"))
    if event_type == DIGEST_EVENT:
        return digest_message(data, context, public_url)
    if event_type == TEST_EVENT:
        return Message(event_type, state, label, "info", "", "", (), None, None, None, None,
                       None, None, None, str(data.get("message", "")), (),
                       public_url, context.demo, None)
    evidence: Mapping[str, Any] = data.get("evidence") or {}
    change = evidence.get("change") or {}
    previous = evidence.get("previous") or {}
    sources = []
    for f in (evidence.get("figures") or [])[:MAX_SOURCES]:
        sources.append(SourceLine(
            name=str(f.get("source") or "unknown source"),
            credibility=context.credibility.get(int(f.get("figure_id") or 0)),
            quote=str(f.get("quote") or ""), day=str(f.get("date") or ""),
            people=f.get("people"), url=f.get("url"), title=f.get("title")))
    destination = data.get("destination") or {}
    alert_id = data.get("id")
    opened = data.get("opened_at")
    return Message(
        event_type=event_type, state=state, label=label,
        severity=str(data.get("severity", "info")),
        rule=str((data.get("rule") or {}).get("name", "")),
        place=str(destination.get("name") or destination.get("id") or "?"),
        parents=context.parents, country=context.country,
        # the estimate, not the rule's measure (a threshold rule's is the level crossed)
        people=(evidence.get("current") or {}).get("estimate", data.get("value")),
        previous=previous.get("estimate"),
        change=change.get("people"), percent=change.get("percent"),
        since=datetime.fromisoformat(opened).date().isoformat() if opened else None,
        data_day=data.get("data_day"), summary=str(data.get("summary", "")),
        sources=tuple(sources),
        link=f"{public_url}/alerts/{alert_id}" if public_url and alert_id else None,
        demo=context.demo, alert_id=alert_id, series=context.series,
    )


INCIDENT_OPENED = "incident.opened"
INCIDENT_UPDATED = "incident.updated"
INCIDENT_RESOLVED = "incident.resolved"


@dataclass(frozen=True, slots=True)
class IncidentAlert:
    """One alert of an incident, as its message lists it."""

    rule: str
    kind: str
    place: str
    severity: str
    status: str
    value: int
    summary: str


def incident_message(event_type: str, lead: Mapping[str, Any], alerts: Sequence[IncidentAlert],
                     context: Context, public_url: str | None) -> Message:
    """An incident's message: its lead alert's facts (`lead`, the alert as webhooks carry it:
    the most severe, the largest), then every rule that fired and every place, folded in."""
    base = build(event_type, lead, context, public_url)
    rules = tuple(f"{a.rule} ({a.kind}) at {a.place}: {a.summary} [{a.status}, {a.severity}]"
                  for a in alerts)
    places = tuple(dict.fromkeys(a.place for a in alerts))
    summary = (f"{len(alerts)} alerts at {_count(len(places), 'place')}: {base.summary}"
               if len(alerts) > 1 else base.summary)
    return replace(base, rule=", ".join(dict.fromkeys(a.rule for a in alerts)), summary=summary,
                   sections=(("Rules that fired", rules), ("Places", places)))


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters long, cut with an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def digest_message(data: Mapping[str, Any], context: Context,
                   public_url: str | None) -> Message:
    """A daily digest (`app.notify.digest` writes its data): each part a section."""
    sections = tuple((str(title), tuple(str(line) for line in lines))
                     for title, lines in data.get("sections") or [] if lines)
    return Message(
        DIGEST_EVENT, "digest", "Daily digest", "info", "", str(data.get("scope", "")), (),
        None, None, None, None, None, str(data.get("period", "")), None,
        str(data.get("summary", "")), (), public_url, context.demo, None, (), sections)
