"""series staleness: series_points.fresh_until and series_points.stale, so a point past its
figures' freshness holds the estimate and says so. Existing points keep fresh_until empty and
stale false until a new figure recomputes them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('series_points') as batch:
        batch.add_column(sa.Column('fresh_until', sa.Date(), nullable=True))
        batch.add_column(sa.Column('stale', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('series_points') as batch:
        batch.drop_column('stale')
        batch.drop_column('fresh_until')
