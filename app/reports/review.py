"""Staff's review of figures: confirm, reject or correct one, the queue of figures that wait,
and each figure's history.

A review changes a figure's state and correction, never what the extractor read; each change
adds a `FigureReview` row with who, when, why, and the figure before and after. The figure's row
is locked first (`FOR UPDATE` on PostgreSQL; SQLite's one writer already holds the database), so
two reviews of one figure run one after the other, the second seeing the first's result. A
review that would leave the figure as it is (the same action again) changes nothing: no history
row, nothing recomputed, no webhook. Which figures wait before they count (DISPMON_REVIEW) is
decided at ingestion by `app.pipeline`; carrying a review through the series, alerts and
webhooks is `app.pipeline.apply_review`'s. Services here only flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.gazetteer.index import Gazetteer
from app.reports.models import (
    Figure,
    FigureReview,
    FigureValues,
    Report,
    ReviewAction,
    ReviewState,
)
from app.settings import Settings
from app.sources.models import Source

POLICY = "policy"
"""The `action` and `by` of the history row of a figure DISPMON_REVIEW held back."""


@dataclass(frozen=True, slots=True)
class Correction:
    """The fields a correction changes; None: as the figure says now."""

    count: int | None = None
    unit: str | None = None
    qualifier: str | None = None
    kind: str | None = None
    destination: str | None = None
    as_of: date | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.count, self.unit, self.qualifier, self.kind,
                                       self.destination, self.as_of))


@dataclass(frozen=True, slots=True)
class Reviewed:
    """What a review did: `changed` false when the figure already stood so. `before` and
    `after` are the figure as it counted (None: it counted for nothing)."""

    figure: Figure
    changed: bool
    before: FigureValues | None
    after: FigureValues | None
    review: FigureReview | None


def _side(figure: Figure) -> dict[str, Any]:
    return {"state": figure.review_state, "values": figure.current().as_json()}


def _corrected(settings: Settings, gazetteer: Gazetteer, figure: Figure,
               correction: Correction) -> FigureValues:
    """The figure's values once `correction` is applied to what it says now."""
    base = figure.current()
    values = base
    if correction.destination is not None and correction.destination != base.destination_id:
        place = gazetteer.get(correction.destination)
        if place is None:
            raise InvalidInput(f"no place with id {correction.destination!r}")
        values = replace(values, destination_id=place.id, destination_name=place.name,
                         destination_country=place.country, destination_level=place.level)
    if correction.as_of is not None:
        values = replace(values, as_of=correction.as_of, observed_on=correction.as_of)
    values = replace(values, count=correction.count if correction.count is not None
                     else values.count,
                     unit=correction.unit or values.unit,
                     qualifier=correction.qualifier or values.qualifier,
                     kind=correction.kind or values.kind)
    if (values.count, values.unit, values.destination_country) != (
            base.count, base.unit, base.destination_country):
        size = settings.household_size_for(values.destination_country)
        values = replace(values,
                         people=values.count if values.unit == "people" else values.count * size)
    # a corrected figure is its count, without the range read around the original
    values = replace(values, low=None, high=None)
    if values.destination_id is None:
        raise InvalidInput("a corrected figure needs a destination (reject a figure that has "
                           "none)")
    return values


