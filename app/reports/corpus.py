"""Staff's judgements as an annotated corpus, in the format of the shared CONTRACT.md's corpora
(one report a line: `id`, `lang`, `published`, `text`, `figures` (gold), `distractors`), so that
`eval/score.py` scores the extractor on them.

Confirmed and corrected figures are gold (as corrected); a rejected figure's number is a
distractor. A report is exported only when a person judged every figure read in it (none left
`auto` or `pending`): otherwise an unjudged figure would be scored either as gold on no one's
word or as a false positive that may be right.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.reports.models import Figure, ReviewState
from app.reports.review import reviewed_reports

VAGUE_KEYS = {24: "dozens", 200: "hundreds", 2000: "thousands", 20000: "tens_of_thousands",
              200000: "hundreds_of_thousands", 2000000: "millions"}
"""A vague amount's count (CONTRACT.md's table, low end) -> its key in the corpora."""

JUDGED = (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.REJECTED)


def _gold(figure: Figure) -> dict[str, Any]:
    v = figure.current()
    vague = VAGUE_KEYS.get(v.count) if v.qualifier == "vague" else None
    return {
        "count": None if vague else v.count, "vague": vague, "unit": v.unit,
        "qualifier": v.qualifier, "country": v.destination_country,
        "place": [v.destination_name] if v.destination_name else [], "kind": v.kind,
    }


def export(session: Session, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The reviewed reports (a person's review at or after `since`), oldest first, as corpus
    lines; see the module's docstring."""
    for report in reviewed_reports(session, since):
        figures = list(session.scalars(select(Figure).where(Figure.report_id == report.id)
                                       .order_by(Figure.span_start, Figure.id)))
        if not figures or any(f.review_state not in JUDGED for f in figures):
            continue
        gold = [_gold(f) for f in figures if f.review_state != ReviewState.REJECTED]
        counted = {g["count"] for g in gold}
        published = report.published_at or report.ingested_at
        yield {
            "id": f"report-{report.id}", "lang": report.lang or "en",
            "published": published.date().isoformat(), "text": report.text,
            "figures": gold,
            # a number is no distractor where another reading of it is gold
            "distractors": sorted({f.count for f in figures
                                   if f.review_state == ReviewState.REJECTED} - counted),
        }
