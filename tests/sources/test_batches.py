"""Ingesting a fetch in batches: a bad item undoes only itself, and series cover the batch."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.reports.models import Report
from app.series.service import series_points
from app.settings import Settings
from app.sources import service


def test_a_bad_item_in_a_batch_undoes_only_itself(factory: sessionmaker[Session],
                                                  settings: Settings, tmp_path: Path) -> None:
    small = settings.model_copy(update={"max_report_bytes": 1000})
    lines = [{"text": f"Some {n},000 people have arrived in Akkar, officials said.",
              "published": f"2025-03-{10 + n}"} for n in range(1, 4)]
    lines.insert(2, {"text": "Too long. " * 200, "published": "2025-03-12"})
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    with factory.begin() as session:
        source_id = service.replay_source(session, "Batch test", str(path)).id
    outcome = service.run_source(factory, small, source_id, "test-worker")
    assert outcome.status == "ok" and outcome.reports_new == 3
    assert outcome.error is not None and "item 3" in outcome.error and "bytes" in outcome.error
    with factory() as session:
        texts = session.scalars(select(Report.text).order_by(Report.published_at)).all()
        points = series_points(session, "LB-AK", None, None)
    assert [t.split()[1] for t in texts] == ["1,000", "2,000", "3,000"]
    assert points[0].estimate == 1000 and points[-1].estimate == 3000
