"""Confidence per figure: derived from the evidence the rules used; only figures with a
certain destination and no hedge reach 0.8 (CONTRACT.md: those are at least 95% right)."""

from __future__ import annotations

from datetime import date

import pytest

from app.extract import extract
from app.extract.confidence import Evidence, confidence

PUB = date(2025, 3, 12)


def conf(text: str) -> float:
    (f,) = extract(text, PUB)
    assert 0.0 <= f.confidence <= 1.0
    assert f.to_contract()["confidence"] == f.confidence
    return f.confidence


@pytest.mark.parametrize(
    "text",
    [
        "More than 12,000 refugees fled from Sudan to Chad last week.",
        "About 5,000 people have fled to Lebanon since Friday.",
        "Plus de 3 000 réfugiés sont arrivés au Tchad en une semaine.",
        "Unas 4.000 personas huyeron a Colombia.",
    ],
)
def test_a_figure_with_a_certain_destination_is_confident(text: str) -> None:
    assert conf(text) >= 0.8


@pytest.mark.parametrize(
    "text",
    [
        "Some 12,000 people have been displaced, officials said.",          # no destination
        "Up to 12,000 people may have fled to Chad, officials said.",       # a hedge
        "Around 3,000 families are staying in schools in the area.",        # stock, anaphor
    ],
)
def test_weaker_evidence_stays_below_the_review_line(text: str) -> None:
    assert conf(text) < 0.8


def test_each_kind_of_doubt_lowers_the_score() -> None:
    best = Evidence.DEST_ROLE | Evidence.DEST_COUNTRY | Evidence.DISPLACEMENT_VERB
    for doubt in (Evidence.HEDGE, Evidence.DEST_ANAPHOR, Evidence.STOCK_ONLY, Evidence.VAGUE,
                  Evidence.IMPLIED_UNIT, Evidence.CROWDED, Evidence.PART):
        assert confidence(best | doubt) < confidence(best)
    assert confidence(Evidence.NONE) < confidence(Evidence.DEST_SHARED) < confidence(
        Evidence.DEST_ROLE)
    assert all(0.0 <= confidence(v) <= 1.0 for v in range(1 << 14))


def test_a_destination_given_by_the_discourse_stays_below_review() -> None:
    # the best a destination from other sentences can have: a country, a verb, nothing against
    best = Evidence.DEST_DISCOURSE | Evidence.DEST_COUNTRY | Evidence.DISPLACEMENT_VERB
    assert confidence(best) < 0.8
    assert confidence(Evidence.DEST_DISCOURSE) > confidence(Evidence.NONE)
