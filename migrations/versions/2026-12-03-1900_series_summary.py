"""series summary: one row per destination and realm (destination_summaries), what the overview
and /api/v1/destinations read, filled from the stored series (`dispmon summary rebuild` does the
same).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('destination_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('destination_id', sa.String(length=64), nullable=False),
    sa.Column('demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('latest_day', sa.Date(), nullable=True),
    sa.Column('latest_estimate', sa.Integer(), nullable=False),
    sa.Column('latest_low', sa.Integer(), nullable=False),
    sa.Column('latest_high', sa.Integer(), nullable=False),
    sa.Column('fresh_until', sa.Date(), nullable=True),
    sa.Column('last_report', sa.Date(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('estimate', sa.Integer(), nullable=False),
    sa.Column('low', sa.Integer(), nullable=False),
    sa.Column('high', sa.Integer(), nullable=False),
    sa.Column('change_3d', sa.Integer(), nullable=True),
    sa.Column('change_7d', sa.Integer(), nullable=True),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destination_summaries')),
    sa.UniqueConstraint('demo', 'destination_id',
                        name=op.f('uq_destination_summaries_demo_destination_id'))
    )
    op.create_index('ix_destination_summaries_demo_as_of', 'destination_summaries',
                    ['demo', 'as_of', 'estimate'], unique=False)
    # the summaries of the series already stored: the service's own computation, so the rows are
    # the ones a series update writes (imported here, not at the top: only this step needs it)
    from app.summary.service import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index('ix_destination_summaries_demo_as_of', table_name='destination_summaries')
    op.drop_table('destination_summaries')
