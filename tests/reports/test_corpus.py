"""`dispmon corpus export`: staff's judgements as the annotated corpora's lines, which the
extractor is then scored on (`dispmon extract` reads the same lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.gazetteer.service import current_gazetteer
from app.pipeline import apply_review, ingest
from app.reports.models import Figure, ReviewAction
from app.reports.review import Correction
from app.reports.service import NewReport, manual_source
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2025, 3, 12, tzinfo=UTC)
TEXTS = [
    "At least 10,000 Alawites have fled to Baalbek-Hermel, officials said.",
    "Some 600 people have arrived in Akkar, officials said.",
    "Another 7,000 people arrived in Tartus on Monday, officials said.",
    "About 3,000 people have fled to Erbil, officials said.",
]


def export(db_url: str, *args: str) -> list[dict[str, Any]]:
    env = {**os.environ, "DISPMON_DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "app.cli", "corpus", "export", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line]


def test_reviewed_reports_export_as_gold_and_distractors(
        db_url: str, factory: sessionmaker[Session], settings: Settings) -> None:
    ids = []
    with factory.begin() as session:
        source = manual_source(session, "Field team")
        for text in TEXTS:
            ids.append(ingest(session, settings, source, NewReport(text, published_at=AT))
                       .report.id)
    with factory() as session:
        figure_of = {f.report_id: f.id for f in session.scalars(select(Figure))}
    assert set(figure_of) == set(ids)

    def judge(report: int, action: ReviewAction, correction: Correction | None = None) -> None:
        with factory.begin() as session:
            apply_review(session, settings, current_gazetteer(session), figure_of[report],
                         action, by="desk", reason="checked", correction=correction)

    judge(ids[0], ReviewAction.CONFIRM)
    judge(ids[1], ReviewAction.REJECT)
    judge(ids[2], ReviewAction.CORRECT, Correction(kind="total", count=7500))
    # the fourth is never judged: not exported

    lines = export(db_url)
    assert [line["id"] for line in lines] == [f"report-{i}" for i in ids[:3]]
    confirmed, rejected, corrected = lines
    assert confirmed["text"] == TEXTS[0] and confirmed["published"] == "2025-03-12"
    assert confirmed["figures"] == [{"count": 10_000, "vague": None, "unit": "people",
                                     "qualifier": "at_least", "country": "LB",
                                     "place": ["Baalbek-Hermel"], "kind": "total"}]
    assert confirmed["distractors"] == []
    assert rejected["figures"] == [] and rejected["distractors"] == [600]
    assert [(f["count"], f["kind"], f["country"]) for f in corrected["figures"]] == [
        (7500, "total", "SY")]
    for line in lines:
        assert set(line) == {"id", "lang", "published", "text", "figures", "distractors"}

    assert export(db_url, "--since", "2999-01-01") == []
    # the extractor reads the exported lines as it reads any corpus
    env = {**os.environ, "DISPMON_DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "app.cli", "extract"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120, check=False,
                          input="\n".join(json.dumps(line) for line in lines) + "\n")
    assert done.returncode == 0, done.stderr
    read = [json.loads(line) for line in done.stdout.splitlines() if line]
    assert [r["id"] for r in read] == [line["id"] for line in lines]
    assert [f["count"] for f in read[0]["figures"]] == [10_000]


def test_the_exported_corpus_scores_with_the_contracts_scorer(
        db_url: str, factory: sessionmaker[Session], settings: Settings, tmp_path: Path) -> None:
    """tests/eval/score.py is the contract's scorer as shipped: staff's judgements score the
    extractor, a rejected figure it still reads is a distractor hit."""
    ids = []
    with factory.begin() as session:
        source = manual_source(session, "Field team")
        for text in TEXTS[:2]:
            ids.append(ingest(session, settings, source, NewReport(text, published_at=AT))
                       .report.id)
    with factory.begin() as session:
        gazetteer = current_gazetteer(session)
        for figure in session.scalars(select(Figure).order_by(Figure.id)):
            action = ReviewAction.CONFIRM if figure.report_id == ids[0] else ReviewAction.REJECT
            apply_review(session, settings, gazetteer, figure.id, action, by="desk",
                         reason="checked")
    corpus = tmp_path / "reviewed.jsonl"
    corpus.write_text("".join(json.dumps(line) + "\n" for line in export(db_url)),
                      encoding="utf-8")
    env = {**os.environ, "DISPMON_DATABASE_URL": db_url}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "eval" / "score.py"), str(corpus), "--",
         sys.executable, "-m", "app.cli", "extract"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = dict(pair.split("=") for pair in done.stdout.strip().splitlines()[-1].split())
    # the confirmed figure is read again (recall 1); the rejected one, which the extractor still
    # reads, is a false figure and a distractor hit (precision 1/2)
    assert (summary["strict_f1"], summary["distractor_hits"]) == ("0.667", "1")