def review_figure(session: Session, settings: Settings, gazetteer: Gazetteer, figure_id: int,
                  action: ReviewAction, *, by: str, reason: str | None,
                  correction: Correction | None = None, now: datetime | None = None) -> Reviewed:
    """Confirms, rejects or corrects a figure; see the module's docstring. A correction applies
    to the figure as it stands (a second correction keeps the first's other fields); confirming
    or rejecting drops a correction (the history keeps it)."""
    correction = correction or Correction()
    if action is not ReviewAction.CORRECT and not correction.empty:
        raise InvalidInput(f"{action.value!r} takes no corrected fields; use 'correct'")
    if action is ReviewAction.CORRECT and correction.empty:
        raise InvalidInput("'correct' needs at least one of count, unit, qualifier, kind, "
                           "destination, as_of")
    figure = session.scalar(select(Figure).where(Figure.id == figure_id).with_for_update())
    if figure is None:
        raise NotFound(f"no figure with id {figure_id}")
    before_side = _side(figure)
    before = figure.current() if figure.counts else None
    if action is ReviewAction.CORRECT:
        corrected = _corrected(settings, gazetteer, figure, correction)
        values: FigureValues | None = corrected
        state = ReviewState.CORRECTED
        original = figure.original()
        if replace(corrected, low=original.low, high=original.high) == original:
            # corrected back to what was read: that is a confirmation of it
            values, state = None, ReviewState.CONFIRMED
    else:
        values = None
        state = (ReviewState.CONFIRMED if action is ReviewAction.CONFIRM
                 else ReviewState.REJECTED)
    if figure.review_state == state and (values is None or values == figure.current()):
        return Reviewed(figure, False, before, before, None)
    figure.review_state = state.value
    figure.set_correction(values)
    figure.reviewed_at = now or utcnow()
    review = FigureReview(figure_id=figure.id, action=action.value, by=by, reason=reason,
                          before=before_side, after=_side(figure), at=figure.reviewed_at)
    session.add(review)
    session.flush()
    return Reviewed(figure, True, before, figure.current() if figure.counts else None, review)


def hold(session: Session, figures: Iterable[Figure], why: str,
         now: datetime | None = None) -> list[Figure]:
    """Puts counted figures in the queue (`pending`), each with a history row saying why (the
    policy of DISPMON_REVIEW), in one statement; returns those held."""
    now = now or utcnow()
    held = [f for f in figures if f.review_state == ReviewState.AUTO]
    rows = []
    for figure in held:
        before = _side(figure)
        figure.review_state = ReviewState.PENDING.value
        rows.append({"figure_id": figure.id, "action": POLICY, "by": POLICY, "reason": why,
                     "before": before, "after": _side(figure), "at": now})
    if rows:
        session.flush()
        session.execute(insert(FigureReview), rows)
    return held


def queue(session: Session, after_id: int | None, limit: int) -> list[tuple[Figure, Source]]:
    """The figures waiting for a review, oldest first, `limit` of them after the cursor."""
    query = (select(Figure, Source).join(Source, Source.id == Figure.source_id)
             .where(Figure.review_state == ReviewState.PENDING.value)
             .order_by(Figure.id).limit(limit))
    if after_id is not None:
        query = query.where(Figure.id > after_id)
    return [(f, s) for f, s in session.execute(query).all()]


def get_figure(session: Session, figure_id: int) -> tuple[Figure, Source]:
    row = session.execute(select(Figure, Source).join(Source, Source.id == Figure.source_id)
                          .where(Figure.id == figure_id)).first()
    if row is None:
        raise NotFound(f"no figure with id {figure_id}")
    return row[0], row[1]


def history(session: Session, figure_id: int) -> list[FigureReview]:
    """Every review of the figure, oldest first (404 for no such figure)."""
    if session.scalar(select(Figure.id).where(Figure.id == figure_id)) is None:
        raise NotFound(f"no figure with id {figure_id}")
    return list(session.scalars(select(FigureReview).where(FigureReview.figure_id == figure_id)
                                .order_by(FigureReview.id)))


def reviewed_reports(session: Session, since: datetime | None) -> list[Report]:
    """Reports with at least one figure staff confirmed, corrected or rejected (by a person,
    not the policy), reviewed at or after `since`, oldest first."""
    reviewed = (select(FigureReview.figure_id).where(FigureReview.action != POLICY))
    if since is not None:
        reviewed = reviewed.where(FigureReview.at >= since)
    ids = select(Figure.report_id).where(Figure.id.in_(reviewed))
    return list(session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.id)))
