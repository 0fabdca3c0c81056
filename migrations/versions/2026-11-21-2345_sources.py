"""sources: the near-duplicate index (MinHash signatures and LSH bands of reports)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_fingerprints',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_fingerprints_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_report_fingerprints'))
    )
    op.create_table('report_lsh_bands',
    sa.Column('band_key', sa.BigInteger(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_lsh_bands_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('band_key', 'report_id', name=op.f('pk_report_lsh_bands'))
    )
    with op.batch_alter_table('report_lsh_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_lsh_bands_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_lsh_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_lsh_bands_report_id'))

    op.drop_table('report_lsh_bands')
    op.drop_table('report_fingerprints')
