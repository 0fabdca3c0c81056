"""point source columns: series_points.source_count, series_points.top_sources and
series_points.source_names keep what an answer shows of a point's figures (their number, the few
that set the estimate, the distinct source names the CSV writes) beside the full list, so that
no answer decodes it. Existing points are filled from their list, a batch at a time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 21:00:00.000000
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
SHOWN = 3  # app.series.service.SOURCES_SHOWN when this was written


def _leading(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """app.series.service.leading as it was written: the figures of the source whose figures
    add up to the most people, the newest SHOWN of them."""
    by_source: dict[int, list[dict[str, Any]]] = {}
    for s in sources:
        by_source.setdefault(int(s["source_id"]), []).append(s)
    if not by_source:
        return []
    best = max(by_source.values(), key=lambda group: sum(int(s["people"]) for s in group))
    return best[-SHOWN:]


def upgrade() -> None:
    with op.batch_alter_table('series_points') as batch:
        batch.add_column(sa.Column('source_count', sa.Integer(), server_default=sa.text('0'),
                                   nullable=False))
        batch.add_column(sa.Column('top_sources', sa.JSON(), server_default=sa.text("'[]'"),
                                   nullable=False))
        batch.add_column(sa.Column('source_names', sa.Text(), server_default='',
                                   nullable=False))
    points = sa.table('series_points', sa.column('id', sa.Integer()),
                      sa.column('sources', sa.JSON()), sa.column('source_count', sa.Integer()),
                      sa.column('top_sources', sa.JSON()), sa.column('source_names', sa.Text()))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(points.c.id, points.c.sources)
                            .where(points.c.id > last).order_by(points.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        values = []
        for point_id, raw in rows:
            sources = (json.loads(raw) if isinstance(raw, str) else raw) or []
            if sources:
                values.append({
                    'point_id': point_id, 'count': len(sources),
                    'top': _leading(sources),
                    'names': '; '.join(sorted({str(s['source']) for s in sources}))})
        if values:
            conn.execute(points.update().where(points.c.id == sa.bindparam('point_id'))
                         .values(source_count=sa.bindparam('count'),
                                 top_sources=sa.bindparam('top', type_=sa.JSON()),
                                 source_names=sa.bindparam('names')), values)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('series_points') as batch:
        batch.drop_column('source_names')
        batch.drop_column('top_sources')
        batch.drop_column('source_count')
