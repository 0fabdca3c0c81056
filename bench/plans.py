"""Prints the query plans of the reads issue 12 bounds: a busy destination's 30-day series,
/api/v1/destinations and the overview, with EXPLAIN QUERY PLAN on SQLite and EXPLAIN ANALYZE on
PostgreSQL, on a database of a few thousand figures filled through the pipeline (bench/reads.py).

    .venv/bin/python bench/plans.py [--database-url URL] [--figures 3000] [--places 60]

Each read runs once through the app with every statement it sends captured; each statement is
then explained with its own parameters. What to look for: the series read is a range scan of
`uq_series_points_destination_id` (destination, day, realm), never a scan of series_points; the
list and the overview read destination_summaries (one row per destination) through
`uq_destination_summaries_demo_destination_id` and `ix_destination_summaries_demo_as_of`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from reads import BUSY, fill, served
from scratch import scratch_database
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.cli import alembic_config


def explain(engine: Engine, statement: str, params: Any) -> str:
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params).all()
    if postgres:
        return "\n".join(str(r[0]) for r in rows)
    return "\n".join(f"{'  ' * int(r[1] != 0)}{r[-1]}" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--figures", type=int, default=3000)
    parser.add_argument("--places", type=int, default=60)
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        command.upgrade(alembic_config(url), "head")
        with served(url) as (client, factory, settings):
            fill(factory, settings, args.figures, args.places)
            engine = client.app.state.engine  # type: ignore[attr-defined]
            start = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
            reads = {
                "series, 30 days": f"/api/v1/destinations/{BUSY}/series?start={start}",
                "/api/v1/destinations": "/api/v1/destinations",
                "overview /": "/",
            }
            for name, path in reads.items():
                sent: list[tuple[str, Any]] = []

                def capture(_conn: Any, _cursor: Any, statement: str, params: Any,
                            _context: Any, _many: bool, sent: list[tuple[str, Any]] = sent
                            ) -> None:
                    if statement.lstrip().upper().startswith("SELECT"):
                        sent.append((statement, params))

                event.listen(engine, "before_cursor_execute", capture)
                try:
                    assert client.get(path).status_code == 200
                finally:
                    event.remove(engine, "before_cursor_execute", capture)
                print(f"=== {name}: {path} ({len(sent)} selects)")
                for statement, params in sent:
                    if "series_points" not in statement and \
                            "destination_summaries" not in statement:
                        continue  # keys, sessions, alerts: not what grows with history
                    print("--- " + " ".join(statement.split())[:300])
                    print(explain(engine, statement, params))
                print()


if __name__ == "__main__":
    main()
